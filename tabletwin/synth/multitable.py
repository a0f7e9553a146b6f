"""Child tables generated from their parents' synthetic rows.

A child table (one with foreign keys) is not sampled on its own: :class:`RelationalGenerator` learns

* **how many children each parent has, given the parent's attributes** (a sequential tree over the
  parent's context columns and the child count, fitted on every parent, those without children
  included), and draws that count for every *synthetic* parent;
* **the child's columns given its parents' attributes**: the child rows are joined to their parents
  and the inner sequential tree is fitted with the parent columns first, so that at sample time each
  synthetic child row is drawn given the synthetic parent it belongs to (loan amount given the
  district's salary, transaction amount given the account type);
* **event times relative to the parent**: a child datetime column that never precedes a parent
  datetime column in the source (a transaction after its account was opened) is modelled as the
  offset from that parent column, so every synthetic event comes after its synthetic parent's start
  date, with the source's gaps; rows of such a table are ordered in time (fresh keys ascend with it).

Tables with several foreign keys (link tables) take their counts from the *primary* link (the one
whose children-per-parent distribution carries the most information) and draw the other links'
parents as :func:`tabletwin.synth.foreign_keys.assign_foreign_keys` does (children-per-parent kept); the child
columns are conditioned on every parent. Self references and nullable keys work (null references at
the source's rate, without parent context).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import GeneratorError, InputError
from tabletwin.frames import datetime_to_ns, is_datetime, utc_naive
from tabletwin.synth.foreign_keys import draw_foreign_keys
from tabletwin.synth.generators.base import Generator, TableMeta
from tabletwin.metrics.relations import children_per_parent

CONTEXT = "__parent__"
COUNT = "__children__"
#: Rows used to rank parent columns by their dependence with the child's columns.
_RANK_ROWS = 20_000


@dataclass(frozen=True)
class ParentFrame:
    """One parent table as the child's generator sees it: its rows (masked source when fitting, the
    synthetic table when sampling), its key and the columns a child may depend on."""

    name: str
    key: str
    frame: pd.DataFrame
    columns: tuple[str, ...]


def context_name(fk: str, column: str) -> str:
    return f"{CONTEXT}{fk}__{column}"


def _is_time(s: pd.Series) -> bool:
    return is_datetime(s)


def _codes(s: pd.Series, bins: int = 16) -> np.ndarray:
    """Small integer codes of a column (quantile bins for numbers/times, top levels otherwise)."""
    if pdt.is_bool_dtype(s.dtype):
        return s.astype("float").fillna(-1).to_numpy().astype(np.int64) + 1
    if pdt.is_numeric_dtype(s.dtype) or _is_time(s):
        x = (pd.Series(datetime_to_ns(s), index=s.index) if _is_time(s)
             else pd.to_numeric(s, errors="coerce").astype(float))
        try:
            c = pd.qcut(x.rank(method="first"), bins, labels=False, duplicates="drop")
        except ValueError:
            return np.zeros(len(s), dtype=np.int64)
        return c.fillna(-1).to_numpy().astype(np.int64) + 1
    text = s.astype("string")
    top = text.value_counts().index[:bins]
    return (pd.Categorical(text.where(text.isin(top)), categories=top).codes + 1).astype(np.int64)


def _dependence(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(a, b))


def _entropy(counts: np.ndarray) -> float:
    if len(counts) == 0:
        return 0.0
    p = np.bincount(np.minimum(counts, 50)) / len(counts)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _attach(keys: pd.Series, parent: ParentFrame, columns: list[str], fk: str) -> pd.DataFrame:
    """The parent's ``columns`` for every value of ``keys`` (nulls where no parent matches)."""
    p = parent.frame[[parent.key] + columns].drop_duplicates(parent.key).set_index(parent.key)
    out = p.reindex(keys.to_numpy())
    out.columns = [context_name(fk, c) for c in columns]
    return out.reset_index(drop=True)


#: The end of a child's time span is its ``_END_K``-th latest value (never the single latest row).
_END_K = 5


@dataclass(frozen=True)
class TimeAnchor:
    """A child datetime column modelled relative to a parent datetime column: as the fraction of the
    way from the parent's time to the end of the child's time span (the source's k-th latest value).
    Drawn fractions lie in [0, 1], so a synthetic event never precedes its parent's time nor
    passes the end of the source's span, even where the parent's time is late."""

    column: str
    context: str  # context column name of the anchor
    unit: str  # "D" (dates at midnight: whole days) or "s"
    end: pd.Timestamp  # UTC-naive
    start: pd.Timestamp  # the span's k-th earliest value: the anchor of rows without a parent


