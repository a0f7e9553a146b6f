"""Column dtype helpers shared by every layer: datetimes as numbers.

Every measure that bins, ranks or compares datetimes works on one time line: UTC nanoseconds since
1970-01-01. A tz-aware column is converted to UTC first (so a tz-aware and a naive column compare
as instants, the naive one read as UTC), then made naive; every unit (``s``, ``ms``, ``us``,
``ns``) is widened to nanoseconds. One home for it keeps the tz rule and the null rule identical
everywhere (they were copied into eight modules).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt


def is_datetime(s: pd.Series) -> bool:
    """A datetime column, tz-aware or naive, of any unit."""
    return pdt.is_datetime64_any_dtype(s.dtype)


def utc_naive(s: pd.Series) -> pd.Series:
    """A datetime Series as naive UTC ``datetime64[ns]`` (tz-aware converted to UTC; NaT kept)."""
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def datetime_ns(s: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch as exact ``int64`` (float64 would round them to about a
    quarter of a microsecond). NaT becomes numpy's NaT integer (the smallest int64): drop nulls
    first, or use :func:`datetime_to_ns`."""
    return utc_naive(s).to_numpy().astype("int64")


def datetime_to_ns(s: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch as ``float64``, NaN for NaT."""
    naive = utc_naive(s)
    out = naive.to_numpy().astype("int64").astype(float)
    out[naive.isna().to_numpy()] = np.nan
    return out


def is_numeric(s: pd.Series) -> bool:
    """A column measured on a number line: numbers (not booleans) or datetimes."""
    return (pdt.is_numeric_dtype(s.dtype) and not pdt.is_bool_dtype(s.dtype)) or is_datetime(s)


def as_numbers(s: pd.Series) -> np.ndarray:
    """``float64`` values of a column: datetimes as UTC nanoseconds, anything else through
    ``pd.to_numeric``; NaN for nulls (and for values that are not numbers)."""
    if is_datetime(s):
        return datetime_to_ns(s)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
