"""`tabletwin run` from the command line: exit codes, what is published and recorded (split from tests/unit/test_cli.py: it runs the Dagster pipeline)."""

from __future__ import annotations

import json
import duckdb
import pandas as pd
from pipelines.cli import main
from tests.conftest import run_on, write_catalog


def test_run_exit_codes(project, capsys):
    cat = str(project / "tabletwin.yaml")
    assert run_on("2026-04-01", ["run", "--catalog", cat, "--date", "2026-04-01"]) == 0
    out = capsys.readouterr().out
    assert "published synthetic.customers" in out
    history_sql = "SELECT * FROM synthetic.tabletwin_runs ORDER BY table_name, checked_at"
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    before = con.execute("SELECT * FROM synthetic.accounts").df()
    history = con.execute(history_sql).df()
    con.close()
    write_catalog(project, accounts={"checks": {"fidelity_min": 1.0}})
    assert run_on("2026-04-02", ["run", "--catalog", cat, "--date", "2026-04-02", "--table", "accounts"]) == 1
    err = capsys.readouterr().err
    assert "accounts" in err and "fidelity_above_threshold" in err
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    pd.testing.assert_frame_equal(before, con.execute("SELECT * FROM synthetic.accounts").df())
    after = con.execute(history_sql).df()
    con.close()
    # earlier history rows are exactly as they were; the failed run is recorded, not published
    old = after[after["run_id"].isin(history["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(history.reset_index(drop=True), old)
    new = after[~after["run_id"].isin(history["run_id"])]
    failed = new[new["table_name"] == "accounts"]
    assert len(failed) == 1 and not failed["passed"].iloc[0] and not failed["published"].iloc[0]
    # tabletwin report: the published version (from the history) and the latest attempt apart
    assert main(["report", "accounts", "--catalog", cat]) == 1
    out = capsys.readouterr().out
    first, attempt = out.split("latest attempt: ")
    assert first.startswith("accounts 2026-04-01: published (run ")
    assert "accounts 2026-04-02: NOT published (blocking checks failed)" in attempt
    assert "failed: fidelity_above_threshold" in attempt and "fidelity" not in first
    assert "/accounts/2026-04-02/" in attempt and "(missing)" not in out
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-04-01"]) == 0
    out = capsys.readouterr().out
    assert "accounts 2026-04-01: published" in out and "latest attempt" not in out
    # a failed re-run of a published day: its own report; the day's published report intact
    reports = project / "data" / "reports" / "accounts"
    day_page = (reports / "2026-04-01.html").read_text()
    day_json = json.loads((reports / "2026-04-01.json").read_text())
    assert day_json["published"] is True
    assert run_on("2026-04-01", ["run", "--catalog", cat, "--date", "2026-04-01", "--table", "accounts"]) == 1
    capsys.readouterr()
    assert (reports / "2026-04-01.html").read_text() == day_page
    assert json.loads((reports / "2026-04-01.json").read_text()) == day_json
    assert len(list((reports / "2026-04-01").glob("*.html"))) == 2  # one report per run
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-04-01"]) == 1
    out = capsys.readouterr().out
    first, attempt = out.split("latest attempt: ")
    assert first.startswith("accounts 2026-04-01: published (run " + day_json["run_id"])
    assert "accounts 2026-04-01: NOT published" in attempt
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-05-09"]) == 2
    assert "no run recorded for 2026-05-09" in capsys.readouterr().err
    assert main(["report", "nope", "--catalog", cat]) == 2
    capsys.readouterr()
    # a threshold above 1.0 is refused before anything runs, naming the table and the check
    write_catalog(project, accounts={"checks": {"fidelity_min": 1.5}})
    assert run_on("2026-04-03", ["run", "--catalog", cat, "--date", "2026-04-03", "--table", "accounts"]) == 2
    err = capsys.readouterr().err
    assert "accounts" in err and "fidelity_above_threshold" in err
    write_catalog(project)
    assert main(["run", "--catalog", cat, "--date", "03/04/2026"]) == 2
    assert main(["run", "--catalog", cat, "--date", "2999-01-01"]) == 2
    assert main(["run", "--catalog", cat, "--date", "2020-01-01"]) == 2
    assert main(["run", "--catalog", cat, "--table", "nope"]) == 2
    assert "no such table" in capsys.readouterr().err