class RelationalGenerator(Generator):
    """A child table's generator: children per parent and child columns given the parents' rows.

    Parameters
    ----------
    generator: the inner generator for the child's columns; it must accept ``conditions`` in
        ``sample`` with the context columns fitted first (a ``SequentialTree``, possibly wrapped by
        ``ConstrainedGenerator``); built by :func:`tabletwin.chain.synthesis.fit_generator`.
    count_params: parameters of the sequential tree modelling children per parent.
    max_context: most parent columns a child conditions on per foreign key (the ones most
        dependent with the child's columns).
    anchor_share: a child datetime column is anchored on a parent one when at least this share of
        the joined source rows has child time >= parent time.
    """

    name = "relational"

    def __init__(self, generator: Generator, count_params: dict[str, Any] | None = None,
                 max_context: int = 8, anchor_share: float = 0.999):
        self.generator = generator
        self.count_params = count_params
        self.max_context = max_context
        self.anchor_share = anchor_share

    # ---- fitting -------------------------------------------------------------------------------
    def fit(self, table: pd.DataFrame, meta: TableMeta | None = None, *,
            seed: int = 0) -> "RelationalGenerator":
        """``table``: the child's fit rows, modelled columns plus its foreign-key columns.
        ``meta.extra``: ``parents`` (foreign key -> :class:`ParentFrame` of the masked parent),
        ``all_keys`` (foreign key -> the key column of *every* source child row, to count
        children), ``protected`` (columns not to re-express as time offsets, e.g. constrained)."""
        from tabletwin.synth.generators.sequential import SequentialTree

        meta = meta or TableMeta()
        parents: dict[str, ParentFrame] = dict(meta.extra.get("parents") or {})
        all_keys: dict[str, pd.Series] = dict(meta.extra.get("all_keys") or {})
        protected = set(meta.extra.get("protected") or ())
        if not parents:
            raise GeneratorError("a relational generator needs at least one parent table",
                                 table=meta.table)
        fks = [fk for fk in parents if fk in table.columns]
        own = [c for c in table.columns if c not in parents]
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
        data = pd.concat(frames, axis=1)
        ctx_names = [context_name(fk, c) for fk in fks for c in context_cols[fk]]

        # event times after their parent: model them as offsets from the parent's time
        anchors: list[TimeAnchor] = []
        for col in own:
            if col in protected or not _is_time(data[col]) or data[col].isna().all():
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
        self.dtypes_ = {c: table[c].dtype for c in own}
        for a in anchors:
            data[a.column] = _fraction(data[a.column], data[a.context], a)

        inner = self.generator
        target = getattr(inner, "generator", inner)  # the tree inside a ConstrainedGenerator
        if not isinstance(target, SequentialTree):
            raise GeneratorError("conditioning on parent rows needs the sequential_tree generator",
                                 table=meta.table)
        target.first = tuple(ctx_names)
        inner.fit(data[ctx_names + own], TableMeta(table=meta.table, free_text=meta.free_text),
                  seed=seed)

        # children per parent, given the parent's attributes, on the primary link
        # (one count per distinct parent key, in order of first appearance, zeros included)
        counts_of = {fk: children_per_parent(all_keys.get(fk, table[fk]), parents[fk].frame[
            parents[fk].key]) for fk in fks}
        primary = max(fks, key=lambda fk: (_entropy(counts_of[fk]), -fks.index(fk)))
        p = parents[primary]
        parent_rows = p.frame[[p.key] + context_cols[primary]].dropna(subset=[p.key])
        count_frame = parent_rows.drop_duplicates(p.key)[context_cols[primary]].rename(
            columns={c: context_name(primary, c) for c in context_cols[primary]})
        count_frame = count_frame.reset_index(drop=True)
        count_frame[COUNT] = counts_of[primary]
        params = {**(self.count_params or {})}
        params["first"] = tuple(context_name(primary, c) for c in context_cols[primary])
        self.count_model_ = SequentialTree(**params).fit(
            count_frame, TableMeta(table=f"{meta.table} (children per {p.name})"), seed=seed + 1)
        self.null_rates_ = {fk: float(all_keys.get(fk, table[fk]).isna().mean()) for fk in fks}
        self.fk_counts_ = {fk: counts_of[fk][counts_of[fk] > 0] for fk in fks}
        self.fk_dtypes_ = {fk: table[fk].dtype for fk in fks}
        self.parents_ = {fk: parents[fk].name for fk in fks}
        self.parent_keys_ = {fk: parents[fk].key for fk in fks}
        self.context_ = context_cols
        self.primary_ = primary
        self.anchors_ = anchors
        self.columns_ = list(table.columns)
        return self

    def _draw_counts(self, cond: pd.DataFrame, seed: int) -> np.ndarray:
        """One draw of children per parent for the synthetic parents' context ``cond``."""
        drawn = self.count_model_.sample(len(cond), seed=seed, conditions=cond)[COUNT]
        return np.clip(np.round(pd.to_numeric(drawn, errors="coerce").fillna(0)
                                .to_numpy(float)), 0, None).astype(np.int64)

    def describe(self) -> str:
        return f"{self.generator.describe()}, conditioned on {', '.join(sorted(set(self.parents_.values())))}" \
            if hasattr(self, "parents_") else self.generator.describe()

    def get_params(self) -> dict[str, Any]:
        out = {**self.generator.get_params(), "max_context": self.max_context,
               "anchor_share": self.anchor_share}
        out.pop("first", None)
        if hasattr(self, "context_"):
            out["parent_context"] = {fk: list(c) for fk, c in self.context_.items()}
            out["children_per"] = self.primary_
            out["time_offsets"] = {a.column: a.context[len(CONTEXT):].replace("__", ".", 1)
                                   for a in self.anchors_}
        return out

    def __getattr__(self, item: str) -> Any:  # chosen_, reason_ ... of the inner generator
        if item.startswith("__") or item in ("generator", "count_params", "max_context",
                                             "anchor_share") or not item.endswith("_"):
            raise AttributeError(item)
        return getattr(self.__dict__["generator"], item)

    # ---- sampling ------------------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        raise GeneratorError("a child table is sampled from its parents' synthetic rows: use "
                             "sample_related(n, parents=...)")

    def sample_related(self, n: int, *, parents: dict[str, pd.DataFrame],
                       seed: int = 0) -> pd.DataFrame:
        """``n`` child rows (foreign keys + modelled columns) for the synthetic ``parents``
        (foreign key -> the parent's synthetic table)."""
        self._check_fitted()
        for fk in self.parents_:
            if fk not in parents:
                raise InputError("the synthetic parent table is missing", column=fk)
            if self.parent_keys_[fk] not in parents[fk].columns:
                raise InputError("the synthetic parent table lacks its key column", column=fk)
        rng = np.random.default_rng(seed)
        primary = self.primary_
        pframe = parents[primary]
        pkey = self.parent_keys_[primary]
        pcols = self.context_[primary]
        prows = pframe[[pkey] + pcols].drop_duplicates(pkey).dropna(subset=[pkey])
        prows = prows.reset_index(drop=True)
        n_null = int(round(n * self.null_rates_[primary]))
        need = n - n_null
        counts = np.zeros(len(prows), dtype=np.int64)
        if need > 0:
            if len(prows) == 0:
                raise InputError("foreign key has no parent rows to point at", column=primary)
            cond = prows[pcols].rename(columns={c: context_name(primary, c) for c in pcols})
            draws = np.stack([self._draw_counts(cond, seed + k) for k in range(_COUNT_DRAWS)])
            counts = _fit_total(_swap_toward(draws, need, rng), need, rng)
        keys = np.repeat(prows[pkey].to_numpy(), counts)
        rows = np.repeat(np.arange(len(prows)), counts)
        fk_values: dict[str, pd.Series] = {}
        key_series = pd.Series(list(keys) + [None] * n_null, dtype=object)
        fk_values[primary] = key_series
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
        frame = frame.iloc[order].reset_index(drop=True)
        for fk in self.parents_:
            if fk == primary:
                continue
            pk = self.parent_keys_[fk]
            frame[fk] = draw_foreign_keys(self.fk_counts_[fk], self.null_rates_[fk],
                                          parents[fk][pk], n, rng, column=fk).to_numpy()
            ctx = _attach(frame[fk], ParentFrame(self.parents_[fk], pk, parents[fk],
                                                 tuple(self.context_[fk])), self.context_[fk], fk)
            for c in ctx.columns:
                frame[c] = ctx[c].to_numpy()
        ctx_names = [context_name(fk, c) for fk in self.parents_ for c in self.context_[fk]]
        if ctx_names:
            out = self.generator.sample(n, seed=seed, conditions=frame[ctx_names])
        else:
            out = self.generator.sample(n, seed=seed)
        result = pd.DataFrame(index=range(n))
        for c in self.columns_:
            if c in self.parents_:
                result[c] = frame[c].to_numpy()
            else:
                result[c] = out[c].to_numpy()
        for a in self.anchors_:
            result[a.column] = _restore_time(out[a.column], frame[a.context], a,
                                             self.dtypes_[a.column])
        for fk, dtype in self.fk_dtypes_.items():
            parent_dtype = parents[fk][self.parent_keys_[fk]].dtype
            if pdt.is_integer_dtype(parent_dtype):
                result[fk] = result[fk].astype("Int64" if result[fk].isna().any()
                                               else parent_dtype)
        if self.anchors_:  # events in time order (fresh keys ascend with it)
            result = result.sort_values(self.anchors_[0].column, kind="stable",
                                        na_position="last").reset_index(drop=True)
        return result


