"""Sequential tree generator: each column drawn from a decision-tree leaf given the columns before it.

The table is factorised as p(x1) p(x2 | x1) ... p(xd | x1..xd-1) in an order chosen from the data (greedy
by mutual information of the discretised columns, so strongly linked columns come early and condition
the rest). Every factor is a ``DecisionTreeClassifier`` over a *discretised* target; at sample time a
synthetic row is routed to a leaf and its value drawn from that leaf's class distribution.

Privacy is part of the model, not a filter afterwards:

* leaves are large (``min_samples_leaf``, growing with the table size), and each leaf's distribution is
  shrunk toward its parent node's (``smoothing``), so no leaf describes a single person;
* numeric and datetime targets are coarse quantile bins of the column's *protected* grid
  (:mod:`tabletwin.synth.generators.marginals`); a drawn bin becomes a value by interpolating the grid at a
  uniform position inside the bin, then rounding to the column's precision: values are never copied from
  a training row and never lie beyond the k-th smallest/largest value;
* categories seen fewer than ``rare_k`` times are never emitted: they share an "other" class with the
  infrequent tail, and "other" is drawn from the frequent categories outside the modelled top levels;
* missing values are a step of their own (a null indicator per nullable column, modelled in sequence
  just before the column's value), so null rates and null patterns follow the data.
"""

from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from tabletwin.errors import GeneratorError
from tabletwin.synth.generators.base import Generator, TableMeta, register
from tabletwin.synth.generators.marginals import (ContinuousCodec, LevelsCodec, _cast,
                                                  check_enough_rows, fit_column_codec, restore)
# generators pickled before the factors moved name them under this module: keep them importable
from tabletwin.synth.generators.sequential_factors import (_ColumnModel, _Step,  # noqa: F401
                                                           _cumulative, _greedy_order,
                                                           _mutual_information)

#: Rows used to measure the dependence between columns when choosing the order.
_ORDER_ROWS = 20_000

