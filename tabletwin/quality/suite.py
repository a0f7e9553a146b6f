"""The Great Expectations suite derived from the source profile (specs only; running it is
:func:`tabletwin.quality.expectations.run_suite`).

The suite (:func:`build_suite`) checks, per table: the columns in order; each column's dtype family;
null rates within a tolerance in both directions; numeric ranges within the *protected* bounds (what
the generator may emit: the ``PROTECT_K``-th smallest and largest source values, never the raw
extremes); categorical domains; primary-key uniqueness and presence; foreign-key values among the
parent's synthetic keys (no orphans). Sensitive columns get type and null-rate expectations only,
so no value of a sensitive column ever enters an expectation; keys get no range or domain from the
source (synthetic keys are fresh by design).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.quality.profile import ColumnProfile, TableProfile
from tabletwin.synth.generators.marginals import DISCRETE_MAX_LEVELS, PROTECT_K

NULL_TOLERANCE = 0.05
#: z-score of the sampling slack added to the null-rate tolerance on small tables (a null share
#: drawn for n rows varies by sqrt(p (1 - p) / n)); 4 keeps false alarms below 1e-4 per column
NULL_SLACK_Z = 4.0
#: GX result format: counts and shares, no unexpected values (Data Docs render them otherwise)

_INT = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype",
        "UInt8Dtype", "UInt16Dtype", "UInt32Dtype", "UInt64Dtype"]
_FLOAT = ["float16", "float32", "float64", "Float32Dtype", "Float64Dtype"]
_BOOL = ["bool", "BooleanDtype"]
_DATETIME = ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"]
_TIMEDELTA = ["timedelta64[s]", "timedelta64[ms]", "timedelta64[us]", "timedelta64[ns]"]


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: the GE class name (e.g. ``ExpectColumnValuesToBeBetween``) and its kwargs."""

    type: str
    kwargs: dict[str, Any]

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")


def protected_bounds(values: pd.Series | np.ndarray | Iterable[float],
                     k: int = PROTECT_K) -> tuple[float, float] | None:
    """The range the generators may emit for a numeric column: like their quantile grid, the
    ``k``-th smallest and largest finite value (0-based; fewer on tiny columns), or min and max for
    few-valued columns (sampled as levels). None when there is no finite value."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    x = np.sort(x[np.isfinite(x)])
    n = len(x)
    if n == 0:
        return None
    if len(np.unique(x)) <= DISCRETE_MAX_LEVELS:
        return _round_outward(float(x[0]), float(x[-1]))
    kk = min(k, max(0, (n - 1) // 2))
    return _round_outward(float(x[kk]), float(x[n - 1 - kk]))


def _round_outward(lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` widened to multiples of a round unit (the power of ten at or above 1% of the
    width): the bounds are the k-th smallest and largest real values, single people's values that
    the suite (shown in reports and data docs) must not carry; rounding them outward keeps the
    check (the synthetic values must lie inside) without showing them."""
    width = hi - lo
    if not np.isfinite(width) or width <= 0:
        unit = 10.0 ** math.ceil(math.log10(max(abs(lo), 1e-12))) if lo else 1.0
    else:
        unit = 10.0 ** math.ceil(math.log10(width / 100.0))
    return float(math.floor(lo / unit) * unit), float(math.ceil(hi / unit) * unit)


