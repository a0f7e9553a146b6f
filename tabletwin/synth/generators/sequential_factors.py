"""The pieces of the sequential tree (:mod:`tabletwin.synth.generators.sequential`): how one column
maps to tree classes and back (:class:`_ColumnModel`), one factor of the sequence (:class:`_Step`, a
smoothed decision tree), and the mutual-information column order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from tabletwin.synth.generators.marginals import Codec, ContinuousCodec, LevelsCodec, _as_float



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
        # no level modelled (every level rare, e.g. a parent's name column): all are "other"
        codes = (np.where(idx >= 0, cls[np.maximum(idx, 0)], len(self.kept)) if len(cls)
                 else np.full(len(idx), len(self.kept))).astype(float)
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


