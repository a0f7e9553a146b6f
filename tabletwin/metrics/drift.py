"""Drift of today's source against the rows the stored model was fitted on.

A fitted model carries a :class:`DriftReference`: per column, the shares of the fit rows in a few
bins (numbers and dates: the fit rows' deciles; categories: the levels seen at least ``RARE_K``
times, the rest pooled in one "other" bucket; nulls in their own bucket), the fit row count, and
keyed 64-bit digests of the primary key. Nothing in it is a raw value of a rare level: bin edges
are deciles (each has 10% of the rows on either side), levels are common ones, keys are digests.

Each day the same bins are filled with today's rows and two distances are taken per column:

* **PSI** (population stability index), ``sum((p - q) * ln(p / q))`` with empty buckets floored at
  1e-4. The definition, the floor and the 0.1 threshold are Evidently's (``psi`` stattest); unlike
  Evidently, which bins reference and current together into 30 equal-width bins, the bins here are
  fixed at fit time (the reference rows are not kept, only their shares) and are deciles, the usual
  recommendation for PSI (equal-width bins leave most buckets empty on skewed money columns).
* **Total variation distance**, ``0.5 * sum(|p - q|)``: the share of rows that would have to move,
  the figure NannyML and the quality gate's fidelity use for categories.

For the table: the row count change and the share of today's keys the model never saw.

Written here rather than taken from Evidently or NannyML: both pull in large dependency trees
(plotly, scipy stacks, their own pandas pins) for two sums over ten buckets, and neither can fill
bins from a stored reference without the reference rows, which tabletwin does not keep.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tabletwin.frames import as_numbers, is_numeric
from tabletwin.protection import RARE_K, fold

#: Buckets of a numeric or date column: deciles of the fit rows.
BINS = 10
#: Most keys whose digests a reference keeps (8 bytes each); a larger table's keys are not compared.
MAX_KEYS = 10_000_000
#: Floor of an empty bucket's share in PSI (Evidently's value).
PSI_FLOOR = 1e-4
NULL, OTHER = "<null>", "<other>"


def _digest(value: object, salt: bytes) -> int:
    h = hashlib.blake2b(str(value).encode("utf-8"), digest_size=8, key=salt)
    return int.from_bytes(h.digest(), "big", signed=True)


@dataclass(frozen=True)
class ColumnReference:
    """The fit rows of one column, as bucket shares (see the module docstring)."""

    name: str
    kind: str  # "numeric" or "categorical"
    edges: tuple[float, ...] = ()  # inner decile edges (numeric)
    levels: tuple[str, ...] = ()  # common levels (categorical), folded
    shares: tuple[float, ...] = ()  # one per bucket: bins or levels, then other, then null

    def buckets(self, s: pd.Series) -> np.ndarray:
        """Shares of ``s`` in this reference's buckets."""
        n = len(s)
        if n == 0:
            return np.zeros(len(self.shares))
        null = s.isna().to_numpy()
        if self.kind == "numeric":
            x = as_numbers(s)
            null |= np.isnan(x)
            idx = np.searchsorted(np.asarray(self.edges), x[~null], side="right")
            counts = np.bincount(idx, minlength=len(self.edges) + 1).astype(float)
            counts = np.append(counts, 0.0)  # numeric columns have no "other" bucket in use
        else:
            pos = {lv: i for i, lv in enumerate(self.levels)}
            folded = [fold(v) for v in s[~null]]
            idx = np.array([pos.get(v, len(self.levels)) for v in folded], dtype=int)
            counts = np.bincount(idx, minlength=len(self.levels) + 1).astype(float)
        return np.append(counts, float(null.sum())) / n

    @classmethod
    def of(cls, s: pd.Series) -> "ColumnReference":
        if is_numeric(s):
            x = as_numbers(s)
            x = x[~np.isnan(x)]
            edges = tuple(np.unique(np.quantile(x, np.linspace(0, 1, BINS + 1)[1:-1]))) \
                if len(x) >= 2 * BINS else ()
            ref = cls(s.name, "numeric", edges=tuple(float(e) for e in edges))
        else:
            counts = pd.Series([fold(v) for v in s.dropna()], dtype=object).value_counts()
            ref = cls(s.name, "categorical", levels=tuple(str(v) for v in counts[counts >= RARE_K].index))
        return cls(ref.name, ref.kind, ref.edges, ref.levels, tuple(ref.buckets(s).tolist()))


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    psi: float
    tvd: float


