"""No raw PII value escapes: run the pipeline over a table of unique marker values and search every
output (console and Dagster event log, asset metadata, stored plan/profile/report/generator,
reports, the published table, the run history) for each of them, on a passing and a failing run."""

from tests.conftest import run_on
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from leak_search import assert_clean, event_log_text, texts_under
from pipelines.cli import main

FIRST = ["Linda", "Marcus", "Priya", "Tomasz", "Yolanda", "Gareth", "Ingrid", "Desmond"]
LAST = ["Okafor", "Lindqvist", "Castellanos", "Whitfield", "Nakamura", "Brennan", "Abernathy"]


def marker_table(n: int = 600, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = [f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}-Qz{i:04d}"
             for i in range(n)]
    emails = [f"qzmark{i:04d}.{FIRST[i % len(FIRST)].lower()}@example.org" for i in range(n)]
    phones = [f"(415) {300 + i // 100:03d}-{7000 + i:04d}" for i in range(n)]
    ssns = [f"{101 + i // 90:03d}-{11 + i % 89:02d}-{4000 + i:04d}" for i in range(n)]
    notes = [f"Called {names[i]} back at {phones[i]}; sent summary to {emails[i]}." if i % 3 == 0
             else "Reset password link sent; resolved on first contact." for i in range(n)]
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64), "full_name": names, "email": emails,
        "phone": phones, "ssn": ssns, "notes": notes,
        "plan": rng.choice(["basic", "plus", "premium"], n),
        "age": rng.integers(18, 90, n), "spend": np.round(rng.gamma(2.0, 40.0, n), 2),
    })


def markers(df: pd.DataFrame) -> set[str]:
    vals = set()
    for c in ("full_name", "email", "phone", "ssn"):
        vals |= set(df[c])
    return vals


@pytest.fixture
def marker_project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    con = duckdb.connect(str(tmp_path / "data" / "wh.duckdb"))
    df = marker_table()
    con.register("df", df)
    con.execute("CREATE TABLE main.people AS SELECT * FROM df")
    con.close()
    catalog = {"warehouse": {"path": "data/wh.duckdb"},
               "tables": {"people": {"primary_key": "id", "checks": {"fidelity_min": 0.5}}}}
    (tmp_path / "tabletwin.yaml").write_text(yaml.safe_dump(catalog))
    return tmp_path


def test_no_marker_escapes(marker_project, capfd):
    cat = str(marker_project / "tabletwin.yaml")
    values = markers(marker_table())
    assert run_on("2026-05-01", ["run", "--catalog", cat, "--date", "2026-05-01", "--verbose"]) == 0
    data = yaml.safe_load(Path(cat).read_text())
    data["tables"]["people"]["checks"]["fidelity_min"] = 1.0  # a failing run must not leak either
    Path(cat).write_text(yaml.safe_dump(data))
    assert run_on("2026-05-02", ["run", "--catalog", cat, "--date", "2026-05-02", "--verbose"]) == 1
    out = capfd.readouterr()
    assert_clean("console", out.out + out.err, values)
    assert_clean("dagster event log and metadata", event_log_text(), values)
    storage = marker_project / "data" / "storage" / "people"
    # every stored asset except the raw snapshot itself (kept owner-only, see README)
    stored = texts_under(storage, skip=("source_table",))
    assert {Path(p).parent.name for p, _ in stored} >= {
        "pii_plan", "masked_table", "table_profile", "fitted_generator", "synthetic_table",
        "quality_report"}
    for path, text in stored:
        assert_clean(path, text, values)
    # the search does find raw values where they legitimately are: the raw snapshot
    # (the Parquet rows; the pickle beside them is the IO manager's handle on them, a path)
    snapshot = [text for path, text in texts_under(storage / "source_table", skip=())
                if path.endswith(".parquet")]
    with pytest.raises(AssertionError, match="escaped"):
        assert_clean("raw snapshot", snapshot[0], values)
    for path, text in texts_under(marker_project / "data" / "reports", skip=()):
        assert_clean(path, text, values)
    con = duckdb.connect(str(marker_project / "data" / "wh.duckdb"), read_only=True)
    published = con.execute("SELECT * FROM synthetic.people").df().to_csv()
    history = con.execute("SELECT * FROM synthetic.tabletwin_runs").df().to_csv()
    con.close()
    assert_clean("published table", published, values)
    assert_clean("run history", history, values)
    plan = json.loads((marker_project / "data" / "reports" / "people" / "2026-05-01.json")
                      .read_text())["pii_plan"]
    flagged = {c["column"]: c["entity"] for c in plan["columns"] if c["entity"]}
    assert flagged == {"full_name": "PERSON", "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER",
                       "ssn": "US_SSN", "notes": flagged.get("notes")} and flagged["notes"]
