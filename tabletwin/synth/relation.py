"""The relation step: a child table's rows drawn from its parents' synthetic rows.

A step of a :class:`~tabletwin.synth.pipeline.Pipeline` (see :mod:`tabletwin.synth.multitable`
for what is learned and why). When fitting it joins each child row to its parent's columns (the context),
re-expresses event times as offsets from a parent time and learns how many children each parent has;
the model then fits on the context plus the child's columns, told by ``TableMeta.fixed`` that the
context will be fixed. When sampling it draws children per synthetic parent, hands the model their
context as ``conditions`` and puts the foreign keys and times back: the model is never opened nor
reconfigured (as in SDV's hierarchical sampler, the relation composes around the model).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import GeneratorError, InputError
from tabletwin.metrics.relations import children_per_parent
from tabletwin.synth.foreign_keys import draw_foreign_keys
from tabletwin.synth.generators.base import TableMeta
from tabletwin.synth.generators.sequential import SequentialTree
from tabletwin.synth.multitable import (_COUNT_DRAWS, _END_K, _RANK_ROWS, CONTEXT, COUNT,
                                        ParentFrame, TimeAnchor, _at_midnight, _attach, _codes, _dependence,
                                        _entropy, _fit_total, _fraction, _is_time, _naive,
                                        _restore_time, _swap_toward, context_name)
from tabletwin.synth.pipeline import Step


class RelationStep(Step):
    """A child table's relation to its parents: children per parent and the parents' columns as
    the model's conditions.

    Parameters
    ----------
    count_params: parameters of the sequential tree modelling children per parent.
    max_context: most parent columns a child conditions on per foreign key (the ones most
        dependent with the child's columns).
    anchor_share: a child datetime column is anchored on a parent one when at least this share of
        the joined source rows has child time >= parent time.
    protected: child columns never re-expressed as time offsets (e.g. constrained ones).

    ``fit_transform`` takes the child's fit rows (modelled columns plus its foreign-key columns)
    and ``meta.extra``: ``parents`` (foreign key -> :class:`ParentFrame` of the masked parent) and
    ``all_keys`` (foreign key -> the key column of *every* source child row, to count children).
    """

    def __init__(self, count_params: dict[str, Any] | None = None, max_context: int = 8,
                 anchor_share: float = 0.999, protected: Sequence[str] = ()):
        self.count_params = count_params
        self.max_context = max_context
        self.anchor_share = anchor_share
        self.protected = protected

    # ---- fitting -------------------------------------------------------------------------------
    def fit_transform(self, table: pd.DataFrame, meta: TableMeta,
                      seed: int) -> tuple[pd.DataFrame, TableMeta]:
        parents: dict[str, ParentFrame] = dict(meta.extra.get("parents") or {})
        all_keys: dict[str, pd.Series] = dict(meta.extra.get("all_keys") or {})
        if not parents:
            raise GeneratorError("a relational generator needs at least one parent table",
                                 table=meta.table)
        fks = [fk for fk in parents if fk in table.columns]
        own = [c for c in table.columns if c not in parents]
        data, context_cols = self._join_context(table, parents, fks, own, seed)
        ctx_names = [context_name(fk, c) for fk in fks for c in context_cols[fk]]
        anchors = self._find_anchors(data, own, ctx_names)
        self.dtypes_ = {c: table[c].dtype for c in own}
        for a in anchors:
            data[a.column] = _fraction(data[a.column], data[a.context], a)
        counts_of = {fk: children_per_parent(all_keys.get(fk, table[fk]), parents[fk].frame[
            parents[fk].key]) for fk in fks}
        primary = max(fks, key=lambda fk: (_entropy(counts_of[fk]), -fks.index(fk)))
        self.count_model_ = self._fit_counts(parents[primary], primary, context_cols[primary],
                                             counts_of[primary], meta.table, seed)
        self.table_ = meta.table
        self.null_rates_ = {fk: float(all_keys.get(fk, table[fk]).isna().mean()) for fk in fks}
        self.fk_counts_ = {fk: counts_of[fk][counts_of[fk] > 0] for fk in fks}
        self.fk_dtypes_ = {fk: table[fk].dtype for fk in fks}
        self.parents_ = {fk: parents[fk].name for fk in fks}
        self.parent_keys_ = {fk: parents[fk].key for fk in fks}
        self.context_ = context_cols
        self.primary_ = primary
        self.anchors_ = anchors
        self.columns_ = list(table.columns)
        return data[ctx_names + own], TableMeta(table=meta.table, free_text=meta.free_text,
                                                fixed=tuple(ctx_names))

    def _join_context(self, table: pd.DataFrame, parents: dict[str, ParentFrame], fks: list[str],
                      own: list[str], seed: int) -> tuple[pd.DataFrame, dict[str, list[str]]]:
        """The child's own columns plus, per foreign key, the parent columns it depends on most
        (at most ``max_context``), named by :func:`context_name`."""
        rng = np.random.default_rng(seed)
        rank_rows = (np.sort(rng.choice(len(table), _RANK_ROWS, replace=False))
                     if len(table) > _RANK_ROWS else np.arange(len(table)))
        context_cols: dict[str, list[str]] = {}
        frames = [table[own].reset_index(drop=True)]
        for fk in fks:
            p = parents[fk]
            cols = [c for c in p.columns if c in p.frame.columns and c != p.key]
            ctx = _attach(table[fk].reset_index(drop=True), p, cols, fk)
            if len(cols) > self.max_context:  # keep the parent columns the child depends on most
                child_codes = [_codes(table[c].reset_index(drop=True).iloc[rank_rows]) for c in own]
                score = {}
                for c in cols:
                    pc = _codes(ctx[context_name(fk, c)].iloc[rank_rows])
                    score[c] = max((_dependence(pc, cc) for cc in child_codes), default=0.0)
                cols = sorted(cols, key=lambda c: -score[c])[: self.max_context]
                cols = [c for c in p.columns if c in cols]
                ctx = ctx[[context_name(fk, c) for c in cols]]
            context_cols[fk] = cols
            frames.append(ctx)
        return pd.concat(frames, axis=1), context_cols

    def _find_anchors(self, data: pd.DataFrame, own: list[str],
                      ctx_names: list[str]) -> list[TimeAnchor]:
        """Event times after their parent's: modelled as offsets from the parent's time (the
        parent time with the smallest median gap among those the child never precedes)."""
        anchors: list[TimeAnchor] = []
        for col in own:
            if col in self.protected or not _is_time(data[col]) or data[col].isna().all():
                continue
            best: tuple[float, str] | None = None
            for name in ctx_names:
                if not _is_time(data[name]):
                    continue
                child, anchor = _naive(data[col]), _naive(data[name])
                both = child.notna() & anchor.notna()
                if both.sum() < max(20, 0.5 * child.notna().sum()):
                    continue
                gap = (child[both] - anchor[both]).dt.total_seconds()
                if (gap >= 0).mean() < self.anchor_share:
                    continue
                median = float(gap.median())
                if best is None or median < best[0]:
                    best = (median, name)
            if best is not None:
                days = _at_midnight(data[col])
                latest = _naive(data[col]).dropna().sort_values()
                end = latest.iloc[-min(_END_K, len(latest))]
                start = latest.iloc[min(_END_K, len(latest)) - 1]
                anchors.append(TimeAnchor(col, best[1], "D" if days else "s", end, start))
        return anchors

    def _fit_counts(self, p: ParentFrame, primary: str, context: list[str], counts: np.ndarray,
                    table: str, seed: int) -> SequentialTree:
        """Children per parent given the parent's attributes, on the primary link (one count per
        distinct parent key, in order of first appearance, zeros included)."""
        parent_rows = p.frame[[p.key] + context].dropna(subset=[p.key])
        count_frame = parent_rows.drop_duplicates(p.key)[context].rename(
            columns={c: context_name(primary, c) for c in context})
        count_frame = count_frame.reset_index(drop=True)
        count_frame[COUNT] = counts
        params = {**(self.count_params or {})}
        params["first"] = tuple(context_name(primary, c) for c in context)
        return SequentialTree(**params).fit(
            count_frame, TableMeta(table=f"{table} (children per {p.name})"), seed=seed + 1)

    # ---- what the composed generator shows -----------------------------------------------------
    def describe(self, text: str) -> str:
        if not hasattr(self, "parents_"):
            return text
        return f"{text}, conditioned on {', '.join(sorted(set(self.parents_.values())))}"

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        out = {**params, "max_context": self.max_context, "anchor_share": self.anchor_share}
        out.pop("first", None)
        if hasattr(self, "context_"):
            out["parent_context"] = {fk: list(c) for fk, c in self.context_.items()}
            out["children_per"] = self.primary_
            out["time_offsets"] = {a.column: a.context[len(CONTEXT):].replace("__", ".", 1)
                                   for a in self.anchors_}
        return out

    # ---- sampling ------------------------------------------------------------------------------
    def before_sample(self, n: int, seed: int, conditions: pd.DataFrame | None,
                      parents: Mapping[str, pd.DataFrame] | None
                      ) -> tuple[pd.DataFrame | None, Any]:
        """Children per synthetic parent, their foreign keys and the parents' context; the
        context is what the model is conditioned on."""
        if conditions is not None:
            raise InputError("a child table conditioned on its parents cannot take a seed table "
                             "as well", table=self.table_)
        parents = parents or {}
        for fk in self.parents_:
            if fk not in parents:
                raise InputError("synthetic parent rows missing for foreign key",
                                 table=self.table_, column=fk)
            if self.parent_keys_[fk] not in parents[fk].columns:
                raise InputError("the synthetic parent table lacks its key column",
                                 table=self.table_, column=fk)
        rng = np.random.default_rng(seed)
        frame = self._primary_rows(n, seed, parents, rng)
        for fk in self.parents_:
            if fk == self.primary_:
                continue
            pk = self.parent_keys_[fk]
            frame[fk] = draw_foreign_keys(self.fk_counts_[fk], self.null_rates_[fk],
                                          parents[fk][pk], n, rng, column=fk).to_numpy()
            ctx = _attach(frame[fk], ParentFrame(self.parents_[fk], pk, parents[fk],
                                                 tuple(self.context_[fk])), self.context_[fk], fk)
            for c in ctx.columns:
                frame[c] = ctx[c].to_numpy()
        ctx_names = [context_name(fk, c) for fk in self.parents_ for c in self.context_[fk]]
        parent_dtypes = {fk: parents[fk][self.parent_keys_[fk]].dtype for fk in self.parents_}
        return (frame[ctx_names] if ctx_names else None), (frame, parent_dtypes)

    def _primary_rows(self, n: int, seed: int, parents: Mapping[str, pd.DataFrame],
                      rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows of the primary link: each synthetic parent's drawn number of children (and
        the null references), with the parent's context, in random order."""
        primary = self.primary_
        pkey = self.parent_keys_[primary]
        pcols = self.context_[primary]
        prows = parents[primary][[pkey] + pcols].drop_duplicates(pkey).dropna(subset=[pkey])
        prows = prows.reset_index(drop=True)
        n_null = int(round(n * self.null_rates_[primary]))
        need = n - n_null
        counts = np.zeros(len(prows), dtype=np.int64)
        if need > 0:
            if len(prows) == 0:
                raise InputError("foreign key has no parent rows to point at", table=self.table_,
                                 column=primary)
            cond = prows[pcols].rename(columns={c: context_name(primary, c) for c in pcols})
            draws = np.stack([self._draw_counts(cond, seed + k) for k in range(_COUNT_DRAWS)])
            counts = _fit_total(_swap_toward(draws, need, rng), need, rng)
        keys = np.repeat(prows[pkey].to_numpy(), counts)
        rows = np.repeat(np.arange(len(prows)), counts)
        key_series = pd.Series(list(keys) + [None] * n_null, dtype=object)
        order = rng.permutation(n)
        context: dict[str, pd.Series] = {}
        for c in pcols:
            vals = prows[c].iloc[rows].reset_index(drop=True)
            vals = pd.concat([vals, pd.Series([None] * n_null, dtype=object)], ignore_index=True) \
                if n_null else vals
            if n_null and _is_time(prows[c]):
                vals = pd.to_datetime(vals)
            context[context_name(primary, c)] = vals
        frame = pd.DataFrame(context, index=range(n))
        frame[primary] = key_series
        return frame.iloc[order].reset_index(drop=True)

    def _draw_counts(self, cond: pd.DataFrame, seed: int) -> np.ndarray:
        """One draw of children per parent for the synthetic parents' context ``cond``."""
        drawn = self.count_model_.sample(len(cond), seed=seed, conditions=cond)[COUNT]
        return np.clip(np.round(pd.to_numeric(drawn, errors="coerce").fillna(0)
                                .to_numpy(float)), 0, None).astype(np.int64)

    def after_sample(self, out: pd.DataFrame, state: Any) -> pd.DataFrame:
        """The child rows: foreign keys from the drawn links, the model's columns, event times
        rebuilt from their offsets, in time order (fresh keys ascend with it)."""
        frame, parent_dtypes = state
        n = len(frame)
        result = pd.DataFrame(index=range(n))
        for c in self.columns_:
            result[c] = (frame[c] if c in self.parents_ else out[c]).to_numpy()
        for a in self.anchors_:
            result[a.column] = _restore_time(out[a.column], frame[a.context], a,
                                             self.dtypes_[a.column])
        for fk in self.fk_dtypes_:
            if pdt.is_integer_dtype(parent_dtypes[fk]):
                result[fk] = result[fk].astype("Int64" if result[fk].isna().any()
                                               else parent_dtypes[fk])
        if self.anchors_:
            result = result.sort_values(self.anchors_[0].column, kind="stable",
                                        na_position="last").reset_index(drop=True)
        return result
