"""Synthetic rows of a small class: the whole table's tree structure, the class's own leaves.

A class of a few dozen rows (``is_fraud = True`` at 0.1%) is too small to grow trees of its own
under the privacy floor (leaves of 80 rows), and a tree fitted on the whole table rarely splits on
it, so rows sampled "given the class" look like the majority. :func:`class_leaves` keeps what the
whole table teaches (the column order, the splits of every tree, the protected value grids, the
rare-category pooling) and re-estimates only the *distributions in the tree nodes* from the class's
rows, top down:

* the root of each tree: the class's distribution of that column, shrunk toward the whole table's
  (``prior`` pseudo-rows), so a level or bin the class never showed keeps a small chance;
* every other node: the class's rows routed to it, shrunk toward a guide (``smoothing``
  pseudo-rows), so a node holding one or two of the class's rows mostly repeats its guide. The
  guide is the class's parent node (``tilt=False``), or (``tilt=True``) the class's parent
  reweighted by how the whole table's distribution changes from that parent to this node, so a
  dependence both classes share (years of education given education) carries over to the class
  even where it has no rows.

Sampling then routes a row through the same splits and draws from the class's distributions.
With a strong ``smoothing`` and ``tilt=False`` (the default, what ``upsample_class`` uses) the
class's rows follow its own marginals closely and its dependencies only where its few rows show
them: on the census benchmark that trained better classifiers than the more faithful ``tilt=True``
(AUC-PR 0.685 vs 0.668 at 30 minority rows, tuning seed 10), so the default favours that use; a
table meant to be *read* rather than learned from may prefer ``tilt=True``. Privacy: every
tree node still holds at least ``min_samples_leaf`` rows of the whole table, values are drawn
from bins of the protected grids (never copied), categories rarer than ``rare_k`` in the table are
never emitted, and a class row alone in a node weighs ``1 / (1 + smoothing)`` there at most; the
minority checks (:func:`tabletwin.metrics.privacy.minority_privacy`) measure what is left.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from scipy import sparse

from tabletwin.errors import GeneratorError
from tabletwin.synth.generators.marginals import ContinuousCodec, LevelsCodec, _as_float
from tabletwin.synth.generators.sequential import SequentialTree
from tabletwin.synth.generators.sequential_factors import _ColumnModel, _cumulative


def _continuous_classes(model: _ColumnModel, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Bin classes of given values on the fitted grid (a value on a run of tied grid points gets a
    uniform position inside the run, as the jittered ranks did at fit time)."""
    codec = model.codec
    assert isinstance(codec, ContinuousCodec)
    x = _as_float(s, codec)
    grid = codec.grid
    probs = np.linspace(0.0, 1.0, len(grid))
    uniq, first = np.unique(grid, return_index=True)
    last = np.append(first[1:] - 1, len(grid) - 1)
    j = np.clip(np.searchsorted(uniq, x), 0, len(uniq) - 1)
    exact = uniq[j] == x
    u = np.empty(len(x))
    lo, hi = probs[first[j]], probs[last[j]]
    u[exact] = lo[exact] + rng.random(int(exact.sum())) * (hi[exact] - lo[exact])
    # between grid points: interpolate from the last point of the run below to the first above
    k = ~exact
    below = np.clip(j[k] - 1, 0, len(uniq) - 1)
    x0, x1 = uniq[below], uniq[j[k]]
    p0, p1 = probs[last[below]], probs[first[j[k]]]
    w = np.where(x1 > x0, (x[k] - x0) / np.where(x1 > x0, x1 - x0, 1.0), 0.5)
    u[k] = np.clip(p0 + np.clip(w, 0.0, 1.0) * (p1 - p0), 0.0, 1.0)
    return np.clip(np.searchsorted(model.u_lo, u, side="right") - 1, 0, len(model.u_lo) - 1)