@register
class SequentialTree(Generator):
    """Sequential decision trees with privacy built in (large leaves, binned draws, rare-level pooling).

    Parameters
    ----------
    min_samples_leaf: smallest leaf of any tree (no leaf describes fewer people than this). Above
        ``n_bins``, so that a leaf's distribution over the bins of a numeric target is not a copy
        of the positions of its few rows (on small tables that drew synthetic rows toward training
        rows: DCR share 0.55 on a 5,000-row table with leaves of 36, 0.51 with 80).
    leaf_scale: leaves also grow with the table: ``max(min_samples_leaf, leaf_scale * sqrt(n))`` rows
        (about 100 on 40,000 rows), so leaves stay few hundredths of a percent of a large table but
        never a handful of people.
    smoothing: pseudo-count pulling each leaf's distribution toward its parent node's.
    n_bins: quantile bins a numeric/datetime column is discretised into as a tree target.
    max_levels: most categories modelled individually per column; the rest share an "other" class.
    rare_k: categories seen fewer than ``rare_k`` times are never emitted.
    max_parents: most earlier columns a tree conditions on (the most informative, by mutual information).
    chunk_rows: rows sampled per chunk (bounds memory).
    n_jobs: threads fitting the trees (None: one per core); the fitted model is the same for any.
    first: columns forced to the start of the column order, in this order (the rest follow in the
        data-driven order). ``sample(conditions=...)`` fixes a leading part of the order natively,
        so fit with the columns to condition on here (``TableMeta.fixed`` columns lead before
        these); categories later in the order are fixed by rejection sampling.
    """

    name = "sequential_tree"

    def __init__(self, min_samples_leaf: int = 80, leaf_scale: float = 0.5,
                 smoothing: float = 10.0, n_bins: int = 64, max_levels: int = 50, rare_k: int = 5,
                 max_parents: int = 20, chunk_rows: int = 100_000, n_jobs: int | None = None,
                 first: tuple[str, ...] = ()):
        self.min_samples_leaf = min_samples_leaf
        self.leaf_scale = leaf_scale
        self.smoothing = smoothing
        self.n_bins = n_bins
        self.max_levels = max_levels
        self.rare_k = rare_k
        self.max_parents = max_parents
        self.chunk_rows = chunk_rows
        self.n_jobs = n_jobs
        self.first = first

    def _validate(self, table: str) -> None:
        checks = [
            (self.min_samples_leaf >= 1, "min_samples_leaf must be >= 1"),
            (self.leaf_scale >= 0, "leaf_scale must be >= 0"),
            (self.smoothing >= 0, "smoothing must be >= 0"),
            (self.n_bins >= 2, "n_bins must be >= 2"),
            (self.max_levels >= 1, "max_levels must be >= 1"),
            (self.rare_k >= 1, "rare_k must be >= 1"),
            (self.max_parents >= 0, "max_parents must be >= 0"),
            (self.chunk_rows >= 1, "chunk_rows must be >= 1"),
            (self.n_jobs is None or self.n_jobs >= 1, "n_jobs must be >= 1"),
            (not isinstance(self.first, str), "first must be a list of column names, not a string"),
        ]
        for ok, msg in checks:
            if not ok:
                raise GeneratorError(msg, table=table)

    def _first(self, table: pd.DataFrame, meta: TableMeta) -> list[str]:
        """Columns leading the order: those the caller will fix (``meta.fixed``), then ``first``."""
        first = list(meta.fixed) + [c for c in (self.first or ()) if c not in meta.fixed]
        for col in first:
            if col not in table.columns:
                raise GeneratorError("column named in first= is not in the table", table=meta.table,
                                     column=str(col))
        if len(set(first)) != len(first):
            raise GeneratorError("first= names a column twice", table=meta.table)
        return first

    def _fit(self, table: pd.DataFrame, meta: TableMeta, seed: int) -> None:
        self._validate(meta.table)
        check_enough_rows(len(table), meta.table)
        first = self._first(table, meta)
        rng = np.random.default_rng(seed)
        n = len(table)
        models, feats, targets, nulls = self._fit_columns(table, meta, rng)
        order, mi, pos = self._choose_order(table, models, targets, first, rng)
        min_leaf = max(self.min_samples_leaf, int(math.ceil(self.leaf_scale * math.sqrt(n))))
        X_all = np.column_stack(feats) if feats else np.zeros((n, 0))
        jobs = self._plan_steps(order, mi, pos, models, targets, nulls, rng)
        self.models_ = models
        self.order_ = [table.columns[c] for c in order]
        self.steps_ = self._fit_steps(jobs, X_all, min_leaf)
        self.min_leaf_ = min_leaf

    def leads_with(self, columns: list[str]) -> bool:
        return hasattr(self, "order_") and set(self.order_[:len(columns)]) == set(columns)

    def _fit_columns(self, table: pd.DataFrame, meta: TableMeta, rng: np.random.Generator
                     ) -> tuple[list[_ColumnModel], list[np.ndarray], list[np.ndarray],
                                list[np.ndarray]]:
        """Per column: its model (codec and classes), feature values (NaN where null), class
        codes (-1 where null) and null mask."""
        n = len(table)
        models: list[_ColumnModel] = []
        feats: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        nulls: list[np.ndarray] = []
        for col in table.columns:
            codec, s, mask = fit_column_codec(table[col], col, rare_k=self.rare_k, rng=rng,
                                              table=meta.table)
            model = _ColumnModel(col, codec, float(mask.mean()))
            f = np.full(n, np.nan)
            y = np.full(n, -1, dtype=np.int64)
            if codec.kind != "null":
                vals = s[~mask]
                cls = model.fit_classes(vals, rng, n_bins=self.n_bins,
                                        max_levels=self.max_levels, rare_k=self.rare_k)
                y[~mask] = cls
                f[~mask] = model.features(vals, cls)
            models.append(model)
            feats.append(f)
            targets.append(y)
            nulls.append(mask)
        return models, feats, targets, nulls

    @staticmethod
    def _choose_order(table: pd.DataFrame, models: list[_ColumnModel], targets: list[np.ndarray],
                      first: list[str], rng: np.random.Generator
                      ) -> tuple[list[int], np.ndarray, dict[int, int]]:
        """The column order (indices into the table's columns): ``first`` leads, the rest by
        dependence between the discretised columns (null as a class of its own). Also the mutual
        information matrix and each active column's position in it."""
        n = len(table)
        active = [i for i, m in enumerate(models) if m.codec.kind != "null"]
        sub = (np.sort(rng.choice(n, _ORDER_ROWS, replace=False)) if n > _ORDER_ROWS
               else np.arange(n))
        mi = _mutual_information([targets[i][sub] + 1 for i in active])
        pos = {c: j for j, c in enumerate(active)}
        col_index = {c: i for i, c in enumerate(table.columns)}
        start = [pos[col_index[c]] for c in first if col_index[c] in pos]  # all-null: no step
        return [active[j] for j in _greedy_order(mi, start)], mi, pos

    def _plan_steps(self, order: list[int], mi: np.ndarray, pos: dict[int, int],
                    models: list[_ColumnModel], targets: list[np.ndarray],
                    nulls: list[np.ndarray], rng: np.random.Generator) -> list[tuple]:
        """The trees to fit, in order, each with its rows, target, nominal parents, score and seed
        (seeds drawn in sequence, so the model does not depend on how the trees are fitted)."""
        jobs: list[tuple[_Step, np.ndarray | None, np.ndarray, list[int], np.ndarray, int]] = []
        for k, col in enumerate(order):
            earlier = order[:k]
            if len(earlier) > self.max_parents:
                ranked = sorted(earlier, key=lambda e: -mi[pos[col], pos[e]])
                earlier = sorted(ranked[: self.max_parents], key=order.index)
            model = models[col]
            nominal = [j for j, e in enumerate(earlier) if models[e].is_nominal]
            if 0.0 < model.null_rate < 1.0:
                y = nulls[col].astype(np.int64)
                jobs.append((_Step(col, "null", earlier), None, y, nominal, y.astype(float),
                             int(rng.integers(2**31 - 1))))
            present = ~nulls[col]
            y = targets[col][present]
            if model.is_nominal:  # unordered classes: follow the share of the commonest class
                score = (y == np.bincount(y).argmax()).astype(float) if len(y) else y.astype(float)
            else:  # ordered classes (bins, ordinal levels): follow the class index
                score = y.astype(float)
            jobs.append((_Step(col, "value", earlier), present, y, nominal, score,
                         int(rng.integers(2**31 - 1))))
        return jobs

    def _fit_steps(self, jobs: list[tuple], X_all: np.ndarray, min_leaf: int) -> list[_Step]:
        """Fit the planned trees. Every tree sees only the (already computed) features and
        targets, so they are independent: fitted on threads (scikit-learn builds a tree without
        the GIL); the result does not depend on ``n_jobs``."""
        def fit_step(job: tuple) -> _Step:
            step, rows, y, nominal, score, step_seed = job
            X = X_all[:, step.parents] if rows is None else X_all[np.ix_(rows, step.parents)]
            step.fit(X, y, nominal=nominal, score=score, min_leaf=min_leaf,
                     smoothing=self.smoothing, seed=step_seed)
            return step

        threads = max(1, min(self.n_jobs or os.cpu_count() or 1, len(jobs)))
        with warnings.catch_warnings():  # many classes on few rows is expected here, not a bug
            warnings.filterwarnings("ignore", message="The number of unique classes",
                                    category=UserWarning)
            if threads == 1:
                return [fit_step(job) for job in jobs]
            # trees with the most parents (the slowest) first: the threads end together
            with ThreadPoolExecutor(threads) as pool:
                by_cost = sorted(range(len(jobs)), key=lambda j: -len(jobs[j][0].parents))
                futures = {j: pool.submit(fit_step, jobs[j]) for j in by_cost}
                return [futures[j].result() for j in range(len(jobs))]

    def _sample_chunk(self, n: int, rng: np.random.Generator,
                      fixed: pd.DataFrame | None = None) -> pd.DataFrame:
        d = len(self.models_)
        X = np.full((n, d), np.nan)
        values: list[np.ndarray | None] = [None] * d
        null_masks = [np.full(n, m.null_rate >= 1.0 or m.codec.kind == "null")
                      for m in self.models_]
        fixed_out: dict[int, pd.Series] = {}
        if fixed is not None:  # given values: copied to the output, seen by the later trees
            for c, (col, model) in enumerate(zip(self.columns_, self.models_)):
                if col not in fixed.columns:
                    continue
                given = fixed[col].reset_index(drop=True)
                mask = given.isna().to_numpy()
                X[:, c] = model.fixed_features(given)
                null_masks[c] = mask
                out_vals = pd.Series(given.to_numpy(dtype=object), dtype=object)
                out_vals[mask] = None
                fixed_out[c] = _cast(out_vals, model.codec.dtype, bool(mask.any()))
        for step in self.steps_:
            if step.col in fixed_out:
                continue
            model = self.models_[step.col]
            rows = np.arange(n) if step.kind == "null" else np.flatnonzero(~null_masks[step.col])
            Xs = X[np.ix_(rows, step.parents)] if n else np.zeros((0, len(step.parents)))
            drawn = step.draw(Xs, rng) if len(rows) else np.zeros(0, dtype=np.int64)
            if step.kind == "null":
                null_masks[step.col] = drawn.astype(bool)
                continue
            vals, f = model.decode(drawn.astype(np.int64), rng)
            full = np.empty(n, dtype=vals.dtype if vals.dtype != object else object)
            if len(rows):
                full[rows] = vals
            values[step.col] = full
            X[rows, step.col] = f
        out: dict[str, pd.Series] = {}
        for c, (col, model, vals, mask) in enumerate(zip(self.columns_, self.models_, values,
                                                         null_masks)):
            if c in fixed_out:
                out[col] = fixed_out[c]
                continue
            if vals is None:
                vals = np.empty(n, dtype=object)
            if isinstance(model.codec, ContinuousCodec) and mask.any():
                vals = np.where(mask, 0.0, vals.astype(float))  # placeholder under the null mask
            out[col] = restore(vals, mask, model.codec)
        return pd.DataFrame(out, columns=self.columns_)

    def _sample(self, n: int, seed: int) -> pd.DataFrame:
        return self._sample_fixed(n, seed, None)

    def _sample_fixed(self, n: int, seed: int, conditions: pd.DataFrame | None) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        if n == 0:
            return self._sample_chunk(0, rng, conditions)
        chunks = [self._sample_chunk(min(self.chunk_rows, n - start), rng,
                                     None if conditions is None
                                     else conditions.iloc[start:start + self.chunk_rows])
                  for start in range(0, n, self.chunk_rows)]
        return pd.concat(chunks, ignore_index=True)

    def _sample_conditioned(self, conditions: pd.DataFrame, seed: int) -> pd.DataFrame:
        """Natively when the fixed columns lead the fitted order (fit with ``first=``): they are
        copied as given (nulls allowed) and the other columns drawn given them. Otherwise
        categories can still be fixed by the base class's rejection sampling; numbers and times
        cannot (an exact value is almost never drawn), and the error says how to fit for them."""
        k = sum(c in conditions.columns for c in self.order_)
        late = [j for j, c in enumerate(self.order_) if c in conditions.columns and j >= k]
        if not late:
            return self._sample_fixed(len(conditions), seed, conditions)
        models = dict(zip(self.columns_, self.models_))
        if all(isinstance(models[c].codec, LevelsCodec) for c in conditions.columns):
            return super()._sample_conditioned(conditions, seed)
        col = self.order_[late[0]]
        generated = next(c for c in self.order_[:late[0]] if c not in conditions.columns)
        wanted = tuple(str(c) for c in conditions.columns)
        raise GeneratorError(
            f"cannot condition on this column: it is drawn after the generated column "
            f"{generated!r}; fit with first={wanted!r} to put the fixed columns first",
            column=str(col))
