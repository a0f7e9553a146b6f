"""Rare source values copied into a synthetic table, measured without trusting PII detection.

A value seen fewer than ``rare_k`` times in the rows a generator learned from is a *rare* value: a
name nobody flagged, an exact salary, an identifier. The generators never emit one (see
``tabletwin.generators.marginals``); this module checks that on the output, in every column,
detected as PII or not.

Chance coincidences are real: on a small domain (ages, amounts in whole euros, dates) fresh people
have values that happen to be rare in the training rows too. The reference is therefore the
holdout: real rows the generator never saw. For each column we compare the share of synthetic cells
equal to a rare training value with the share of holdout cells that are; a column fails when the
synthetic share exceeds the holdout's by more than ``excess_max`` plus three standard errors of the
difference. No holdout means *not measured*, never passed.

Cells are compared by a canonical key: numbers (integers, floats, ``Decimal``) by value, datetimes by
their UTC instant, text trimmed and case-folded. Only 64-bit hashes are kept; counts and shares
leave this module, never a value.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.generators.marginals import RARE_K

#: Standard errors of the share difference allowed for chance on top of ``excess_max``.
Z = 3.0


def cell_keys(values: pd.Series) -> np.ndarray:
    """64-bit keys of the non-null cells of ``values`` (see the module docstring)."""
    s = values.dropna()
    if len(s) == 0:
        return np.zeros(0, dtype=np.uint64)
    if pdt.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = s.astype("datetime64[ns]").astype("int64").to_numpy()
        return pd.util.hash_array(ns.astype(np.int64)) ^ np.uint64(0x9E3779B97F4A7C15)
    if pdt.is_bool_dtype(s.dtype):
        return pd.util.hash_array(s.astype(np.int64).to_numpy().astype(np.float64))
    if pdt.is_numeric_dtype(s.dtype):
        return pd.util.hash_array(s.to_numpy(dtype=np.float64) + 0.0)  # -0.0 == 0.0
    obj = s.to_numpy(dtype=object)
    if all(isinstance(v, decimal.Decimal) for v in obj[:1000]):
        try:
            return pd.util.hash_array(np.array([float(v) for v in obj], dtype=np.float64) + 0.0)
        except (TypeError, ValueError):
            pass
    text = np.array([str(v).strip().casefold() for v in obj], dtype=object)
    return pd.util.hash_array(text)


@dataclass(frozen=True)
class ColumnCopies:
    """One column: synthetic and holdout cells equal to a rare training value."""

    synthetic_cells: int
    synthetic_rare: int
    holdout_cells: int
    holdout_rare: int

    @property
    def synthetic_share(self) -> float:
        return self.synthetic_rare / self.synthetic_cells if self.synthetic_cells else 0.0

    @property
    def holdout_share(self) -> float:
        return self.holdout_rare / self.holdout_cells if self.holdout_cells else 0.0

    @property
    def excess(self) -> float:
        return self.synthetic_share - self.holdout_share

    def allowed(self, excess_max: float) -> float:
        """``excess_max`` plus Z standard errors of the difference of the two shares (pooled)."""
        n_s, n_h = self.synthetic_cells, self.holdout_cells
        if not n_s or not n_h:
            return excess_max
        p = (self.synthetic_rare + self.holdout_rare) / (n_s + n_h)
        return excess_max + Z * math.sqrt(p * (1 - p) * (1 / n_s + 1 / n_h))

    @property
    def measured(self) -> bool:
        return self.holdout_cells > 0


@dataclass(frozen=True)
class RareCopies:
    """Per column :class:`ColumnCopies`; ``rare_k`` the rarity bound used."""

    columns: dict[str, ColumnCopies]
    rare_k: int = RARE_K
    holdout_rows: int = 0

    @property
    def measured(self) -> bool:
        return self.holdout_rows > 0 and any(c.measured for c in self.columns.values())

    def failing(self, excess_max: float) -> list[str]:
        return [name for name, c in self.columns.items()
                if c.measured and c.excess > c.allowed(excess_max) + 1e-12]

    def worst(self, excess_max: float) -> tuple[str | None, float, float]:
        """(column, excess, allowed) of the column furthest above (or closest to) its bound."""
        best: tuple[str | None, float, float] = (None, 0.0, excess_max)
        gap = -math.inf
        for name, c in self.columns.items():
            if not c.measured:
                continue
            allowed = c.allowed(excess_max)
            if c.excess - allowed > gap:
                gap, best = c.excess - allowed, (name, c.excess, allowed)
        return best

    def details(self, excess_max: float) -> dict[str, Any]:
        return {"rare_k": self.rare_k, "holdout_rows": self.holdout_rows,
                "columns": {name: {"synthetic_share": round(c.synthetic_share, 5),
                                   "holdout_share": round(c.holdout_share, 5),
                                   "allowed_excess": round(c.allowed(excess_max), 5),
                                   "synthetic_copies": c.synthetic_rare,
                                   "measured": c.measured}
                            for name, c in self.columns.items()}}

    def as_dict(self) -> dict[str, Any]:
        return {"rare_k": self.rare_k, "holdout_rows": self.holdout_rows,
                "columns": {k: asdict(v) for k, v in self.columns.items()}}


@dataclass
class RareValueCounter:
    """Counts synthetic cells equal to rare training values, chunk by chunk (large tables).

    Built from the training rows and the holdout rows; :meth:`add` each synthetic chunk;
    :meth:`result` gives the :class:`RareCopies`."""

    training: pd.DataFrame
    holdout: pd.DataFrame
    columns: Iterable[str] | None = None
    rare_k: int = RARE_K
    _rare: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _holdout: dict[str, tuple[int, int]] = field(default_factory=dict, init=False, repr=False)
    _synthetic: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        cols = list(self.columns) if self.columns is not None else list(self.training.columns)
        for c in cols:
            if c not in self.training.columns:
                continue
            keys, counts = np.unique(cell_keys(self.training[c]), return_counts=True)
            rare = keys[counts < self.rare_k]
            self._rare[c] = rare
            h = cell_keys(self.holdout[c]) if c in self.holdout.columns else np.zeros(0, np.uint64)
            self._holdout[c] = (len(h), int(np.isin(h, rare).sum()))
            self._synthetic[c] = [0, 0]
        self.holdout_rows = len(self.holdout)
        # the frames are not kept: only hashes of the rare values
        self.training = self.training.iloc[:0]
        self.holdout = self.holdout.iloc[:0]

    def add(self, synthetic: pd.DataFrame) -> None:
        for c, rare in self._rare.items():
            if c not in synthetic.columns:
                continue
            k = cell_keys(synthetic[c])
            self._synthetic[c][0] += len(k)
            if len(rare):
                self._synthetic[c][1] += int(np.isin(k, rare).sum())

    def result(self) -> RareCopies:
        return RareCopies(
            columns={c: ColumnCopies(self._synthetic[c][0], self._synthetic[c][1],
                                     *self._holdout[c]) for c in self._rare},
            rare_k=self.rare_k, holdout_rows=self.holdout_rows)


def rare_value_copies(training: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, *,
                      rare_k: int = RARE_K) -> RareCopies:
    """:class:`RareCopies` of ``synthetic`` against ``training`` (the rows the generator learned
    from) and ``holdout`` (real rows it never saw), over the columns the three share."""
    cols = [c for c in synthetic.columns if c in training.columns]
    counter = RareValueCounter(training, holdout, cols, rare_k)
    counter.add(synthetic)
    return counter.result()
