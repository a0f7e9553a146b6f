"""The command line: scan, synth, run, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from tabletwin.cli import main
from tests.conftest import ROOT, write_catalog


def people(n=300, seed=0):
    rng = np.random.default_rng(seed)
    first = rng.choice(["James", "Maria", "Robert", "Linda", "Michael", "Sarah"], n)
    last = rng.choice(["Smith", "Garcia", "Johnson", "Brown", "Miller", "Davis"], n)
    return pd.DataFrame({
        "name": [f"{a} {b}" for a, b in zip(first, last)],
        "email": [f"{a.lower()}.{b.lower()}{i}@example.com" for i, (a, b) in enumerate(zip(first, last))],
        "age": rng.integers(18, 80, n),
        "plan": rng.choice(["basic", "pro"], n),
        "spend": np.round(rng.gamma(2, 30, n), 2),
    })


def test_scan_json(tmp_path, capsys):
    f = tmp_path / "p.csv"
    people().to_csv(f, index=False)
    assert main(["scan", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cols = {c["name"]: c for c in out["columns"]}
    assert cols["name"]["pii"] and cols["name"]["entity"] == "PERSON"
    assert cols["email"]["entity"] == "EMAIL_ADDRESS"
    assert not cols["plan"]["pii"] and cols["plan"]["entity"] is None
    assert all(0 <= c["score"] <= 1 for c in out["columns"])


def test_synth_keeps_columns_and_dtypes(tmp_path, capsys):
    src = people()
    f, out = tmp_path / "p.parquet", tmp_path / "o.parquet"
    src.to_parquet(f)
    assert main(["synth", str(f), "-o", str(out), "--rows", "500", "--seed", "3"]) == 0
    syn = pd.read_parquet(out)
    assert list(syn.columns) == list(src.columns) and len(syn) == 500
    assert syn.dtypes.to_dict() == src.dtypes.to_dict()
    assert not set(syn["email"]) & set(src["email"])
    first = syn.copy()
    assert main(["synth", str(f), "-o", str(out), "--rows", "500", "--seed", "3"]) == 0
    pd.testing.assert_frame_equal(first, pd.read_parquet(out))


@pytest.mark.parametrize("setup, needle", [
    (lambda p: None, "not found"),
    (lambda p: p.write_text("a,b\n"), "no rows"),
    (lambda p: p.write_bytes(b"\x00\x01garbage"), "cannot read"),
])
def test_bad_input_one_line_error(tmp_path, capsys, setup, needle):
    f = tmp_path / "in.csv" if needle != "cannot read" else tmp_path / "in.parquet"
    setup(f)
    assert main(["scan", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_unsupported_format(tmp_path, capsys):
    f = tmp_path / "x.xlsx"
    f.write_text("x")
    assert main(["synth", str(f), "-o", str(tmp_path / "o.parquet")]) == 2
    assert "unsupported format" in capsys.readouterr().err


def test_run_exit_codes(project, capsys):
    cat = str(project / "tabletwin.yaml")
    assert main(["run", "--catalog", cat, "--date", "2026-04-01"]) == 0
    out = capsys.readouterr().out
    assert "published synthetic.customers" in out
    history_sql = "SELECT * FROM synthetic.tabletwin_runs ORDER BY table_name, checked_at"
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    before = con.execute("SELECT * FROM synthetic.accounts").df()
    history = con.execute(history_sql).df()
    con.close()
    write_catalog(project, accounts={"checks": {"fidelity_min": 1.0}})
    assert main(["run", "--catalog", cat, "--date", "2026-04-02", "--table", "accounts"]) == 1
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
    # tabletwin report: the verdict and the page, for the latest day or a given one
    assert main(["report", "accounts", "--catalog", cat]) == 1
    out = capsys.readouterr().out
    assert "accounts 2026-04-02: NOT published" in out and "fidelity_above_threshold" in out
    assert "2026-04-02.html" in out
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-04-01"]) == 0
    assert "accounts 2026-04-01: published" in capsys.readouterr().out
    assert main(["report", "accounts", "--catalog", cat, "--date", "2026-05-09"]) == 2
    assert main(["report", "nope", "--catalog", cat]) == 2
    capsys.readouterr()
    # a threshold above 1.0 is refused before anything runs, naming the table and the check
    write_catalog(project, accounts={"checks": {"fidelity_min": 1.5}})
    assert main(["run", "--catalog", cat, "--date", "2026-04-03", "--table", "accounts"]) == 2
    err = capsys.readouterr().err
    assert "accounts" in err and "fidelity_above_threshold" in err
    write_catalog(project)
    assert main(["run", "--catalog", cat, "--date", "03/04/2026"]) == 2
    assert main(["run", "--catalog", cat, "--date", "2999-01-01"]) == 2
    assert main(["run", "--catalog", cat, "--date", "2020-01-01"]) == 2
    assert main(["run", "--catalog", cat, "--table", "nope"]) == 2
    assert "no such table" in capsys.readouterr().err


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "tabletwin.cli", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0 and "demo-warehouse" in out.stdout


def test_scan_with_custom_recognizers(tmp_path, capsys):
    from tabletwin.pii.detect import reset_recognizers

    rules = tmp_path / "rules.yaml"
    rules.write_text("recognizers:\n  - entity: EMPLOYEE_ID\n    patterns:\n"
                     "      - regex: '\\bEMP-\\d{6}\\b'\n        score: 0.9\n")
    f = tmp_path / "staff.csv"
    df = people(200)
    df["badge"] = [f"EMP-{100000 + i}" for i in range(len(df))]
    df.to_csv(f, index=False)
    try:
        assert main(["scan", str(f), "--json", "--recognizers", str(rules)]) == 0
        cols = {c["name"]: c for c in json.loads(capsys.readouterr().out)["columns"]}
        assert cols["badge"]["entity"] == "EMPLOYEE_ID" and cols["badge"]["pii"]
    finally:
        reset_recognizers()
    assert main(["scan", str(f), "--recognizers", str(tmp_path / "none.yaml")]) == 2
