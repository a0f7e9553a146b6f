"""Child tables generated from their parents' synthetic rows.

A child table (one with foreign keys) is not sampled on its own: its generator is a pipeline with a
relation step (:class:`tabletwin.synth.relation.RelationStep`) that learns

* **how many children each parent has, given the parent's attributes** (a sequential tree over the
  parent's context columns and the child count, fitted on every parent, those without children
  included), and draws that count for every *synthetic* parent;
* **the child's columns given its parents' attributes**: the child rows are joined to their parents
  and the table's sequential tree is fitted with the parent columns first (``TableMeta.fixed``),
  so that at sample time each synthetic child row is drawn given the synthetic parent it belongs
  to (loan amount given the district's salary, transaction amount given the account type);
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

from tabletwin.frames import datetime_to_ns, is_datetime, utc_naive

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
