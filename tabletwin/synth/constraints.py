"""Constraints declared in the catalog, honoured on every synthetic row by construction.

* ``inequality`` (``high >= low``): the generator learns ``high - low`` instead of ``high`` (a
  non-negative gap, clipped at zero when sampled) and ``high`` is rebuilt as ``low + gap``; chains
  (``a <= b <= c``) are rebuilt in order. Numbers and datetimes (gaps in days) both work.
* ``range`` (``min <= column <= max``): sampled values are clipped into the range.
* ``formula`` (``total = price * quantity``): the derived column is not modelled; it is computed from
  the sampled inputs, then cast to the column's type and precision.

:class:`ConstraintStep` does the reparametrisation (``fit_transform`` before the model fits,
``after_sample`` restores): a step of a :class:`~tabletwin.synth.pipeline.Pipeline` around any
generator; :func:`violations` counts rows breaking each constraint (the quality gate's
``constraints_hold`` check).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import GeneratorError
from tabletwin.synth.constraint_specs import FormulaConstraint, InequalityConstraint, RangeConstraint
from tabletwin.synth.formula import evaluate_formula
from tabletwin.synth.generators.base import TableMeta
from tabletwin.synth.pipeline import Step

def _decimals(s: pd.Series, limit: int = 6) -> int:
    x = pd.to_numeric(s, errors="coerce").dropna().to_numpy(dtype=float)[:5000]
    for d in range(limit + 1):
        if np.allclose(x, np.round(x, d), rtol=0, atol=1e-9):
            return d
    return limit


def _is_dt(s: pd.Series) -> bool:
    return pdt.is_datetime64_any_dtype(s.dtype)


def _as_naive_utc(s: pd.Series) -> pd.Series:
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def _gap(low: pd.Series, high: pd.Series) -> pd.Series:
    if _is_dt(high):
        return (_as_naive_utc(high) - _as_naive_utc(low)) / pd.Timedelta(days=1)
    return pd.to_numeric(high, errors="coerce") - pd.to_numeric(low, errors="coerce")


def _bound(value: float | str | None, like: pd.Series) -> Any:
    if value is None:
        return None
    if _is_dt(like):
        ts = pd.Timestamp(value)
        tz = getattr(like.dt, "tz", None)
        if tz is not None:
            ts = ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
        elif ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts
    return float(value)


class ConstraintStep(Step):
    """Reparametrise a table for fitting and restore constrained columns after sampling.

    Parameters
    ----------
    constraints: the table's constraint configs (see :mod:`tabletwin.synth.constraint_specs`).
    """

    def __init__(self, constraints: Sequence[Any] = ()):
        self.constraints = constraints

    # ---- fit side --------------------------------------------------------------------------
    def fit_transform(self, table: pd.DataFrame, meta: TableMeta,
                      seed: int) -> tuple[pd.DataFrame, TableMeta]:
        self.table_ = meta.table
        return self.prepare(table), meta

    def prepare(self, df: pd.DataFrame) -> pd.DataFrame:
        for c in self.constraints:
            for col in c.columns:
                if col not in df.columns:
                    raise GeneratorError(f"constraint '{c.label}' names a column that is not "
                                         "modelled (a key, a replaced PII column or absent)",
                                         table=self.table_, column=col)
        self.columns_ = list(df.columns)
        self.dtypes_ = {c: df[c].dtype for c in df.columns}
        out = df.copy()
        self.gaps_: list[tuple[str, str, bool, str, int]] = []  # high, low, strict, gap col, decimals
        for c in self.constraints:
            if isinstance(c, InequalityConstraint):
                low, high = df[c.low], df[c.high]
                if _is_dt(low) != _is_dt(high) or not (_is_dt(high) or (
                        pdt.is_numeric_dtype(low.dtype) and pdt.is_numeric_dtype(high.dtype)
                        and not pdt.is_bool_dtype(high.dtype))):
                    raise GeneratorError(f"inequality '{c.label}' needs two numeric or two "
                                         "datetime columns", table=self.table_, column=c.high)
                gap = _gap(low, high)
                if _is_dt(high):
                    h = _as_naive_utc(high).dropna()
                    dec = 0 if (h == h.dt.normalize()).all() else 6
                else:
                    dec = _decimals(high)
                out[c.high] = gap.clip(lower=0).round(dec)
                self.gaps_.append((c.high, c.low, c.strict, c.high, dec))
            elif isinstance(c, FormulaConstraint):
                if not pdt.is_numeric_dtype(df[c.column].dtype) or pdt.is_bool_dtype(df[c.column]):
                    raise GeneratorError("a formula column must be numeric", table=self.table_,
                                         column=c.column)
            elif isinstance(c, RangeConstraint):
                s = df[c.column]
                if not (_is_dt(s) or (pdt.is_numeric_dtype(s.dtype)
                                      and not pdt.is_bool_dtype(s.dtype))):
                    raise GeneratorError("a range needs a numeric or datetime column",
                                         table=self.table_, column=c.column)
        self.formulas_ = [(c.column, c.expression, _decimals(df[c.column]))
                          for c in self.constraints if isinstance(c, FormulaConstraint)]
        derived = {f[0] for f in self.formulas_}
        return out[[c for c in out.columns if c not in derived]]

    # ---- sample side -----------------------------------------------------------------------
    def before_sample(self, n: int, seed: int, conditions: pd.DataFrame | None,
                      parents: Any) -> tuple[pd.DataFrame | None, Any]:
        """``conditions`` may fix columns no constraint involves (e.g. a child's parent context);
        they pass to the model unchanged."""
        touched = {col for c in self.constraints for col in c.columns}
        if conditions is not None and touched & set(conditions.columns):
            raise GeneratorError("cannot fix a column a constraint involves: "
                                 + ", ".join(sorted(touched & set(conditions.columns))))
        return conditions, None

    def after_sample(self, frame: pd.DataFrame, state: Any) -> pd.DataFrame:
        return self.restore(frame)

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The constraints as readable labels."""
        return {**params, "constraints": [c.label for c in self.constraints]}

    def restore(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        highs = {g[0] for g in self.gaps_}
        ranges = [c for c in self.constraints if isinstance(c, RangeConstraint)]
        for c in ranges:  # lows and free columns first
            if c.column not in highs:
                out[c.column] = self._clip(out[c.column], c)
        pending = list(self.gaps_)
        while pending:  # rebuild chains in order: a gap whose low is still a gap waits
            ready = [g for g in pending if g[1] not in {p[0] for p in pending}]
            for high, low, strict, _, dec in ready:
                out[high] = self._rebuild(out[low], out[high], high, strict, dec)
                for c in ranges:
                    if c.column == high:
                        out[high] = self._clip(out[high], c, floor=out[low], strict=strict)
            pending = [g for g in pending if g not in ready]
        for col, expr, dec in self.formulas_:
            val = evaluate_formula(expr, out)
            out[col] = self._cast(val.round(dec), col)
        return out[self.columns_]

    def _rebuild(self, low: pd.Series, gap: pd.Series, high: str, strict: bool,
                 dec: int) -> pd.Series:
        g = pd.to_numeric(gap, errors="coerce").astype(float).clip(lower=0)
        dtype = self.dtypes_[high]
        if _is_dt(low):
            step = pd.Timedelta(days=1) if dec == 0 else pd.Timedelta(microseconds=1)
            delta = pd.to_timedelta(g.round(0) if dec == 0 else g, unit="D")
            if strict:
                delta = delta.where(delta > pd.Timedelta(0), step)
            value = low + delta
            if dec == 0:
                value = value.dt.floor("D") if getattr(value.dt, "tz", None) is None else value
            tz = getattr(dtype, "tz", None)
            value = value.dt.tz_convert(tz) if tz is not None and getattr(value.dt, "tz", None) \
                else value
            return self._cast(value, high)
        if strict:
            tiny = 1.0 if pdt.is_integer_dtype(dtype) else 10.0 ** -max(dec, 0)
            g = g.where(g > 0, tiny)
        return self._cast(pd.to_numeric(low, errors="coerce").astype(float) + g.round(dec), high)

    def _clip(self, s: pd.Series, c: Any, floor: pd.Series | None = None,
              strict: bool = False) -> pd.Series:
        lo, hi = _bound(c.min, s), _bound(c.max, s)
        if _is_dt(s):
            out = s.copy()
            if lo is not None:
                out = out.where(out.isna() | (out >= lo), lo)
            if hi is not None:
                out = out.where(out.isna() | (out <= hi), hi)
            return out
        x = pd.to_numeric(s, errors="coerce").astype(float).clip(lower=lo, upper=hi)
        return self._cast(x, c.column)

    def _cast(self, s: pd.Series, col: str) -> pd.Series:
        dtype = self.dtypes_[col]
        if pdt.is_integer_dtype(dtype):
            s = s.round(0)
            if s.isna().any() and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return s.astype("Int64")
        try:
            return s.astype(dtype)
        except (TypeError, ValueError):
            return s


def violations(frame: pd.DataFrame, constraints: Sequence[Any]) -> dict[str, int]:
    """Rows breaking each constraint (label -> count); nulls never count as a violation."""
    out: dict[str, int] = {}
    for c in constraints:
        if any(col not in frame.columns for col in c.columns):
            out[c.label] = len(frame)
            continue
        if isinstance(c, InequalityConstraint):
            gap = _gap(frame[c.low], frame[c.high])
            bad = (gap <= 0) if c.strict else (gap < 0)
        elif isinstance(c, RangeConstraint):
            s = frame[c.column]
            lo, hi = _bound(c.min, s), _bound(c.max, s)
            if not _is_dt(s):
                s = pd.to_numeric(s, errors="coerce")
            bad = pd.Series(False, index=frame.index)
            if lo is not None:
                bad |= s < lo
            if hi is not None:
                bad |= s > hi
        else:
            assert isinstance(c, FormulaConstraint)
            want = evaluate_formula(c.expression, frame)
            have = pd.to_numeric(frame[c.column], errors="coerce").astype(float)
            tol = 10.0 ** -_decimals(frame[c.column]) * 0.5 + 1e-9 * want.abs()
            bad = (have - want).abs() > tol
            bad &= want.notna() & have.notna()
            bad |= want.notna() != have.notna()
        out[c.label] = int(bad.fillna(False).sum())
    return out
