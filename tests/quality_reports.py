"""A QualityReport that passes everything, for tests of one part of the gate (the fields a test
cares about are set with ``dataclasses.replace``)."""

from __future__ import annotations

import dataclasses

from tabletwin.config.catalog import CheckThresholds
from tabletwin.metrics.fidelity import FidelityScore
from tabletwin.quality.expectations import ExpectationResults
from tabletwin.quality.gate import QualityReport


def minimal_report(table: str = "t", **changes) -> QualityReport:
    """Ten rows of one column ``a``, every expectation met, accuracy 0.9; ``changes`` replace
    fields (the report then computes its own outcomes)."""
    schema = {"a": "int64"}
    base = QualityReport(
        table=table, rows_expected=10, rows_actual=10, schema_expected=schema,
        schema_actual=schema, pii_leaks={}, expectations=ExpectationResults(evaluated=2, passed=2),
        fidelity=FidelityScore(accuracy=0.9, univariate=0.9, bivariate=0.9, trivariate=0.9,
                               columns=("a",)),
        thresholds=CheckThresholds())
    return dataclasses.replace(base, **changes)
