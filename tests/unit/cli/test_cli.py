"""The command line: scan, synth, run, and one-line errors for bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.cli import main
from tests.conftest import ROOT


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
    # 300 source rows: the fidelity gate may fail; this test is about columns and dtypes
    assert main(["synth", str(f), "-o", str(out), "--rows", "500", "--seed", "3",
                 "--force"]) == 0
    syn = pd.read_parquet(out)
    assert list(syn.columns) == list(src.columns) and len(syn) == 500
    assert syn.dtypes.to_dict() == src.dtypes.to_dict()
    assert not set(syn["email"]) & set(src["email"])
    first = syn.copy()
    assert main(["synth", str(f), "-o", str(out), "--rows", "500", "--seed", "3",
                 "--force"]) == 0
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


def synth_json(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main(["synth", *argv, "--json"])
    cap = capsys.readouterr()
    return code, json.loads(cap.out), cap.err


def leftovers(folder) -> list[str]:
    """Temporary or partial files a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("streamed", [False, True])
def test_synth_failed_gate_writes_nothing_and_exits_1(tmp_path, capsys, streamed):
    src = tmp_path / "p.parquet"
    people(300).to_parquet(src)
    out = tmp_path / "out" / "syn.csv"
    out.parent.mkdir()
    out.write_text("earlier output\n")
    # 20 synthetic rows cannot follow 300 source rows' distributions: fidelity fails
    extra = ["--stream-above", "100", "--workers", "0"] if streamed else []
    code, res, err = synth_json(capsys, str(src), "-o", str(out), "--rows", "20", *extra)
    assert res.get("streamed", False) is streamed
    assert code == 1 and res["passed"] is False and res["written"] is False
    assert "fidelity_above_threshold" in res["failed_checks"]
    assert "fidelity_above_threshold" in err and "nothing written" in err
    assert out.read_text() == "earlier output\n"  # the old file untouched, nothing beside it
    assert leftovers(out.parent) == []
    # --force writes anyway (CSV, as the extension says), with one warning line on stderr
    code, res, err = synth_json(capsys, str(src), "-o", str(out), "--rows", "20", "--force",
                                *extra)
    assert code == 0 and res["written"] is True and res["passed"] is False
    warning = [line for line in err.splitlines() if "--force" in line]
    assert len(warning) == 1 and "fidelity_above_threshold" in warning[0]
    syn = pd.read_csv(out)
    assert len(syn) == 20 and list(syn.columns) == list(people(1).columns)
    assert leftovers(out.parent) == []


def test_synth_json_lists_every_check_with_its_status(tmp_path, capsys):
    from tabletwin.config.checks import CHECK_NAMES

    src = tmp_path / "p.csv"
    people(300).to_csv(src, index=False)
    code, res, _ = synth_json(capsys, str(src), "-o", str(tmp_path / "o.parquet"), "--force")
    checks = {c["name"]: c for c in res["checks"]}
    assert list(checks) == list(CHECK_NAMES)
    for c in res["checks"]:
        assert {"name", "status", "value", "threshold", "severity"} <= set(c)
        assert c["status"] in ("passed", "failed", "not_applicable", "not_measured")
        if c["status"] in ("not_applicable", "not_measured"):
            assert c["value"] is None and c["note"]
    # no foreign key, no target, no rebalance, no constraint: not applicable, never "passed"
    for name in ("children_per_parent_match", "joins_like_source", "no_orphan_keys",
                 "useful_for_ml", "minority_not_copied", "constraints_hold"):
        assert checks[name]["status"] == "not_applicable", checks[name]
    assert checks["no_pii_in_synthetic"]["status"] == "passed"
    assert checks["no_pii_in_synthetic"]["value"] == 0
    assert res["passed"] == (not res["failed_checks"]) and code == 0
    # the text form says "not applicable" too, never "pass" for those
    main(["synth", str(src), "-o", str(tmp_path / "o.parquet"), "--force"])
    lines = {line.split()[-1]: line for line in capsys.readouterr().out.splitlines()
             if "useful_for_ml" in line or "children_per_parent_match" in line}
    assert lines and all("not applicable" in v and "pass" not in v.split()[0]
                         for v in lines.values())


def test_a_tiny_table_says_not_measured(tmp_path, capsys):
    src = tmp_path / "tiny.csv"
    people(15).to_csv(src, index=False)  # under 20 rows: no holdout (under 12: refused)
    _, res, _ = synth_json(capsys, str(src), "-o", str(tmp_path / "o.csv"), "--force")
    checks = {c["name"]: c for c in res["checks"]}
    for name in ("not_closer_to_training", "no_copied_rows", "no_rare_values_copied"):
        assert checks[name]["status"] == "not_measured" and checks[name]["value"] is None
        assert checks[name]["severity"] == "warn" and "too small" in checks[name]["note"]
        assert name in res["warnings"]


@pytest.mark.parametrize("output, needle", [("o.txt", "not supported"), ("o", "not supported"),
                                            ("SAME", "is the input file")])
def test_synth_refuses_bad_outputs_before_any_work(tmp_path, capsys, output, needle):
    src = tmp_path / "p.csv"
    people(50).to_csv(src, index=False)
    before = src.read_bytes()
    target = str(src) if output == "SAME" else str(tmp_path / output)
    assert main(["synth", str(src), "-o", target]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_synth_extension_picks_the_format(tmp_path, capsys):
    src = tmp_path / "p.csv"
    people(300).to_csv(src, index=False)
    for name in ("o.csv", "o.parquet"):
        assert main(["synth", str(src), "-o", str(tmp_path / name), "--force", "--seed", "1"]) == 0
    capsys.readouterr()
    head = (tmp_path / "o.csv").read_bytes()[:4]
    assert head != b"PAR1" and (tmp_path / "o.parquet").read_bytes()[:4] == b"PAR1"
    as_csv, as_pq = pd.read_csv(tmp_path / "o.csv"), pd.read_parquet(tmp_path / "o.parquet")
    assert list(as_csv.columns) == list(as_pq.columns) and len(as_csv) == len(as_pq) == 300
    assert as_csv["age"].tolist() == as_pq["age"].tolist()


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "tabletwin.cli", "--help"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0 and "demo-warehouse" in out.stdout
    # the console script (pipelines.cli) adds the commands that run Dagster to the core's
    exe = Path(sys.executable).parent / "tabletwin"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0
    assert {"demo-warehouse", "scan", "synth", "report", "run", "worker", "ui"} <= set(
        re.findall(r"[a-z-]+", out.stdout.split("positional arguments:")[1].split("}")[0]))


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
