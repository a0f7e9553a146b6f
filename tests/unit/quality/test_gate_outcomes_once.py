"""QualityReport.outcomes is computed once per report: every property reads the same outcomes;
a report with other fields (dataclasses.replace) computes its own."""

from __future__ import annotations

import dataclasses

from tabletwin.config import checks
from tabletwin.quality.gate import QualityReport
from tests.quality_reports import minimal_report


def report(**changes) -> QualityReport:
    return minimal_report(**changes)


def test_outcomes_are_computed_once_and_shared():
    rep = report()
    first = rep.outcomes()
    assert [o.name for o in first] == list(checks.CHECK_NAMES)
    first.clear()  # a caller's list is its own
    assert rep.outcomes() == report().outcomes() and rep._outcomes is rep._outcomes
    assert rep.statuses()["row_count_matches"] == "passed"
    assert "row_count_matches" not in rep.failed_checks


def test_a_replaced_report_computes_its_own_outcomes():
    rep = report()
    assert rep.passed
    bad = dataclasses.replace(rep, rows_actual=3)
    assert not bad.passed and "row_count_matches" in bad.failed_checks
    assert rep.passed  # the original's outcomes are untouched
