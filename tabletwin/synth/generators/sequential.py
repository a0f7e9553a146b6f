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
from sklearn.tree import DecisionTreeClassifier

from tabletwin.errors import GeneratorError, InputError
from tabletwin.synth.generators.base import Generator, TableMeta, register
from tabletwin.synth.generators.marginals import (Codec, ContinuousCodec, LevelsCodec, _as_float,
                                            _cast, check_enough_rows, fit_codec, model_values,
                                            restore)

#: Rows used to measure the dependence between columns when choosing the order.
_ORDER_ROWS = 20_000


class _ColumnModel:
    """How one column maps to tree classes (discretisation) and back (drawing values)."""

    def __init__(self, column: str, codec: Codec, null_rate: float):
        self.column = column
        self.codec = codec
        self.null_rate = null_rate
        # continuous: class c covers the uniform interval [u_lo[c], u_hi[c])
        self.u_lo: np.ndarray | None = None
        self.u_hi: np.ndarray | None = None
        # levels: class c < len(kept) is level kept[c]; the last class (if other_) is "other"
        self.kept: np.ndarray | None = None  # indices into codec.levels
        self.other = False
        self.pool_levels: np.ndarray | None = None  # indices drawn for "other"
        self.pool_cum: np.ndarray | None = None
        self.tail_p = 0.0  # share of "other" drawn from the codec's tail model (fresh values)

    @property
    def is_nominal(self) -> bool:
        return isinstance(self.codec, LevelsCodec) and not self.codec.ordinal

    # ---- fitting -------------------------------------------------------------------------------
    def fit_classes(self, s: pd.Series, rng: np.random.Generator, *, n_bins: int, max_levels: int,
                    rare_k: int) -> np.ndarray:
        """Fit the discretisation on the non-null values ``s``; return their class codes."""
        codec = self.codec
        if isinstance(codec, ContinuousCodec):
            x = _as_float(s, codec)
            u = _jittered_uniform(x, rng)
            # equal-mass bins; a run of bins that all decode to one value (heavy ties, e.g. zeros)
            # is one class, and the freed classes refine the rest of the range
            bins = n_bins
            while True:
                edges = np.linspace(0.0, 1.0, bins + 1)
                vals = codec.from_uniform(edges)
                point = vals[:-1] == vals[1:]
                keep = [0] + [j for j in range(1, bins)
                              if not (point[j - 1] and point[j] and vals[j] == vals[j - 1])]
                if len(keep) >= n_bins or bins >= 8 * n_bins:
                    break
                bins *= 2
            lo = edges[keep]
            self.u_lo = lo
            self.u_hi = np.append(lo[1:], 1.0)
            return np.clip(np.searchsorted(self.u_lo, u, side="right") - 1, 0, len(lo) - 1)
        assert isinstance(codec, LevelsCodec)
        # the codec stores only the frequent levels (seen >= rare_k times); rare values are not
        # in it (get_indexer: -1) and fall in the "other" class, which never emits them
        idx = pd.Index(codec.levels).get_indexer(pd.Index(s.to_numpy(dtype=object)))
        level_counts = np.asarray(codec.counts, dtype=float)
        rare_rows = float((idx < 0).sum())
        by_count = np.argsort(-level_counts, kind="stable")
        self.kept = np.sort(by_count[:max_levels])  # codec order: ascending for ordinal levels
        pool = np.setdiff1d(np.arange(len(codec.levels)), self.kept)
        self.other = len(pool) > 0 or rare_rows > 0
        # "other" draws a frequent level outside the modelled ones, or (identifier-like columns)
        # a fresh value from the codec's tail model, in proportion to the rows each stands for
        self.tail_p = 0.0
        if codec.tail is not None and rare_rows > 0:
            self.tail_p = rare_rows / (rare_rows + level_counts[pool].sum())
        if len(pool) == 0:
            pool = self.kept
        w = level_counts[pool]
        self.pool_levels = pool
        self.pool_cum = np.cumsum(w / w.sum()) if len(pool) and w.sum() > 0 else np.ones(0)
        if len(self.pool_cum):
            self.pool_cum[-1] = 1.0
        cls = np.full(len(codec.levels) + 1, len(self.kept), dtype=np.int64)
        cls[self.kept] = np.arange(len(self.kept))
        return cls[np.where(idx < 0, len(codec.levels), idx)]

    def features(self, s: pd.Series, classes: np.ndarray) -> np.ndarray:
        """Feature values of the non-null training values (what later trees condition on)."""
        if isinstance(self.codec, ContinuousCodec):
            return _as_float(s, self.codec)
        return classes.astype(float)

    def fixed_features(self, s: pd.Series) -> np.ndarray:
        """Feature values of given (fixed) values ``s`` for the trees after this column; NaN where null.

        Numeric/datetime: the value itself; levels: the class index (a level outside the modelled
        ones, even one never seen in fitting, is the "other" class; without an "other" class it is
        missing, NaN, to the trees)."""
        mask = s.isna().to_numpy()
        f = np.full(len(s), np.nan)
        if not (~mask).any() or self.codec.kind == "null":
            return f
        vals = s[~mask]
        codec = self.codec
        if isinstance(codec, ContinuousCodec):
            if codec.datetime_unit and not pd.api.types.is_datetime64_any_dtype(vals.dtype):
                vals = pd.to_datetime(vals)
            if codec.datetime_unit and codec.tz and getattr(vals.dt, "tz", None) is None:
                vals = vals.dt.tz_localize(codec.tz)
            if not codec.datetime_unit:
                vals = pd.to_numeric(vals)
            f[~mask] = _as_float(vals, codec)
            return f
        assert isinstance(codec, LevelsCodec)
        idx = pd.Index(codec.levels).get_indexer(pd.Index(vals.to_numpy(dtype=object)))
        cls = np.full(len(codec.levels), len(self.kept), dtype=np.int64)
        cls[self.kept] = np.arange(len(self.kept))
        codes = np.where(idx >= 0, cls[np.maximum(idx, 0)], len(self.kept)).astype(float)
        if not self.other:  # no "other" class was fitted: an unknown level is missing to the trees
            codes[codes >= len(self.kept)] = np.nan
        f[~mask] = codes
        return f

    # ---- sampling ------------------------------------------------------------------------------
    def decode(self, cls: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Values for drawn classes, and the feature values later trees see."""
        codec = self.codec
        if isinstance(codec, ContinuousCodec):
            u = self.u_lo[cls] + rng.random(len(cls)) * (self.u_hi[cls] - self.u_lo[cls])
            x = codec.from_uniform(u)
            return x, x.astype(float)
        assert isinstance(codec, LevelsCodec)
        out = np.empty(len(cls), dtype=object)
        known = cls < len(self.kept)
        out[known] = codec.levels[self.kept[cls[known]]]
        other = np.flatnonzero(~known)
        if len(other):
            tail = rng.random(len(other)) < getattr(self, "tail_p", 0.0)
            if tail.any():
                out[other[tail]] = codec.tail.sample(int(tail.sum()), rng)
            rest = other[~tail]
            if len(rest):
                pick = np.searchsorted(self.pool_cum, rng.random(len(rest)), side="right")
                out[rest] = codec.levels[self.pool_levels[np.minimum(pick,
                                                                     len(self.pool_levels) - 1)]]
        return out, cls.astype(float)


class _Step:
    """One factor of the sequence: a tree predicting a column's class (or null flag)."""

    def __init__(self, col: int, kind: str, parents: list[int]):
        self.col = col
        self.kind = kind  # "null" or "value"
        self.parents = parents  # feature columns (indices into the feature matrix)
        self.tree: DecisionTreeClassifier | None = None
        self.classes: np.ndarray | None = None
        self.leaf_cum: np.ndarray | None = None  # node id -> cumulative class distribution
        self.remaps: dict[int, np.ndarray] = {}  # nominal parent -> code order for this target

    def _remap(self, X: np.ndarray) -> np.ndarray:
        if not self.remaps:
            return X
        X = X.copy()
        for j, rank in self.remaps.items():
            ok = ~np.isnan(X[:, j])
            codes = X[ok, j].astype(np.int64)
            seen = codes < len(rank)
            X[ok, j] = np.where(seen, rank[np.minimum(codes, len(rank) - 1)], np.nan)
        return X

    def fit(self, X: np.ndarray, y: np.ndarray, *, nominal: list[int], score: np.ndarray,
            min_leaf: int, smoothing: float, seed: int) -> None:
        """``nominal``: parents holding unordered codes; they are re-ordered by the mean ``score``
        (a number per row that follows the target) so a split on them can group like levels."""
        self.classes = np.unique(y)
        if len(self.classes) > 1 and len(y):
            prior, mean = 10.0, float(score.mean())
            for j in nominal:
                ok = ~np.isnan(X[:, j])
                codes = X[ok, j].astype(np.int64)
                size = int(codes.max(initial=0)) + 1
                cnt = np.bincount(codes, minlength=size)
                tot = np.bincount(codes, weights=score[ok], minlength=size)
                smooth = (tot + prior * mean) / (cnt + prior)
                rank = np.empty(size)
                rank[np.argsort(smooth, kind="stable")] = np.arange(size)
                self.remaps[j] = rank
            X = self._remap(X)
        if len(self.classes) == 1 or X.shape[1] == 0:
            p = np.bincount(np.searchsorted(self.classes, y), minlength=len(self.classes))
            self.tree = None
            self.leaf_cum = _cumulative(p[None, :].astype(float))
            return
        tree = DecisionTreeClassifier(min_samples_leaf=min_leaf, random_state=seed)
        tree.fit(X, y)  # the caller silences "The number of unique classes" warnings
        t = tree.tree_
        counts = t.value[:, 0, :] * t.weighted_n_node_samples[:, None]  # fractions -> counts
        dist = counts / counts.sum(axis=1, keepdims=True)
        if smoothing > 0:  # shrink each node toward its (already shrunk) parent, top down
            parent = np.full(t.node_count, -1)
            for side in (t.children_left, t.children_right):
                has = side >= 0
                parent[side[has]] = np.flatnonzero(has)
            for node in range(1, t.node_count):  # sklearn numbers parents before children
                n_node = t.weighted_n_node_samples[node]
                dist[node] = (counts[node] + smoothing * dist[parent[node]]) / (n_node + smoothing)
        self.tree = tree
        self.leaf_cum = _cumulative(dist)

    def draw(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.tree is None:
            cum = np.broadcast_to(self.leaf_cum[0], (len(X), self.leaf_cum.shape[1]))
        else:
            cum = self.leaf_cum[self.tree.apply(self._remap(X))]
        r = rng.random(len(X))[:, None]
        pick = np.minimum((cum <= r).sum(axis=1), len(self.classes) - 1)
        return self.classes[pick]


def _cumulative(p: np.ndarray) -> np.ndarray:
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def _jittered_uniform(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rank-based uniform scores; tied values spread uniformly over their tie interval."""
    s = pd.Series(x)
    lo = s.rank(method="min").to_numpy() - 1
    hi = s.rank(method="max").to_numpy()
    return (lo + rng.random(len(x)) * (hi - lo)) / len(x)


def _mutual_information(codes: list[np.ndarray]) -> np.ndarray:
    d = len(codes)
    mi = np.zeros((d, d))
    n = len(codes[0]) if d else 0
    if n == 0:
        return mi
    sizes = [int(c.max()) + 1 for c in codes]
    for a in range(d):
        for b in range(a + 1, d):
            joint = np.bincount(codes[a] * sizes[b] + codes[b], minlength=sizes[a] * sizes[b])
            pj = joint.reshape(sizes[a], sizes[b]) / n
            pa, pb = pj.sum(axis=1, keepdims=True), pj.sum(axis=0, keepdims=True)
            nz = pj > 0
            mi[a, b] = mi[b, a] = float((pj[nz] * np.log(pj[nz] / (pa @ pb)[nz])).sum())
    return mi


def _greedy_order(mi: np.ndarray, start: list[int] | None = None) -> list[int]:
    """Start with ``start`` (if given) or else the column most tied to the others; then always add
    the one most tied to the chosen."""
    d = len(mi)
    if d == 0:
        return []
    order = list(start) if start else [int(np.argmax(mi.sum(axis=1)))]
    left = set(range(d)) - set(order)
    while left:
        cand = sorted(left)
        score = mi[np.ix_(cand, order)].sum(axis=1)
        nxt = cand[int(np.argmax(score))]
        order.append(nxt)
        left.remove(nxt)
    return order


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
        data-driven order). ``sample(conditions=...)`` can fix only a leading part of the order, so
        fit with the columns to condition on here.
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

    def fit(self, table: pd.DataFrame, meta: TableMeta | None = None, *,
            seed: int = 0) -> "SequentialTree":
        meta = meta or TableMeta()
        self._validate(meta.table)
        check_enough_rows(len(table), meta.table)
        first = list(self.first or ())
        for col in first:
            if col not in table.columns:
                raise GeneratorError("column named in first= is not in the table", table=meta.table,
                                     column=str(col))
        if len(set(first)) != len(first):
            raise GeneratorError("first= names a column twice", table=meta.table)
        rng = np.random.default_rng(seed)
        n = len(table)
        models: list[_ColumnModel] = []
        feats: list[np.ndarray] = []  # per column: feature values (NaN where null)
        targets: list[np.ndarray] = []  # per column: class codes (-1 where null)
        nulls: list[np.ndarray] = []
        for col in table.columns:
            original = table[col]
            s, number_format = model_values(original)
            mask = s.isna().to_numpy()
            try:
                codec = fit_codec(s[~mask], col, rare_k=self.rare_k, number_format=number_format,
                                  original=original[~mask], rng=rng)
            except GeneratorError as exc:
                raise GeneratorError(str(exc).split(": ", 1)[-1], table=meta.table,
                                     column=col) from None
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

        # dependence between the discretised columns (null as a class of its own) -> the order
        active = [i for i, m in enumerate(models) if m.codec.kind != "null"]
        sub = (np.sort(rng.choice(n, _ORDER_ROWS, replace=False)) if n > _ORDER_ROWS
               else np.arange(n))
        codes = [targets[i][sub] + 1 for i in active]
        mi = _mutual_information(codes)
        pos = {c: j for j, c in enumerate(active)}
        col_index = {c: i for i, c in enumerate(table.columns)}
        start = [pos[col_index[c]] for c in first if col_index[c] in pos]  # all-null: no step
        order = [active[j] for j in _greedy_order(mi, start)]

        min_leaf = max(self.min_samples_leaf, int(math.ceil(self.leaf_scale * math.sqrt(n))))
        X_all = np.column_stack(feats) if feats else np.zeros((n, 0))
        # every tree sees only the (already computed) features and targets, so the trees are
        # independent: plan them in order (seeds drawn in sequence), fit them on threads
        # (scikit-learn builds a tree without the GIL); the result does not depend on n_jobs
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

        def fit_step(job: tuple[_Step, np.ndarray | None, np.ndarray, list[int], np.ndarray,
                                int]) -> _Step:
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
                steps = [fit_step(job) for job in jobs]
            else:  # trees with the most parents (the slowest) first: the threads end together
                with ThreadPoolExecutor(threads) as pool:
                    by_cost = sorted(range(len(jobs)), key=lambda j: -len(jobs[j][0].parents))
                    futures = {j: pool.submit(fit_step, jobs[j]) for j in by_cost}
                    steps = [futures[j].result() for j in range(len(jobs))]

        self.columns_ = list(table.columns)
        self.models_ = models
        self.order_ = [self.columns_[c] for c in order]
        self.steps_ = steps
        self.min_leaf_ = min_leaf
        return self

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

    def sample(self, n: int | None = None, seed: int = 0,
               conditions: pd.DataFrame | None = None) -> pd.DataFrame:
        """``n`` synthetic rows. With ``conditions`` (one row per wanted row; ``n`` is then its length
        or None), its columns are fixed: copied as given (nulls allowed) and the other columns are
        drawn given them. The fixed columns must lead the fitted order (fit with ``first=``)."""
        self._check_fitted()
        if conditions is not None:
            conditions = self._check_conditions(conditions, n)
            n = len(conditions)
        if n is None:
            raise GeneratorError("sample() needs n (or conditions)")
        if n < 0:
            raise GeneratorError("cannot sample a negative number of rows")
        rng = np.random.default_rng(seed)
        if n == 0:
            return self._sample_chunk(0, rng, conditions)
        chunks = [self._sample_chunk(min(self.chunk_rows, n - start), rng,
                                     None if conditions is None
                                     else conditions.iloc[start:start + self.chunk_rows])
                  for start in range(0, n, self.chunk_rows)]
        return pd.concat(chunks, ignore_index=True)

    def _check_conditions(self, conditions: pd.DataFrame, n: int | None) -> pd.DataFrame:
        if not isinstance(conditions, pd.DataFrame):
            raise GeneratorError("conditions must be a DataFrame (one row per wanted row)")
        if n is not None and n != len(conditions):
            raise GeneratorError(f"n={n} differs from the {len(conditions)} rows of conditions")
        if len(set(conditions.columns)) != len(conditions.columns):
            raise GeneratorError("conditions name a column twice")
        for col in conditions.columns:
            if col not in self.columns_:
                raise GeneratorError("conditions name a column the generator was not fitted on",
                                     column=str(col))
        fixed = [c for c in self.order_ if c in conditions.columns]
        k = len(fixed)
        for j, col in enumerate(self.order_):
            if col in conditions.columns and j >= k:
                generated = next(c for c in self.order_[:j] if c not in conditions.columns)
                wanted = tuple(str(c) for c in conditions.columns)
                raise GeneratorError(
                    f"cannot condition on this column: it is drawn after the generated column "
                    f"{generated!r}; fit with first={wanted!r} to put the fixed columns first",
                    column=str(col))
        return conditions.reset_index(drop=True)
