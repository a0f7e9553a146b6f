"""Column profiles of the masked source table.

A profile holds types, null rates, distinct counts, quantiles and the top categories of
non-sensitive columns. Sensitive columns (any column the PII plan flags) keep only counts and rates:
never a raw value, never a top value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.protection import MIN_TRAINING_ROWS, PROTECT_K, RARE_K, TAIL_MIN_SHARE
from tabletwin.pii.plan import PiiPlan

TOP_K = 10
DOMAIN_MAX = 50
#: Quantiles of the protected range (the PROTECT_K-th smallest to the PROTECT_K-th largest value,
#: as the generators draw): the raw minimum and maximum are single people's values, never shown.
QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)


@dataclass
class ColumnProfile:
    """Profile of one column. Ranges: null_rate and top shares in [0, 1]; counts >= 0."""

    name: str
    dtype: str
    kind: str  # numeric | datetime | boolean | categorical | text | empty
    sensitive: bool
    rows: int
    null_rate: float
    distinct: int
    unique_share: float  # distinct / non-null rows
    quantiles: dict[str, float | str] = field(default_factory=dict)  # non-sensitive only
    mean: float | None = None
    std: float | None = None
    top: list[tuple[str, float]] = field(default_factory=list)  # (value, share); non-sensitive only
    mean_length: float | None = None
    domain: list[Any] | None = None  # every value of a low-cardinality non-sensitive column


@dataclass
class TableProfile:
    table: str
    rows: int
    columns: list[ColumnProfile]

    def __getitem__(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "columns": [asdict(c) for c in self.columns]}

    def to_markdown(self) -> str:
        lines = [f"**{self.table}**: {self.rows:,} rows, {len(self.columns)} columns", "",
                 "| column | kind | nulls | distinct | summary |", "| --- | --- | --- | --- | --- |"]
        for c in self.columns:
            if c.sensitive:
                summary = "sensitive: values withheld"
            elif c.kind in ("numeric", "datetime") and c.quantiles:
                summary = (f"p1 {c.quantiles['p1']} · median {c.quantiles['p50']} · "
                           f"p99 {c.quantiles['p99']}")
            elif c.top:
                summary = ", ".join(f"{v} ({s:.0%})" for v, s in c.top[:3])
            else:
                summary = ""
            lines.append(f"| {c.name} | {c.kind} | {c.null_rate:.1%} | {c.distinct:,} | {summary} |")
        return "\n".join(lines)


def _kind(s: pd.Series) -> str:
    if s.notna().sum() == 0:
        return "empty"
    if pdt.is_bool_dtype(s.dtype):
        return "boolean"
    if pdt.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pdt.is_numeric_dtype(s.dtype):
        return "numeric"
    non_null = s.dropna()
    sample = non_null.iloc[:2000].astype(str)
    if sample.str.len().mean() > 40 and sample.str.contains(" ").mean() > 0.5:
        return "text"
    return "categorical"


def profile_column(s: pd.Series, *, sensitive: bool) -> ColumnProfile:
    rows = len(s)
    non_null = s.dropna()
    kind = _kind(s)
    try:
        distinct = int(non_null.nunique())
    except TypeError:  # unhashable cells
        distinct = int(non_null.astype(str).nunique())
    prof = ColumnProfile(
        name=str(s.name), dtype=str(s.dtype), kind=kind, sensitive=sensitive, rows=rows,
        null_rate=float(1 - len(non_null) / rows) if rows else 0.0, distinct=distinct,
        unique_share=float(distinct / len(non_null)) if len(non_null) else 0.0,
    )
    if kind in ("text", "categorical"):
        prof.mean_length = float(non_null.astype(str).str.len().mean())
    if sensitive or len(non_null) == 0:
        return prof
    if kind in ("numeric", "datetime") and len(non_null) >= MIN_TRAINING_ROWS:
        n = len(non_null)
        k = min(PROTECT_K, (n - 1) // 2)
        levels = [k / (n - 1) + q * (1 - 2 * k / (n - 1)) for q in QUANTILES]
        if kind == "numeric":
            x = pd.to_numeric(non_null).to_numpy(dtype=float)
            qs = np.quantile(x, levels)
            prof.quantiles = {f"p{int(round(q * 100))}": float(v) for q, v in zip(QUANTILES, qs)}
            prof.mean, prof.std = float(x.mean()), float(x.std())
        else:
            qs = non_null.quantile(levels)
            prof.quantiles = {f"p{int(round(q * 100))}": str(v) for q, v in zip(QUANTILES, qs)}
    if not (kind in ("boolean", "categorical") or (kind == "numeric" and distinct <= TOP_K * 2)):
        return prof  # no top values or domain: no need to count the values
    # values seen fewer than RARE_K times are never shown (the generators never emit them either)
    counts = non_null.astype(str).value_counts()
    frequent = counts[counts >= RARE_K]
    rare_share = 1.0 - float(frequent.sum()) / len(non_null)
    if kind in ("boolean", "categorical") and distinct <= DOMAIN_MAX and rare_share < TAIL_MIN_SHARE:
        keep = set(frequent.index)
        prof.domain = sorted((v.item() if hasattr(v, "item") else v for v in non_null.unique()
                              if str(v) in keep), key=str)
    prof.top = [(str(k), float(v) / len(non_null)) for k, v in frequent.head(TOP_K).items()]
    return prof


def profile_table(df: pd.DataFrame, plan: PiiPlan) -> TableProfile:
    """Profile every column of ``df``; columns the plan flags as PII are profiled without values."""
    sensitive = set(plan.pii_columns)
    return TableProfile(
        table=plan.table, rows=len(df),
        columns=[profile_column(df[c], sensitive=c in sensitive) for c in df.columns],
    )
