"""A Great Expectations suite derived from the source profile, run against a synthetic table.

Results carry expectation names, columns and shares only: GE's unexpected-value lists are dropped,
so no data value (let alone a PII value) leaves this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tabletwin.profile import TableProfile

NULL_TOLERANCE = 0.05


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: the GE class name (e.g. ``ExpectColumnValuesToBeBetween``) and its kwargs."""

    type: str
    kwargs: dict[str, Any]

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")


@dataclass(frozen=True)
class ExpectationFailure:
    type: str
    column: str | None
    unexpected_percent: float | None


@dataclass(frozen=True)
class ExpectationResults:
    """evaluated >= passed >= 0; share = passed / evaluated in [0, 1] (1.0 when nothing evaluated)."""

    evaluated: int
    passed: int
    failures: list[ExpectationFailure] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.passed / self.evaluated if self.evaluated else 1.0


def build_suite(profile: TableProfile, columns: list[str], *, unique: tuple[str, ...] = (),
                keys: tuple[str, ...] = ()) -> list[ExpectationSpec]:
    """Expectations for a synthetic copy of the profiled table with output ``columns``.

    ``keys`` get no range or domain expectation (synthetic keys are fresh values by design);
    ``unique`` columns must hold unique values.
    """
    specs = [ExpectationSpec("ExpectTableColumnsToMatchOrderedList", {"column_list": list(columns)})]
    for c in profile.columns:
        if c.name not in columns:
            continue
        if c.kind != "empty" and c.null_rate < 1.0:
            specs.append(ExpectationSpec("ExpectColumnValuesToNotBeNull", {
                "column": c.name, "mostly": round(max(0.0, 1 - c.null_rate - NULL_TOLERANCE), 4)}))
        if c.sensitive or c.name in keys:
            continue
        if c.kind == "numeric" and c.quantiles:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
                "column": c.name, "min_value": c.quantiles["p0"], "max_value": c.quantiles["p100"]}))
        if c.domain is not None:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                         {"column": c.name, "value_set": list(c.domain)}))
    for c in unique:
        if c in columns:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": c}))
    return specs


_CONTEXT: dict[str, Any] = {}


def _batch_definition():
    if "bd" not in _CONTEXT:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = ctx.data_sources.add_pandas("tabletwin").add_dataframe_asset("synthetic")
        _CONTEXT["bd"] = asset.add_batch_definition_whole_dataframe("whole")
    return _CONTEXT["bd"]


def run_suite(df: pd.DataFrame, specs: list[ExpectationSpec], *,
              suite_name: str = "tabletwin") -> ExpectationResults:
    """Validate ``df`` with Great Expectations; returns counts and failures without values."""
    batch_definition = _batch_definition()  # creates the (ephemeral) context first
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=suite_name)
    for spec in specs:
        suite.add_expectation(getattr(gxe, spec.type)(**spec.kwargs))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format="BASIC")
    failures = []
    for r in result.results:
        if not r.success:
            failures.append(ExpectationFailure(
                type=r.expectation_config.type, column=r.expectation_config.kwargs.get("column"),
                unexpected_percent=r.result.get("unexpected_percent")))
    return ExpectationResults(evaluated=len(result.results),
                              passed=len(result.results) - len(failures), failures=failures)
