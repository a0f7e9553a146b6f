"""Scores of a child table against its parents: do the synthetic tables join like the real ones?

* :func:`orphans`: child rows whose (non-null) foreign key matches no parent key. Must be 0.
* :func:`cardinality_accuracy`: 1 - total variation distance between the histograms of "children per
  parent" (parents with no children included) in the real and the synthetic pair of tables.
* :func:`cross_table_accuracy`: bivariate accuracy (1 - TVD of binned joint distributions, as in
  :func:`tabletwin.metrics.fidelity.fidelity`) of every (parent column, child column) pair after joining each
  child row to its parent, real vs synthetic.

All scores are in [0, 1] (1 = same) and hold no data value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from tabletwin.frames import datetime_ns
from tabletwin.metrics.fidelity import MAX_ROWS, _binner, _tvd

#: Children-per-parent counts above this share one histogram bin.
MAX_COUNT_BIN = 20
#: Most (parent column, child column) pairs scored per foreign key.
MAX_PAIRS = 200


@dataclass(frozen=True)
class RelationScore:
    """One foreign key of a child table. ``cross_table`` is None when a side has no modelled
    column to pair."""

    column: str
    parent: str
    orphans: int
    cardinality: float
    cross_table: float | None
    pairs: int = 0
    details: dict[str, float] = field(default_factory=dict)
    #: shares of parents with 0, 1, ... MAX_COUNT_BIN (and more) children: real, synthetic
    counts_real: tuple[float, ...] = ()
    counts_synthetic: tuple[float, ...] = ()
    #: event-time column of the child whose gaps were scored, and 1 - TVD of the histograms of
    #: time gaps between a parent's consecutive children (None without a time column)
    time_column: str | None = None
    sequence: float | None = None


def orphans(child_fk: pd.Series, parent_keys: pd.Series) -> int:
    """Child rows whose non-null key is not a parent key."""
    keys = set(parent_keys.dropna().tolist())
    return int((~child_fk.dropna().isin(keys)).sum())


def children_per_parent(child_fk: pd.Series, parent_keys: pd.Series) -> np.ndarray:
    """For every parent key, how many child rows point at it (zeros included)."""
    counts = child_fk.dropna().value_counts()
    return counts.reindex(parent_keys.dropna().unique(), fill_value=0).to_numpy(dtype=np.int64)


def cardinality_accuracy(real_fk: pd.Series, real_parents: pd.Series, syn_fk: pd.Series,
                         syn_parents: pd.Series) -> float:
    """1 - TVD of the children-per-parent histograms (counts >= MAX_COUNT_BIN share a bin)."""
    a = np.minimum(children_per_parent(real_fk, real_parents), MAX_COUNT_BIN)
    b = np.minimum(children_per_parent(syn_fk, syn_parents), MAX_COUNT_BIN)
    if len(a) == 0 or len(b) == 0:
        return 1.0 if len(a) == len(b) else 0.0
    return 1.0 - _tvd(a, b, MAX_COUNT_BIN + 1)


def fanout_accuracy(real_fk: pd.Series, real_parents: pd.Series, syn_fk: pd.Series,
                    syn_parents: pd.Series, bins: int = 10) -> float:
    """1 - TVD of children-per-parent counts in ``bins`` quantile bins of the real counts: tells
    large fan-outs apart (a district with 30 accounts from one with 500) where
    :func:`cardinality_accuracy` puts every count >= MAX_COUNT_BIN in one bin."""
    a = children_per_parent(real_fk, real_parents).astype(float)
    b = children_per_parent(syn_fk, syn_parents).astype(float)
    if len(a) == 0 or len(b) == 0:
        return 1.0 if len(a) == len(b) else 0.0
    edges = np.unique(np.quantile(a, np.linspace(0, 1, bins + 1))[1:-1])
    ca, cb = np.searchsorted(edges, a, side="right"), np.searchsorted(edges, b, side="right")
    return 1.0 - _tvd(ca, cb, len(edges) + 1)


def count_shares(child_fk: pd.Series, parent_keys: pd.Series) -> tuple[float, ...]:
    """Shares of parents with 0, 1, ... children (the last bin: MAX_COUNT_BIN or more)."""
    c = np.minimum(children_per_parent(child_fk, parent_keys), MAX_COUNT_BIN)
    if len(c) == 0:
        return ()
    return tuple(float(v) for v in np.round(np.bincount(c, minlength=MAX_COUNT_BIN + 1) / len(c), 6))


def _gaps(child: pd.DataFrame, fk: str, time_col: str) -> pd.Series:
    """Seconds between consecutive children of the same parent (log-scaled: log1p of seconds)."""
    d = child[[fk, time_col]].dropna()
    d = pd.DataFrame({"k": d[fk].to_numpy(), "t": datetime_ns(d[time_col])})
    d = d.sort_values(["k", "t"], kind="stable")
    same = d["k"].to_numpy()[1:] == d["k"].to_numpy()[:-1]
    secs = np.diff(d["t"].to_numpy()) / 1e9
    return pd.Series(np.log1p(np.clip(secs[same], 0, None)))


def sequence_accuracy(real_child: pd.DataFrame, syn_child: pd.DataFrame, fk: str,
                      time_col: str) -> float | None:
    """1 - TVD between the binned gaps of consecutive children per parent, real vs synthetic
    (None when either side has no parent with two children)."""
    a, b = _gaps(real_child, fk, time_col), _gaps(syn_child, fk, time_col)
    if len(a) == 0 or len(b) == 0:
        return None
    f = _binner(a)
    ra, sb = f(a), f(b)
    size = int(max(ra.max(initial=0), sb.max(initial=0))) + 1
    return float(1.0 - _tvd(ra, sb, size))


def _joined(child: pd.DataFrame, parent: pd.DataFrame, fk: str, pk: str,
            child_cols: list[str], parent_cols: list[str], rng: np.random.Generator) -> pd.DataFrame:
    c = child[[fk] + child_cols]
    if len(c) > MAX_ROWS:
        c = c.iloc[np.sort(rng.choice(len(c), MAX_ROWS, replace=False))]
    p = parent[[pk] + parent_cols].drop_duplicates(pk)
    p = p.rename(columns={col: f"parent.{col}" for col in parent_cols})
    return c.merge(p, how="inner", left_on=fk, right_on=pk)


def cross_table_accuracy(real_child: pd.DataFrame, real_parent: pd.DataFrame,
                         syn_child: pd.DataFrame, syn_parent: pd.DataFrame, *, fk: str, pk: str,
                         child_cols: list[str], parent_cols: list[str],
                         seed: int = 0) -> tuple[float | None, int]:
    """Mean bivariate accuracy over (parent column, child column) pairs after the join, and the
    number of pairs scored."""
    child_cols = [c for c in child_cols if c in real_child and c in syn_child and c != fk]
    parent_cols = [c for c in parent_cols if c in real_parent and c in syn_parent and c != pk]
    if not child_cols or not parent_cols:
        return None, 0
    rng = np.random.default_rng(seed)
    real = _joined(real_child, real_parent, fk, pk, child_cols, parent_cols, rng)
    syn = _joined(syn_child, syn_parent, fk, pk, child_cols, parent_cols, rng)
    if len(real) == 0 or len(syn) == 0:
        return None, 0
    pairs = list(product(parent_cols, child_cols))
    if len(pairs) > MAX_PAIRS:
        pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), MAX_PAIRS, replace=False))]
    scores = []
    for pc, cc in pairs:
        a, b = f"parent.{pc}", cc
        fa, fb = _binner(real[a]), _binner(real[b])
        ra, rb, sa, sb = fa(real[a]), fb(real[b]), fa(syn[a]), fb(syn[b])
        sz_b = int(max(rb.max(initial=0), sb.max(initial=0))) + 1
        size = (int(max(ra.max(initial=0), sa.max(initial=0))) + 1) * sz_b
        scores.append(1.0 - _tvd(ra * sz_b + rb, sa * sz_b + sb, size))
    return float(np.mean(scores)), len(pairs)


@dataclass(frozen=True)
class ParentData:
    """What the gate needs of one parent table for one foreign key of the child."""

    name: str
    key: str
    real: pd.DataFrame  # the parent's masked source
    synthetic: pd.DataFrame
    columns: tuple[str, ...]  # the parent's modelled (non-key, non-PII, non-text) columns


def relation_scores(real_child: pd.DataFrame, syn_child: pd.DataFrame,
                    parents: dict[str, ParentData], child_cols: list[str],
                    seed: int = 0) -> list[RelationScore]:
    """Scores of every foreign key of a child table (see module docstring)."""
    out = []
    times = [c for c in child_cols if c in real_child and c in syn_child
             and pd.api.types.is_datetime64_any_dtype(real_child[c].dtype)]
    for fk, p in parents.items():
        cross, n = cross_table_accuracy(real_child, p.real, syn_child, p.synthetic, fk=fk,
                                        pk=p.key, child_cols=child_cols,
                                        parent_cols=list(p.columns), seed=seed)
        out.append(RelationScore(
            column=fk, parent=p.name,
            orphans=orphans(syn_child[fk], p.synthetic[p.key]),
            cardinality=cardinality_accuracy(real_child[fk], p.real[p.key], syn_child[fk],
                                             p.synthetic[p.key]),
            cross_table=cross, pairs=n,
            counts_real=count_shares(real_child[fk], p.real[p.key]),
            counts_synthetic=count_shares(syn_child[fk], p.synthetic[p.key]),
            time_column=times[0] if times else None,
            sequence=sequence_accuracy(real_child, syn_child, fk, times[0]) if times else None))
    return out