def _encode(gen: SequentialTree, rows: pd.DataFrame,
            rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Features (as the trees see them), target classes (-1: null or unmodelled) and null masks
    of ``rows`` under the fitted generator's encodings."""
    n, d = len(rows), len(gen.models_)
    X = np.full((n, d), np.nan)
    targets: list[np.ndarray] = []
    nulls: list[np.ndarray] = []
    for c, (col, model) in enumerate(zip(gen.columns_, gen.models_)):
        s = rows[col].reset_index(drop=True)
        mask = s.isna().to_numpy()
        y = np.full(n, -1, dtype=np.int64)
        if model.codec.kind != "null" and (~mask).any():
            X[:, c] = model.fixed_features(s)
            if isinstance(model.codec, LevelsCodec):
                f = X[~mask, c]
                y[~mask] = np.where(np.isnan(f), -1, np.nan_to_num(f, nan=-1)).astype(np.int64)
            else:
                y[~mask] = _continuous_classes(model, s[~mask], rng)
        targets.append(y)
        nulls.append(mask)
    return X, targets, nulls


def class_leaves(gen: SequentialTree, rows: pd.DataFrame, *, smoothing: float = 10.0,
                 prior: float = 5.0, tilt: bool = False, seed: int = 0) -> SequentialTree:
    """A copy of the fitted ``gen`` whose node distributions are re-estimated from ``rows`` (e.g.
    the minority class's rows of the table ``gen`` was fitted on), see the module docstring."""
    gen._check_fitted()
    if len(rows) == 0:
        raise GeneratorError("no rows to estimate the class's distributions from")
    missing = [c for c in gen.columns_ if c not in rows.columns]
    if missing:
        raise GeneratorError("rows lack a fitted column", column=str(missing[0]))
    if smoothing < 0 or prior < 0:
        raise GeneratorError("smoothing and prior must be >= 0")
    rng = np.random.default_rng(seed)
    X, targets, nulls = _encode(gen, rows, rng)
    out = copy.copy(gen)
    out.steps_ = []
    for step in gen.steps_:
        new = copy.copy(step)
        if step.kind == "null":
            sel = np.arange(len(rows))
            y = nulls[step.col].astype(np.int64)
        else:
            sel = np.flatnonzero(~nulls[step.col] & (targets[step.col] >= 0))
            y = targets[step.col][sel]
        k = len(step.classes)
        cls = np.searchsorted(step.classes, y)
        ok = (cls < k) & (step.classes[np.minimum(cls, k - 1)] == y)
        sel, cls = sel[ok], cls[ok]
        onehot = sparse.csr_matrix((np.ones(len(cls)), (np.arange(len(cls)), cls)),
                                   shape=(len(cls), k))
        base = np.diff(np.concatenate([np.zeros((len(step.leaf_cum), 1)), step.leaf_cum],
                                      axis=1), axis=1)  # the whole table's node distributions
        if step.tree is None:
            counts = np.asarray(onehot.sum(axis=0)).reshape(1, k)
            parent = np.array([-1])
        else:
            Xs = step._remap(X[np.ix_(sel, step.parents)])
            path = step.tree.decision_path(Xs) if len(sel) else \
                sparse.csr_matrix((0, step.tree.tree_.node_count))
            counts = np.asarray((path.T @ onehot).todense())
            t = step.tree.tree_
            parent = np.full(t.node_count, -1)
            for side in (t.children_left, t.children_right):
                has = side >= 0
                parent[side[has]] = np.flatnonzero(has)
        size = counts.sum(axis=1)
        dist = np.empty_like(base)
        dist[0] = (counts[0] + prior * base[0]) / max(size[0] + prior, 1e-12)
        for node in range(1, len(dist)):  # parents are numbered before their children
            up = parent[node]
            if tilt:  # the class's parent, tilted as the whole table changes from parent to node
                guide = dist[up] * base[node] / np.maximum(base[up], 1e-12)
                guide = guide / guide.sum() if guide.sum() > 0 else dist[up]
            else:
                guide = dist[up]
            dist[node] = (counts[node] + smoothing * guide) / max(size[node] + smoothing, 1e-12)
        new.leaf_cum = _cumulative(np.maximum(dist, 0.0) + 1e-15)
        out.steps_.append(new)
    return out


#: From this many class rows on, the class gets a tree of its own (the default privacy leaves of
#: 80 rows still leave it a dozen leaves or more); below, :func:`class_leaves`.
DEDICATED_MIN_ROWS = 1000


def upsample_class(table: pd.DataFrame, column: str, value: object, n: int, *, seed: int = 0,
                   params: dict | None = None, smoothing: float = 300.0, prior: float = 5.0,
                   tilt: bool = False,
                   dedicated_min_rows: int = DEDICATED_MIN_ROWS) -> pd.DataFrame:
    """``n`` synthetic rows of the class ``column == value`` of ``table``.

    A small class (fewer than ``dedicated_min_rows`` rows): a sequential tree fitted on the whole
    table with ``column`` first, its node distributions re-estimated from the class's rows
    (:func:`class_leaves`), sampled with ``column`` fixed to ``value``. A large class: a
    sequential tree (same privacy parameters) fitted on the class's rows alone.

    ``smoothing`` 300 was chosen on the census upsampling benchmark with seeds the reported
    figures do not use (300 and 1000 were best at 30 and 150 minority rows, 10 to 100 worse)."""
    if column not in table.columns:
        raise GeneratorError("column to upsample is not in the table", column=column)
    mask = (table[column] == value).to_numpy()
    if not mask.any():
        raise GeneratorError("the class to upsample has no rows", column=column)
    if mask.sum() >= dedicated_min_rows:
        gen = SequentialTree(**(params or {})).fit(table[mask].reset_index(drop=True), seed=seed)
        return gen.sample(n, seed=seed + 1)
    params = {"rare_k": 1, **(params or {})} if mask.sum() < 5 else dict(params or {})
    gen = SequentialTree(first=(column,), **params).fit(table, seed=seed)
    gen_c = class_leaves(gen, table[mask], smoothing=smoothing, prior=prior, tilt=tilt,
                         seed=seed)
    cond = pd.DataFrame({column: pd.Series([value] * n, dtype=table[column].dtype)})
    return gen_c.sample(seed=seed + 1, conditions=cond)