def _naive(s: pd.Series) -> pd.Series:
    """Datetimes as UTC-naive nanoseconds (tz-aware and naive columns compare)."""
    return utc_naive(pd.to_datetime(s))


def _at_midnight(s: pd.Series) -> bool:
    v = _naive(s).dropna()
    return bool(len(v)) and bool((v == v.dt.normalize()).all())


def _fraction(child: pd.Series, anchor: pd.Series, t: TimeAnchor) -> pd.Series:
    """(child - anchor) / (end - anchor), clipped to [0, 1]; 0 where the anchor is at or past the
    end; rows without a parent are anchored at the span's start."""
    c, a = _naive(child), _naive(anchor).fillna(t.start)
    span = (t.end - a).dt.total_seconds()
    frac = (c - a).dt.total_seconds() / span.where(span > 0)
    frac = frac.where(span > 0, 0.0).where(c.notna() & a.notna())
    return frac.clip(0.0, 1.0).astype("float64")


def _restore_time(fraction: pd.Series, anchor: pd.Series, a: TimeAnchor, dtype: Any) -> pd.Series:
    frac = pd.to_numeric(pd.Series(fraction).reset_index(drop=True), errors="coerce").clip(0, 1)
    base = _naive(pd.Series(anchor).reset_index(drop=True)).fillna(a.start)
    span = (a.end - base).dt.total_seconds().clip(lower=0)
    values = base + pd.to_timedelta(frac * span, unit="s")
    if a.unit == "D":
        values = values.dt.floor("D")
        values = values.where(values >= base.dt.normalize(), base.dt.normalize())
    else:
        values = values.dt.floor("s")
    tz = getattr(dtype, "tz", None)
    if tz is not None:
        values = values.dt.tz_localize("UTC").dt.tz_convert(tz)
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values


