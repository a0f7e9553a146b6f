"""Per-column marginal codecs shared by the generators.

Each codec maps a column to uniform scores in (0, 1) and back, restoring the column's dtype. Nulls are
handled by the caller (see :class:`NullModel`). Privacy is part of the codec, not bolted on: continuous
values are drawn by interpolating a bounded quantile grid (never copied from a row), and the grid's ends
are protected quantiles, so no single extreme value is ever reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import GeneratorError

#: Numeric columns with at most this many distinct values are modelled as discrete (exact levels).
DISCRETE_MAX_LEVELS = 30
#: Largest size of the stored quantile grid of a continuous column.
GRID_SIZE = 1001
#: Smallest grid, and the rows each grid step should span at least.
MIN_GRID_SIZE = 51
ROWS_PER_GRID_STEP = 25
#: A continuous column's range is clipped to its k-th smallest and k-th largest value.
PROTECT_K = 5


def _decimals(values: np.ndarray, limit: int = 6) -> int:
    """Smallest number of decimals (<= limit) that represents every sampled value exactly."""
    sample = values[: 5000]
    for d in range(limit + 1):
        if np.allclose(np.round(sample, d), sample, rtol=0, atol=10 ** -(limit + 3)):
            return d
    return limit


@dataclass
class Codec:
    """Base: ``kind`` names the strategy; ``dtype`` is the source dtype (restored on output)."""

    column: str
    dtype: str

    kind = "base"

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass
class ContinuousCodec(Codec):
    """Numeric or datetime values drawn by interpolating a protected quantile grid."""

    grid: np.ndarray = None  # type: ignore[assignment]
    decimals: int | None = None  # None: keep floats as they come (datetimes use 0)
    is_int: bool = False
    datetime_unit: str | None = None  # "ns" etc. when the column is a datetime
    tz: str | None = None
    date_only: bool = False

    kind = "continuous"

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        x = _as_float(s, self)
        ranks = pd.Series(x).rank(method="average").to_numpy()
        return (ranks - 0.5) / len(x)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        probs = np.linspace(0.0, 1.0, len(self.grid))
        x = np.interp(u, probs, self.grid)
        if self.is_int or self.datetime_unit:
            x = np.round(x)
        elif self.decimals is not None:
            x = np.round(x, self.decimals)
        return x


@dataclass
class LevelsCodec(Codec):
    """Discrete levels (categories, booleans, few-valued numerics) with their frequencies.

    ``levels`` is ordered (ascending value for ordinal data, descending frequency for nominal data);
    level i owns the interval [cum[i-1], cum[i]) of the unit line.
    """

    levels: np.ndarray = None  # type: ignore[assignment]
    cum: np.ndarray = None  # type: ignore[assignment]
    ordinal: bool = False

    kind = "levels"

    def _index(self, s: pd.Series) -> np.ndarray:
        lookup = pd.Index(self.levels)
        idx = lookup.get_indexer(s)
        if (idx < 0).any():  # cannot happen for the fitted data; guards misuse
            raise GeneratorError("value outside fitted levels", column=self.column)
        return idx

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        idx = self._index(s)
        lo = np.concatenate([[0.0], self.cum[:-1]])[idx]
        hi = self.cum[idx]
        return lo + (hi - lo) * rng.uniform(0.001, 0.999, size=len(idx))

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.cum, u, side="right")
        return self.levels[np.minimum(idx, len(self.levels) - 1)]


@dataclass
class NullCodec(Codec):
    """A column with no values at all: sampled as all null."""

    kind = "null"


def _as_float(s: pd.Series, codec: ContinuousCodec) -> np.ndarray:
    if codec.datetime_unit:
        v = s
        if codec.tz:
            v = v.dt.tz_convert("UTC").dt.tz_localize(None)
        return v.astype("datetime64[ns]").astype("int64").to_numpy(dtype=float)
    return pd.to_numeric(s).to_numpy(dtype=float)


def fit_codec(s: pd.Series, column: str, *, nominal_order: str = "frequency") -> Codec:
    """Choose and fit the codec of one column (nulls already removed from ``s``)."""
    dtype = str(s.dtype)
    if len(s) == 0:
        return NullCodec(column=column, dtype=dtype)
    if pdt.is_bool_dtype(s.dtype):
        return _fit_levels(s, column, dtype, ordinal=False)
    if pdt.is_datetime64_any_dtype(s.dtype):
        tz = str(s.dt.tz) if getattr(s.dt, "tz", None) is not None else None
        unit = np.datetime_data(s.dt.tz_localize(None).dtype if tz else s.dtype)[0]
        naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if tz else s
        date_only = bool((naive.dt.normalize() == naive).all())
        codec = ContinuousCodec(column=column, dtype=dtype, datetime_unit=unit, tz=tz,
                                date_only=date_only)
        if s.nunique() <= DISCRETE_MAX_LEVELS:
            return _fit_levels(s, column, dtype, ordinal=True)
        codec.grid = _grid(_as_float(s, codec))
        return codec
    if pdt.is_numeric_dtype(s.dtype):
        x = pd.to_numeric(s).to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise GeneratorError("numeric column holds infinite values", column=column)
        if s.nunique() <= DISCRETE_MAX_LEVELS:
            return _fit_levels(s, column, dtype, ordinal=True)
        is_int = pdt.is_integer_dtype(s.dtype)
        return ContinuousCodec(column=column, dtype=dtype, grid=_grid(x), is_int=is_int,
                               decimals=None if is_int else _decimals(x))
    if any(t.__hash__ is None for t in s.map(type).unique()):
        raise GeneratorError("column holds unhashable values (lists or mappings)", column=column)
    return _fit_levels(s, column, dtype, ordinal=False)


def _grid(x: np.ndarray) -> np.ndarray:
    xs = np.sort(x)
    n = len(xs)
    k = min(PROTECT_K, max(0, (n - 1) // 2))
    lo, hi = xs[k], xs[n - 1 - k]
    # every grid interval spans about ROWS_PER_GRID_STEP rows, so drawn values follow the shape of
    # the distribution, not the positions of individual rows (small tables get a coarser grid)
    size = int(np.clip(n // ROWS_PER_GRID_STEP, MIN_GRID_SIZE, GRID_SIZE))
    probs = np.linspace(0.0, 1.0, size)
    grid = np.quantile(xs, probs)
    return np.clip(grid, lo, hi)


def _fit_levels(s: pd.Series, column: str, dtype: str, *, ordinal: bool) -> LevelsCodec:
    counts = s.value_counts(sort=True)
    if ordinal:
        counts = counts.sort_index()
    p = counts.to_numpy(dtype=float)
    cum = np.cumsum(p / p.sum())
    cum[-1] = 1.0
    levels = np.empty(len(counts), dtype=object)
    levels[:] = list(counts.index)
    return LevelsCodec(column=column, dtype=dtype, levels=levels, cum=cum, ordinal=ordinal)


def restore(values: np.ndarray, null_mask: np.ndarray, codec: Codec) -> pd.Series:
    """Turn sampled raw values (+ null mask) back into a Series of the source dtype."""
    n = len(null_mask)
    if isinstance(codec, NullCodec):
        return _all_null(n, codec.dtype)
    if isinstance(codec, ContinuousCodec) and codec.datetime_unit:
        ns = values.astype("int64")
        out = pd.Series(pd.to_datetime(ns, unit="ns"))
        if codec.date_only:
            out = out.dt.normalize()
        if codec.tz:
            out = out.dt.tz_localize("UTC").dt.tz_convert(codec.tz)
        out = out.astype(codec.dtype)
        out[null_mask] = pd.NaT
        return out
    out = pd.Series(values, dtype=object)
    out[null_mask] = None
    return _cast(out, codec.dtype, null_mask.any())


def _all_null(n: int, dtype: str) -> pd.Series:
    try:
        return pd.Series([None] * n, dtype=_nullable(dtype))
    except (TypeError, ValueError):
        return pd.Series([None] * n, dtype=object)


def _nullable(dtype: str) -> Any:
    d = pd.api.types.pandas_dtype(dtype)
    if pdt.is_bool_dtype(d):
        return "boolean"
    if pdt.is_integer_dtype(d) and not isinstance(d, pd.api.extensions.ExtensionDtype):
        return str(d).replace("uint", "UInt").replace("int", "Int")
    return d


def _cast(out: pd.Series, dtype: str, has_nulls: bool) -> pd.Series:
    target = _nullable(dtype) if has_nulls else pd.api.types.pandas_dtype(dtype)
    try:
        return out.astype(target)
    except (TypeError, ValueError):
        return out.infer_objects()
