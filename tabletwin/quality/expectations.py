"""A Great Expectations suite derived from the source profile, run against a synthetic table.

:func:`run_suite` validates with a result format that collects no unexpected values, and drops any
value list GX would keep anyway: results carry expectation names, columns, shares and observed
aggregates only. With ``docs_dir`` it also writes GX Data Docs for the validation into that folder,
made readable offline (:mod:`tabletwin.quality.data_docs`). The suite itself is built by
:mod:`tabletwin.quality.suite`; the public names of both are re-exported here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from tabletwin.quality.data_docs import (DOCS_BATCH_ID, DOCS_RESULTS_DIR, batch_definition,
                                         write_docs)
from tabletwin.quality.suite import (NULL_SLACK_Z, NULL_TOLERANCE, ExpectationSpec, build_suite,
                                     protected_bounds, suite_for_table)

__all__ = ["DOCS_BATCH_ID", "DOCS_RESULTS_DIR", "NULL_SLACK_Z", "NULL_TOLERANCE", "RESULT_FORMAT",
           "ExpectationFailure", "ExpectationResults", "ExpectationSpec", "build_suite",
           "protected_bounds", "run_suite", "suite_for_table", "write_docs"]

#: GX result format: counts and shares, no unexpected values (Data Docs render them otherwise)
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0,
                 "include_unexpected_rows": False}
_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts",
               "partial_unexpected_index_list", "unexpected_list", "unexpected_index_list",
               "unexpected_index_query", "unexpected_rows")

@dataclass(frozen=True)
class ExpectationFailure:
    type: str
    column: str | None
    unexpected_percent: float | None


@dataclass(frozen=True)
class ExpectationResults:
    """evaluated >= passed >= 0; share = passed / evaluated in [0, 1] (1.0 when nothing evaluated).

    ``docs_index``: path of the Data Docs ``index.html`` when :func:`run_suite` wrote docs."""

    evaluated: int
    passed: int
    failures: list[ExpectationFailure] = field(default_factory=list)
    docs_index: str | None = None

    @property
    def share(self) -> float:
        return self.passed / self.evaluated if self.evaluated else 1.0


def run_suite(df: pd.DataFrame, specs: list[ExpectationSpec], *, suite_name: str = "tabletwin",
              docs_dir: str | os.PathLike | None = None, run_name: str | None = None,
              docs_keep_runs: int = 1) -> ExpectationResults:
    """Validate ``df`` with Great Expectations; returns counts and failures without values.

    With ``docs_dir``, also writes GX Data Docs for this validation into that folder (run named
    ``run_name``, default the UTC time), keeping the latest ``docs_keep_runs`` runs of the suite;
    ``docs_index`` of the result is then the path of the folder's ``index.html``."""
    bd = batch_definition()  # creates the (ephemeral) context first
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=suite_name)
    for spec in specs:
        suite.add_expectation(getattr(gxe, spec.type)(**spec.kwargs))
    batch = bd.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format=dict(RESULT_FORMAT))
    failures = []
    for r in result.results:
        for key in _VALUE_KEYS:  # belt and braces: no value list survives, whatever GX collected
            r.result.pop(key, None)
        if not r.success:
            failures.append(ExpectationFailure(
                type=r.expectation_config.type, column=r.expectation_config.kwargs.get("column"),
                unexpected_percent=r.result.get("unexpected_percent")))
    index = None
    if docs_dir is not None:
        index = str(write_docs(result, suite_name, docs_dir, run_name=run_name,
                               keep_runs=docs_keep_runs))
    return ExpectationResults(evaluated=len(result.results),
                              passed=len(result.results) - len(failures), failures=failures,
                              docs_index=index)

