"""`tabletwin report` takes the verdict from the run history, never from a report file: a day whose
publication was killed or failed is "NOT published" even when a report file on disk says
"published" (a file from a crashed run, a copied folder, a hand edit)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipelines.cli import main
from tabletwin.errors import PublishError
from tabletwin.quality.report import day_report_path, run_report_path
from tabletwin.warehouse.base import RunRecord
from tabletwin.warehouse.duckdb import DuckDBWarehouse


def _record(day: str, run_id: str, passed: bool = True) -> RunRecord:
    return RunRecord(table_name="accounts", partition_key=day, run_id=run_id, generator="g",
                     seed=1, rows=2, passed=passed, scores={}, code_version="test")


def _claim_published(project, day: str, run_id: str) -> None:
    """Report files saying the day was published by ``run_id``."""
    reports = project / "data" / "reports"
    for page in (run_report_path(reports, "accounts", day, run_id),
                 day_report_path(reports, "accounts", day)):
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<h1>accounts <span class='verdict pass'>published</span></h1>")
        page.with_suffix(".json").write_text(json.dumps(
            {"table": "accounts", "partition": day, "run_id": run_id, "passed": True,
             "published": True}))


@pytest.mark.parametrize("how", ["killed", "failed"])
def test_report_says_not_published_when_history_does(project, capsys, how):
    wh = DuckDBWarehouse(project / "data" / "demo_warehouse.duckdb")
    frame = pd.DataFrame({"id": [1, 2]})
    wh.publish("synthetic", "accounts", frame, column_types={},
               record=_record("2026-04-01", "run-a"))
    if how == "failed":  # the publish transaction failed after the version was created
        wh._fail_after = "version_created"
        with pytest.raises(PublishError):
            wh.publish("synthetic", "accounts", frame, column_types={},
                       record=_record("2026-04-02", "run-b"))
        wh._fail_after = None
    # a killed or failed publication leaves the gate's record: passed, not published
    wh.record_run("synthetic", _record("2026-04-02", "run-b"))
    _claim_published(project, "2026-04-02", "run-b")
    cat = str(project / "tabletwin.yaml")
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-04-02"]) == 1
    out = capsys.readouterr().out
    assert "accounts 2026-04-02: NOT published (run run-b" in out
    assert "nothing published for 2026-04-02" in out
    assert main(["report", "accounts", "--catalog", cat]) == 1
    out = capsys.readouterr().out
    published, attempt = out.split("latest attempt: ")
    assert published.startswith("accounts 2026-04-01: published (run run-a")
    assert attempt.startswith("accounts 2026-04-02: NOT published (run run-b")