def column_drift(ref: ColumnReference, s: pd.Series) -> ColumnDrift:
    then, now = np.asarray(ref.shares), ref.buckets(s)
    p, q = np.maximum(then, PSI_FLOOR), np.maximum(now, PSI_FLOOR)
    psi = float(np.sum((q - p) * np.log(q / p)))
    tvd = float(0.5 * np.abs(then - now).sum())
    return ColumnDrift(ref.name, round(psi, 4), round(tvd, 4))


@dataclass(frozen=True)
class TableDrift:
    rows_then: int
    rows_now: int
    new_key_share: float | None  # share of today's keys not among the fit rows' (None: no key)
    columns: tuple[ColumnDrift, ...] = ()
    added: tuple[str, ...] = ()  # columns today that the model was not fitted on
    missing: tuple[str, ...] = ()  # fit columns absent today
    gone_keys: int | None = None  # keys at fit time absent today: deleted rows (None: no key)

    @property
    def row_change(self) -> float:
        return (self.rows_now - self.rows_then) / max(self.rows_then, 1)

    def worst(self) -> ColumnDrift | None:
        return max(self.columns, key=lambda d: d.psi, default=None)

    def as_dict(self) -> dict:
        worst = self.worst()
        return {"rows_then": self.rows_then, "rows_now": self.rows_now,
                "row_change": round(self.row_change, 4), "new_key_share": self.new_key_share,
                "gone_keys": self.gone_keys,
                "worst_column": worst.column if worst else None,
                "worst_psi": worst.psi if worst else None,
                "psi": {d.column: d.psi for d in self.columns},
                "tvd": {d.column: d.tvd for d in self.columns}}


@dataclass(frozen=True)
class DriftReference:
    """What a fitted model remembers of its fit rows, to measure drift against later."""

    rows: int
    columns: tuple[ColumnReference, ...]
    key_digests: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def of(cls, df: pd.DataFrame, *, key: str | None = None, salt: bytes = b"",
           columns: list[str] | None = None, rows: int | None = None,
           keys: pd.Series | None = None) -> "DriftReference":
        """``salt``: a secret (the pseudonym key) so digests of keys cannot be reversed by trying
        candidate ids (never stored: :meth:`drift` is given it again); ``columns``: the modelled
        columns (default: all but ``key``); ``rows``: the source's row count when ``df`` is a
        sample of it (a streamed table); ``keys``: every key of the source (default: ``df[key]``)."""
        cols = columns if columns is not None else [c for c in df.columns if c != key]
        refs = tuple(ColumnReference.of(df[c]) for c in cols)
        return cls(len(df) if rows is None else rows, refs,
                   _digests(df, key, keys, salt))

    def drift(self, df: pd.DataFrame, *, key: str | None = None, salt: bytes = b"",
              rows: int | None = None, keys: pd.Series | None = None) -> TableDrift:
        """Today's ``df`` against the fit rows (``rows``: today's row count when ``df`` is a
        sample; ``keys``: every key of today's source, default ``df[key]``; ``salt``: the one
        given to :meth:`of`)."""
        present = [r for r in self.columns if r.name in df.columns]
        new_keys = gone = None
        today = _digests(df, key, keys, salt)
        if today is not None and self.key_digests is not None:
            new_keys = round(float(np.mean(~np.isin(today, self.key_digests))), 4) \
                if len(today) else 0.0
            gone = int(np.sum(~np.isin(self.key_digests, today)))
        known = {r.name for r in self.columns} | ({key} if key else set())
        return TableDrift(
            rows_then=self.rows, rows_now=len(df) if rows is None else rows,
            new_key_share=new_keys,
            columns=tuple(column_drift(r, df[r.name]) for r in present),
            added=tuple(c for c in df.columns if c not in known),
            missing=tuple(r.name for r in self.columns if r.name not in df.columns),
            gone_keys=gone)


def _digests(df: pd.DataFrame, key: str | None, keys: pd.Series | None,
             salt: bytes) -> np.ndarray | None:
    """Sorted unique keyed digests of ``keys`` (default ``df[key]``); None without keys, or with
    more than :data:`MAX_KEYS` of them."""
    if keys is None:
        if key is None or key not in df.columns:
            return None
        keys = df[key]
    keys = keys.dropna()
    if len(keys) > MAX_KEYS:
        return None
    return np.unique(np.fromiter((_digest(v, salt) for v in keys), dtype=np.int64,
                                 count=len(keys)))