def _swap_toward(draws: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Children per parent summing to ``total`` (or as near as the draws allow), each parent's
    count one of its own draws from the count model (``draws``: draws x parents).

    Starting from the first draw, parents in random order switch to another of their draws when
    that moves the sum toward ``total``. Every count stays a draw from the parent's conditional
    distribution, so the histogram keeps its shape; adding the missing children one by one to
    random parents (what :func:`_fit_total` does for what is left) would create counts the
    source never has (8 children where the source stops at 7)."""
    counts = draws[0].copy()
    diff = total - int(counts.sum())
    for i in rng.permutation(draws.shape[1]):
        if diff == 0:
            break
        moves = draws[1:, i] - counts[i]
        better = np.abs(diff - moves) < abs(diff)
        if better.any():
            j = int(np.argmin(np.where(better, np.abs(diff - moves), np.inf)))
            counts[i] += moves[j]
            diff -= int(moves[j])
    return counts


#: Draws of children per parent the sample chooses from to reach the row count (see _swap_toward).
_COUNT_DRAWS = 4


def _fit_total(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Adjust drawn children-per-parent counts to sum to ``total`` while keeping their shape:
    surplus children are removed uniformly at random, missing ones added to parents in proportion
    to the children they already have."""
    counts = counts.copy()
    have = int(counts.sum())
    if have > total:
        slots = np.repeat(np.arange(len(counts)), counts)
        drop = rng.choice(len(slots), have - total, replace=False)
        np.subtract.at(counts, slots[drop], 1)
    elif have < total:
        weights = counts.astype(float) if have > 0 else np.ones(len(counts))
        extra = rng.multinomial(total - have, weights / weights.sum())
        counts += extra
    return counts
