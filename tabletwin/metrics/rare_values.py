"""Rare source values copied into a synthetic table, measured without trusting PII detection.

A value seen fewer than ``rare_k`` times in the rows a generator learned from is a *rare* value: a
name nobody flagged, an exact salary, an identifier. The generators never emit one (see
``tabletwin.synth.generators.marginals``); this module checks that on the output, in every column,
detected as PII or not.

Chance coincidences are real: on a small domain (ages, amounts in whole euros, dates) fresh people
have values that happen to be rare in the training rows too. The reference is therefore the
holdout: real rows the generator never saw. For each column we compare the share of synthetic cells
equal to a rare training value with the share of holdout cells that are; a column fails when the
synthetic share exceeds the reference by more than ``excess_max`` plus three standard errors of the
difference. No holdout means *not measured*, never passed.

For ordered columns (numbers, dates) the reference is also the *neighbour share*: synthetic cells one
resolution step away (``v ± 0.01`` for cents, ``± 1 day`` for dates) that equal a rare training
value. A generator that draws fresh values hits exact and neighbouring training values alike; one
that copies hits exact ones only. This keeps small domains fair where the holdout is small or the
synthetic values sit in the dense middle (the protected range cuts the sparse tails, which raises
the chance rate); the reference is the larger of the two.

Cells are compared by a canonical key: numbers (integers, floats, ``Decimal``) by value, datetimes by
their UTC instant, text trimmed and case-folded. Only 64-bit hashes are kept; counts and shares
leave this module, never a value.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.frames import datetime_ns, is_datetime
from tabletwin.protection import RARE_K, fold

#: Standard errors of the share difference allowed for chance on top of ``excess_max``.
Z = 3.0


def _numbers(s: pd.Series) -> np.ndarray | None:
    """Floats of a numeric column (numbers, ``Decimal`` values, numbers stored as text), or None."""
    if pdt.is_bool_dtype(s.dtype) or pdt.is_datetime64_any_dtype(s.dtype):
        return None
    if pdt.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64)
    obj = s.to_numpy(dtype=object)
    if len(obj) and all(isinstance(v, decimal.Decimal) for v in obj[:1000]):
        try:
            return np.array([float(v) for v in obj], dtype=np.float64)
        except (TypeError, ValueError):
            return None
    if len(obj) and all(isinstance(v, str) for v in obj[:1000]):
        x = pd.to_numeric(pd.Series(obj).str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        if np.isfinite(x).mean() >= 0.9:
            return x
    return None


def _instants(s: pd.Series) -> np.ndarray | None:
    return datetime_ns(s) if is_datetime(s) else None


_NS_STEPS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


@dataclass(frozen=True)
class ColumnKind:
    """How a column's cells are compared: ``text``, ``number`` (``decimals`` places) or ``time``
    (``step`` nanoseconds), learned from the training values."""

    kind: str
    decimals: int = 0
    step: int = 1

    @classmethod
    def of(cls, s: pd.Series) -> "ColumnKind":
        s = s.dropna()
        if (t := _instants(s)) is not None:
            step = next((u for u in _NS_STEPS if len(t) == 0 or not (t[:5000] % u).any()), 1)
            return cls("time", step=step)
        if (x := _numbers(s)) is not None:
            x = x[np.isfinite(x)][:5000]
            d = next((d for d in range(7) if np.allclose(np.round(x, d), x, rtol=0,
                                                          atol=10.0 ** -(d + 3))), 6)
            return cls("number", decimals=d)
        return cls("text")

    def _number_keys(self, x: np.ndarray) -> np.ndarray:
        return pd.util.hash_array(np.round(x[np.isfinite(x)], self.decimals) + 0.0)

    def keys(self, values: pd.Series, shift: int = 0) -> np.ndarray:
        """64-bit keys of the non-null cells (``shift`` resolution steps added: ordered kinds)."""
        s = values.dropna()
        if len(s) == 0:
            return np.zeros(0, dtype=np.uint64)
        if self.kind == "time" and (t := _instants(s)) is not None:
            return pd.util.hash_array(t + shift * self.step) ^ np.uint64(0x9E3779B97F4A7C15)
        if self.kind == "number" and (x := _numbers(s)) is not None:
            return self._number_keys(x + shift * 10.0 ** -self.decimals)
        if shift:
            return np.zeros(0, dtype=np.uint64)
        if pdt.is_bool_dtype(s.dtype):
            return pd.util.hash_array(s.astype(np.int64).to_numpy().astype(np.float64))
        text = np.array([fold(v) for v in s.to_numpy(dtype=object)], dtype=object)
        return pd.util.hash_array(text)


def cell_keys(values: pd.Series) -> np.ndarray:
    """64-bit keys of the non-null cells of ``values``, compared as the column's own kind."""
    return ColumnKind.of(values).keys(values)