def _profile_range(c: ColumnProfile, tolerance: float) -> tuple[float, float, float] | None:
    """(low, high, mostly) from the profile alone: the quantile ``q`` of the protected bound
    (``PROTECT_K / (n - 1)``, at least 1 %), interpolated between the profile's interior quantiles
    (p1..p99, never the raw p0/p100); about ``2 q`` of the values lie outside, hence ``mostly``."""
    qs = c.quantiles
    points = [(q, qs.get(f"p{int(round(q * 100))}")) for q in (0.01, 0.25, 0.5, 0.75, 0.99)]
    if any(not isinstance(v, (int, float)) for _, v in points):
        return None
    n = int(round(c.rows * (1 - c.null_rate)))
    if n < 2:
        return None
    q = max(0.01, min(PROTECT_K, (n - 1) // 2) / (n - 1))
    mostly = 1 - 2 * q - tolerance
    if mostly < 0.5:
        return None
    xq, yq = [p for p, _ in points], [float(v) for _, v in points]
    return float(np.interp(q, xq, yq)), float(np.interp(1 - q, xq, yq)), round(mostly, 4)


def _type_spec(column: str, dtype: str) -> ExpectationSpec | None:
    """The column's dtype family as a GX expectation: a type list for numbers, booleans, naive
    datetimes and timedeltas (any width, nullable or not); the exact dtype otherwise (object,
    string, category, tz-aware datetime)."""
    try:
        dt = pdt.pandas_dtype(dtype)
    except (TypeError, ValueError, ImportError):
        return None
    family = None
    if pdt.is_bool_dtype(dt):
        family = _BOOL
    elif pdt.is_integer_dtype(dt):
        family = _INT
    elif pdt.is_float_dtype(dt):
        family = _FLOAT
    elif isinstance(dt, np.dtype) and dt.kind == "M":
        family = _DATETIME
    elif isinstance(dt, np.dtype) and dt.kind == "m":
        family = _TIMEDELTA
    if family is not None:
        return ExpectationSpec("ExpectColumnValuesToBeInTypeList",
                               {"column": column, "type_list": list(family)})
    return ExpectationSpec("ExpectColumnTypeToBe", {"column": column, "type_": str(dt)})


def _null_tolerance(null_rate: float, rows: int, tolerance: float) -> float:
    slack = NULL_SLACK_Z * math.sqrt(null_rate * (1 - null_rate) / rows) if rows > 0 else 1.0
    return max(tolerance, slack)


def _plain(values: Iterable[Any]) -> list[Any]:
    """Distinct non-null values as JSON-friendly Python scalars, sorted when comparable."""
    arr = pd.Series(list(values), dtype=object).dropna().unique()
    out = [v.item() if hasattr(v, "item") else v for v in arr]
    try:
        return sorted(out)
    except TypeError:
        return out


def build_suite(profile: TableProfile, columns: list[str], *, unique: tuple[str, ...] = (),
                keys: tuple[str, ...] = (), primary_key: str | None = None,
                parent_keys: Mapping[str, Iterable[Any]] | None = None,
                source: pd.DataFrame | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None,
                derived: Iterable[str] = (), null_tolerance: float = NULL_TOLERANCE,
                rows: int | None = None) -> list[ExpectationSpec]:
    """Expectations for a synthetic copy of the profiled table with output ``columns``.

    ``keys`` (plus ``primary_key`` and the ``parent_keys`` columns) get no range or domain
    expectation from the source. ``unique`` columns must hold unique values; the primary key (given,
    or every ``unique`` column that is also a key) must be unique and never null. ``parent_keys``
    maps a foreign-key column to the parent's synthetic key values: every non-null value must be one
    of them.

    Numeric ranges of non-sensitive, non-key columns use the protected bounds: ``bounds[column]``
    when given, else :func:`protected_bounds` of ``source[column]`` (the masked source the generator
    learnt from; checked strictly), else an approximation from the profile's interior quantiles
    with a matching ``mostly`` (no raw extreme either way). ``derived`` columns (rebuilt from other
    columns by formula or inequality constraints) get no range.

    Null shares must lie within ``null_tolerance`` of the source's, in both directions, widened to
    cover sampling noise on small tables (``rows``: synthetic row count, default the profiled one).
    """
    rows = profile.rows if rows is None else rows
    parent_keys = dict(parent_keys or {})
    primary = {primary_key} if primary_key else {c for c in unique if c in keys}
    key_set = set(keys) | primary | set(parent_keys)
    derived = set(derived)
    bounds = dict(bounds or {})
    specs = [ExpectationSpec("ExpectTableColumnsToMatchOrderedList", {"column_list": list(columns)})]
    for c in profile.columns:
        if c.name not in columns:
            continue
        t = _type_spec(c.name, c.dtype)
        if t is not None:
            specs.append(t)
        if c.name in primary:
            specs.append(ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": c.name}))
        else:
            tol = _null_tolerance(c.null_rate, rows, null_tolerance)
            present = 1.0 - c.null_rate
            specs.append(ExpectationSpec("ExpectColumnProportionOfNonNullValuesToBeBetween", {
                "column": c.name,
                "min_value": math.floor(max(0.0, present - tol) * 1e4) / 1e4,
                "max_value": math.ceil(min(1.0, present + tol) * 1e4) / 1e4}))
        if c.sensitive or c.name in key_set:
            continue
        if c.kind == "numeric" and c.name not in derived:
            rng = bounds.get(c.name)
            if rng is None and source is not None and c.name in source.columns:
                rng = protected_bounds(source[c.name])
            if rng is not None:
                specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
                    "column": c.name, "min_value": float(rng[0]), "max_value": float(rng[1])}))
            elif c.quantiles and (approx := _profile_range(c, null_tolerance)) is not None:
                specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
                    "column": c.name, "min_value": approx[0], "max_value": approx[1],
                    "mostly": approx[2]}))
        if c.domain is not None:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                         {"column": c.name, "value_set": list(c.domain)}))
    for c in unique:
        if c in columns:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": c}))
    for c, parents in parent_keys.items():
        if c in columns:
            value_set = _plain(parents)
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet", {
                "column": c, "value_set": value_set,
                # rendered in Data Docs instead of the (long) list of parent keys
                "description": f"values must be among the {len(value_set):,} synthetic keys of "
                               "the parent table (no orphans)"}))
    return specs


def suite_for_table(profile: TableProfile, columns: list[str], table: Any, *,
                    source: pd.DataFrame | None = None,
                    parent_keys: Mapping[str, Iterable[Any]] | None = None,
                    rows: int | None = None) -> list[ExpectationSpec]:
    """:func:`build_suite` with keys, primary key and constraint-derived columns taken from a
    catalog ``TableConfig``."""
    derived: list[str] = []
    for k in getattr(table, "constraints", []):
        if getattr(k, "kind", None) == "formula":
            derived.append(k.column)
        elif getattr(k, "kind", None) == "inequality":
            derived.append(k.high)
    pk = table.primary_key
    return build_suite(profile, columns, unique=(pk,) if pk else (),
                       keys=tuple(table.key_columns), primary_key=pk, parent_keys=parent_keys,
                       source=source, derived=derived, rows=rows)

