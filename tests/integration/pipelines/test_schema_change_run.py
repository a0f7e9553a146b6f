"""A schema change through the whole Dagster chain (``tabletwin run``) of one small table on a
DuckDB warehouse: day 1 publishes; a column is added to the source; day 2 blocks with the message
naming it and the catalog line that accepts it, and ``synthetic.<table>`` still shows day 1; with
the line in the catalog, the day publishes the new column; a dropped column then needs no review
and is dropped from the copy."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

TABLE = "members"
DAY1, DAY2 = "2026-06-01", "2026-06-02"
EMAIL = "zqxmember{}@example.org"  # marker values: none may appear in any message


def run_day(catalog_path: Path, day: str) -> int:
    """Run the daily job for ``day`` as ``tabletwin run`` does (the one place that says how a day
    is run; DAGSTER_HOME is the test's own, see the fixture); returns the exit status."""
    from pipelines.run import run_pipeline
    from tests.conftest import on_day

    with on_day(day):  # the day's own run: it reads the source that day
        return run_pipeline(catalog_path=catalog_path, date=day)


def check_history(name: str) -> list:
    """The evaluations of the table's check ``name`` in the Dagster instance, newest first."""
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        records = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey([TABLE, "quality_report"]), name), limit=10)
    return [r.event.dagster_event.event_specific_data for r in records]


def quality_report_metadata() -> dict:
    """The metadata of the table's latest quality_report materialization."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey([TABLE, "quality_report"]))
    return event.asset_materialization.metadata


def write_source(path: Path, rows: int = 300) -> None:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"member_id": np.arange(1, rows + 1, dtype=np.int64),
                       "age": rng.integers(18, 80, rows).astype(np.int64),
                       "tier": rng.choice(["basic", "plus", "pro"], rows, p=[0.6, 0.3, 0.1]),
                       "spend": np.round(rng.gamma(2.0, 40.0, rows), 2)})
    con = duckdb.connect(str(path))
    con.register("df", df)
    con.execute(f"CREATE TABLE main.{TABLE} (member_id BIGINT PRIMARY KEY, age BIGINT, "
                "tier VARCHAR, spend DOUBLE)")
    con.execute(f"INSERT INTO main.{TABLE} SELECT * FROM df")
    con.close()


def write_catalog(folder: Path, columns: dict | None = None) -> Path:
    entry = {"primary_key": "member_id", "checks": {"fidelity_min": 0.5}}
    if columns:
        entry["columns"] = columns
    data = {"warehouse": {"kind": "duckdb", "path": "data/w.duckdb", "source_schema": "main",
                          "target_schema": "synthetic"},
            "storage_dir": "data/storage", "reports_dir": "data/reports",
            "partitions_start": "2026-01-01",
            "tables": {TABLE: entry}}
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def query(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_an_added_column_blocks_until_the_catalog_accepts_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "w.duckdb"
    write_source(db)
    catalog = write_catalog(tmp_path)

    # day 1: never published, nothing to compare: published (the check not applicable)
    assert run_day(catalog, DAY1) == 0, capsys.readouterr()
    out = capsys.readouterr()
    assert f"published synthetic.{TABLE}" in out.out and "schema_change_reviewed" not in out.out
    assert quality_report_metadata()["schema_changes"].value.startswith(
        "not compared: no published version")
    day1 = query(db, f"SELECT * FROM synthetic.{TABLE} ORDER BY member_id")
    assert list(day1.columns) == ["member_id", "age", "tier", "spend"]
    runs = query(db, "SELECT source_schema, published FROM synthetic.tabletwin_runs")
    assert len(runs) == 1 and bool(runs["published"].iloc[0])
    assert '"spend":"DOUBLE"' in runs["source_schema"].iloc[0]

    # the source gains a column holding email addresses
    con = duckdb.connect(str(db))
    con.execute(f"ALTER TABLE main.{TABLE} ADD COLUMN email VARCHAR")
    con.execute(f"UPDATE main.{TABLE} SET email = 'zqxmember' || member_id || '@example.org'")
    con.close()

    # day 2: blocked, with each change, its PII verdict and the line that accepts it
    assert run_day(catalog, DAY2) == 1
    out = capsys.readouterr()
    assert f"NOT published {TABLE}: blocking checks failed: schema_change_reviewed" in out.err
    assert f"the source of table {TABLE} changed since its last published version:" in out.err
    assert "+ email (VARCHAR): new column, detected PII: EMAIL_ADDRESS" in out.err
    accept = [ln.strip() for ln in out.err.splitlines() if ln.strip().startswith("email: {")]
    assert accept == ["email: {entity: EMAIL_ADDRESS, action: fake}"], out.err
    assert f"tables.{TABLE}.columns in {catalog}" in out.err
    assert "zqxmember" not in out.out + out.err  # names and types only, never a value
    # the live copy is still day 1's; the blocked run is recorded with the schema it read
    pd.testing.assert_frame_equal(
        day1, query(db, f"SELECT * FROM synthetic.{TABLE} ORDER BY member_id"))
    runs = query(db, "SELECT partition_key, source_schema, published FROM "
                     "synthetic.tabletwin_runs ORDER BY checked_at")
    assert runs["partition_key"].tolist() == [DAY1, DAY2]
    assert runs["published"].tolist() == [True, False]
    assert '"email":"VARCHAR"' in runs["source_schema"].iloc[1]
    # in Dagster: blocking failure with the message; day 1's said why nothing was compared
    blocked, first = check_history("schema_change_reviewed")
    assert not blocked.passed and blocked.description.startswith(f"the source of table {TABLE}")
    assert "`+ email (VARCHAR): new column` **not reviewed**" in blocked.metadata["changes"].value
    assert not first.passed and first.severity.value == "WARN"  # not a pass, and not blocking
    assert first.description.startswith("not applicable: no published version")
    meta = quality_report_metadata()
    assert meta["schema_changes"].value == "- `+ email (VARCHAR): new column` **not reviewed**"
    report = (tmp_path / "data" / "reports" / TABLE / f"{DAY2}.html").read_text()
    assert "Schema changes since the last published version" in report
    assert "zqxmember" not in report

    # the catalog line printed above accepts the change: the day publishes the new column
    entity = yaml.safe_load(accept[0])["email"]
    write_catalog(tmp_path, columns={"email": entity})
    assert run_day(catalog, DAY2) == 0, capsys.readouterr()
    out = capsys.readouterr()
    assert f"published synthetic.{TABLE}" in out.out
    live = query(db, f"SELECT * FROM synthetic.{TABLE}")
    assert list(live.columns) == ["member_id", "age", "tier", "spend", "email"]
    assert not live["email"].astype(str).str.contains("zqxmember").any()  # faked, not copied
    published = query(db, "SELECT partition_key, checks FROM synthetic.tabletwin_runs "
                          "WHERE published ORDER BY checked_at")
    assert published["partition_key"].tolist() == [DAY1, DAY2]
    assert '"schema_change_reviewed": {"severity": "error", "status": "passed"}' in \
        published["checks"].iloc[1]

    # a dropped column needs no review: dropped from the copy, reported in the check's details
    con = duckdb.connect(str(db))
    con.execute(f"ALTER TABLE main.{TABLE} DROP COLUMN tier")
    con.close()
    assert run_day(catalog, DAY2) == 0, capsys.readouterr()
    capsys.readouterr()
    assert list(query(db, f"SELECT * FROM synthetic.{TABLE}").columns) == \
        ["member_id", "age", "spend", "email"]
    latest = check_history("schema_change_reviewed")[0]
    assert latest.passed and latest.metadata["details"].value["dropped"] == ["tier"]