@dataclass(frozen=True)
class ColumnCopies:
    """One column: synthetic and holdout cells equal to a rare training value."""

    synthetic_cells: int
    synthetic_rare: int
    holdout_cells: int
    holdout_rare: int
    neighbour_rare: float = 0.0  # ordered kinds: mean synthetic hits one step below and above

    @property
    def synthetic_share(self) -> float:
        return self.synthetic_rare / self.synthetic_cells if self.synthetic_cells else 0.0

    @property
    def holdout_share(self) -> float:
        return self.holdout_rare / self.holdout_cells if self.holdout_cells else 0.0

    @property
    def neighbour_share(self) -> float:
        return self.neighbour_rare / self.synthetic_cells if self.synthetic_cells else 0.0

    @property
    def reference_share(self) -> float:
        """The chance rate: the holdout's share, or the neighbour share when that is larger."""
        return max(self.holdout_share, self.neighbour_share)

    @property
    def excess(self) -> float:
        return self.synthetic_share - self.reference_share

    def allowed(self, excess_max: float) -> float:
        """``excess_max`` plus Z standard errors of the difference of the two shares (pooled; the
        neighbour share counts as a sample as large as the synthetic one)."""
        n_s = self.synthetic_cells
        n_r = (n_s if self.neighbour_share > self.holdout_share else self.holdout_cells)
        if not n_s or not n_r:
            return excess_max
        p = (self.synthetic_share * n_s + self.reference_share * n_r) / (n_s + n_r)
        return excess_max + Z * math.sqrt(p * (1 - p) * (1 / n_s + 1 / n_r))

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
                                   "neighbour_share": round(c.neighbour_share, 5),
                                   "allowed_excess": round(c.allowed(excess_max), 5),
                                   "synthetic_copies": c.synthetic_rare,
                                   "measured": c.measured}
                            for name, c in self.columns.items()}}



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
    _kinds: dict[str, ColumnKind] = field(default_factory=dict, init=False, repr=False)
    _holdout: dict[str, tuple[int, int]] = field(default_factory=dict, init=False, repr=False)
    _synthetic: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        cols = list(self.columns) if self.columns is not None else list(self.training.columns)
        for c in cols:
            if c not in self.training.columns:
                continue
            kind = ColumnKind.of(self.training[c])
            keys, counts = np.unique(kind.keys(self.training[c]), return_counts=True)
            rare = keys[counts < self.rare_k]
            self._rare[c], self._kinds[c] = rare, kind
            h = kind.keys(self.holdout[c]) if c in self.holdout.columns else np.zeros(0, np.uint64)
            self._holdout[c] = (len(h), int(np.isin(h, rare).sum()))
            self._synthetic[c] = [0, 0, 0]
        self.holdout_rows = len(self.holdout)
        # the frames are not kept: only hashes of the rare values
        self.training = self.training.iloc[:0]
        self.holdout = self.holdout.iloc[:0]

    def add(self, synthetic: pd.DataFrame) -> None:
        for c, rare in self._rare.items():
            if c not in synthetic.columns:
                continue
            kind = self._kinds[c]
            k = kind.keys(synthetic[c])
            self._synthetic[c][0] += len(k)
            if len(rare):
                self._synthetic[c][1] += int(np.isin(k, rare).sum())
                if kind.kind != "text":
                    self._synthetic[c][2] += sum(int(np.isin(kind.keys(synthetic[c], step),
                                                             rare).sum()) for step in (-1, 1))

    def result(self) -> RareCopies:
        return RareCopies(
            columns={c: ColumnCopies(self._synthetic[c][0], self._synthetic[c][1],
                                     *self._holdout[c], self._synthetic[c][2] / 2)
                     for c in self._rare},
            rare_k=self.rare_k, holdout_rows=self.holdout_rows)


def rare_value_copies(training: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, *,
                      rare_k: int = RARE_K) -> RareCopies:
    """:class:`RareCopies` of ``synthetic`` against ``training`` (the rows the generator learned
    from) and ``holdout`` (real rows it never saw), over the columns the three share."""
    cols = [c for c in synthetic.columns if c in training.columns]
    counter = RareValueCounter(training, holdout, cols, rare_k)
    counter.add(synthetic)
    return counter.result()
