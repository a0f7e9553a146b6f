"""Which cells of a column a masking action replaces, and which of them hold the same value.

Shared by the actions (:mod:`.fake_columns`, :mod:`.pseudonyms`, :mod:`.redaction`): nulls and
blank strings are never replaced; cells whose values are equal after
:func:`~tabletwin.pii.normalize.normalize_value` get the same replacement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabletwin.pii.normalize import normalize_many


def present(series: pd.Series) -> np.ndarray:
    """Mask of cells to replace: not null and not a blank string."""
    mask = series.notna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        blank = np.array([isinstance(v, str) and not v.strip() for v in values[mask]], dtype=bool)
        mask[np.flatnonzero(mask)[blank]] = False
    return mask


def value_codes(series: pd.Series) -> np.ndarray:
    """Code per row (-1 for null/blank) grouping cells whose normalized values are equal."""
    mask = present(series)
    raw_codes, raw_uniques = pd.factorize(series[mask])
    norm = np.array(normalize_many(raw_uniques), dtype=object)
    norm_codes, _ = pd.factorize(norm)
    codes = np.full(len(series), -1, dtype=np.int64)
    codes[mask] = norm_codes[raw_codes] if len(raw_codes) else raw_codes
    return codes


def normalized_values(series: pd.Series) -> set[str]:
    return set(normalize_many(pd.unique(series[present(series)])))


#: Entities whose fakes go back into integer columns as their digits.


def is_integral(series: pd.Series) -> bool:
    """True for integer columns, and float columns whose non-null values are all whole numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.all(np.isfinite(values) & (values == np.floor(values))))
    return False
