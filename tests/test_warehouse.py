"""DuckDB publication is atomic: the new version with its history row, or the old one untouched."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tabletwin.errors import InputError, PublishError
from tabletwin.warehouse import DuckDBWarehouse, RunRecord


def record(rows: int, run: str = "r1") -> RunRecord:
    return RunRecord(table_name="t", partition_key="2026-01-02", run_id=run, generator="g", seed=1,
                     rows=rows, passed=True, scores={"fidelity": 0.9}, code_version="test")


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE main.t (id BIGINT, d DATE, x DOUBLE, s VARCHAR)")
    con.execute("INSERT INTO main.t VALUES (1, DATE '2020-01-01', 1.5, 'a')")
    con.close()
    return DuckDBWarehouse(path, lock_timeout=5)


def test_columns_and_read(wh):
    assert wh.columns("main", "t") == {"id": "BIGINT", "d": "DATE", "x": "DOUBLE", "s": "VARCHAR"}
    assert wh.columns("main", "nope") is None
    assert len(wh.read_table("main", "t")) == 1


def test_publish_keeps_source_types_and_history(wh):
    df = pd.DataFrame({"id": [1, 2], "d": pd.to_datetime(["2021-01-01", "2021-02-01"]),
                       "x": [1.0, 2.0], "s": ["p", "q"]})
    types = wh.publish_types(df, wh.columns("main", "t"))
    wh.publish("synthetic", "t", df, column_types=types, record=record(2))
    assert wh.columns("synthetic", "t")["d"] == "DATE"
    hist = wh.query("SELECT * FROM synthetic.tabletwin_runs")
    assert list(hist["rows"]) == [2] and hist["passed"].all()


def test_failed_publish_leaves_previous_version(wh):
    good = pd.DataFrame({"id": [1, 2, 3], "s": ["a", "b", "c"]})
    wh.publish("synthetic", "t", good, column_types={}, record=record(3))
    bad = pd.DataFrame({"id": ["not-a-number", "2"], "s": ["x", "y"]})
    with pytest.raises(PublishError, match="previous version kept"):
        wh.publish("synthetic", "t", bad, column_types={"id": "BIGINT"}, record=record(2, "r2"))
    kept = wh.query("SELECT * FROM synthetic.t ORDER BY id")
    assert list(kept["id"]) == [1, 2, 3]
    assert list(wh.query("SELECT run_id FROM synthetic.tabletwin_runs")["run_id"]) == ["r1"]


def test_error_message_carries_no_value(wh):
    bad = pd.DataFrame({"id": ["SECRET-MARKER-123"]})
    with pytest.raises(PublishError) as exc:
        wh.publish("synthetic", "t", bad, column_types={"id": "BIGINT"}, record=record(1))
    assert "SECRET-MARKER-123" not in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        DuckDBWarehouse(tmp_path / "none.duckdb").columns("main", "t")


def rec(partition: str, run: str, rows: int = 1, passed: bool = True) -> RunRecord:
    return RunRecord(table_name="t", partition_key=partition, run_id=run, generator="g", seed=1,
                     rows=rows, passed=passed, scores={"fidelity_above_threshold": 0.9},
                     code_version="test")


def frame(n: int, tag: str) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "s": [tag] * n})


def test_versions_are_kept_per_partition_and_the_view_shows_the_latest(wh):
    for i, day in enumerate(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]):
        wh.publish("synthetic", "t", frame(i + 1, day), column_types={}, record=rec(day, f"r{i}"),
                   versions_kept=3)
    assert wh.versions("synthetic", "t") == ["2026-01-02", "2026-01-03", "2026-01-04"]
    latest = wh.query("SELECT * FROM synthetic.t")
    assert set(latest["s"]) == {"2026-01-04"} and len(latest) == 4
    # an older partition re-run replaces its own version only; the view keeps the latest day
    wh.publish("synthetic", "t", frame(9, "again"), column_types={},
               record=rec("2026-01-02", "r9"), versions_kept=3)
    assert wh.versions("synthetic", "t") == ["2026-01-02", "2026-01-03", "2026-01-04"]
    assert len(wh.query("SELECT * FROM synthetic_versions.t__20260102")) == 9
    assert len(wh.query("SELECT * FROM synthetic_versions.t__20260103")) == 3
    assert set(wh.query("SELECT * FROM synthetic.t")["s"]) == {"2026-01-04"}
    hist = wh.query("SELECT partition_key, run_id, published FROM synthetic.tabletwin_runs "
                    "ORDER BY run_id")
    assert list(hist["run_id"]) == ["r0", "r1", "r2", "r3", "r9"] and hist["published"].all()


def test_failed_runs_are_in_the_history_and_change_nothing_else(wh):
    wh.publish("synthetic", "t", frame(2, "good"), column_types={}, record=rec("2026-01-01", "a"))
    wh.record_run("synthetic", rec("2026-01-02", "b", passed=False))
    hist = wh.query("SELECT run_id, passed, published, checked_at, published_at "
                    "FROM synthetic.tabletwin_runs ORDER BY run_id")
    assert list(hist["passed"]) == [True, False] and list(hist["published"]) == [True, False]
    assert hist["checked_at"].notna().all() and hist["published_at"].isna().tolist() == [False, True]
    assert set(wh.query("SELECT s FROM synthetic.t")["s"]) == {"good"}
    # recording the same run again replaces its row; publishing it marks it published
    wh.record_run("synthetic", rec("2026-01-02", "b", passed=True))
    wh.publish("synthetic", "t", frame(3, "new"), column_types={}, record=rec("2026-01-02", "b"))
    hist = wh.query("SELECT run_id, published FROM synthetic.tabletwin_runs ORDER BY run_id")
    assert list(hist["run_id"]) == ["a", "b"] and hist["published"].all()


def test_a_table_published_by_an_earlier_version_becomes_a_view(wh):
    con = duckdb.connect(str(wh.path))
    con.execute("CREATE SCHEMA synthetic")
    con.execute("CREATE TABLE synthetic.t AS SELECT 1 AS id, 'old' AS s")
    con.execute("CREATE TABLE synthetic.tabletwin_runs (table_name VARCHAR, partition_key VARCHAR, "
                "run_id VARCHAR, generator VARCHAR, seed UBIGINT, rows BIGINT, passed BOOLEAN, "
                "scores JSON, code_version VARCHAR, published_at TIMESTAMPTZ)")
    con.close()
    wh.publish("synthetic", "t", frame(2, "new"), column_types={}, record=rec("2026-01-05", "z"))
    assert set(wh.query("SELECT s FROM synthetic.t")["s"]) == {"new"}
    kind = wh.query("SELECT table_type FROM information_schema.tables "
                    "WHERE table_schema = 'synthetic' AND table_name = 't'")["table_type"][0]
    assert kind == "VIEW"
    assert wh.query("SELECT published FROM synthetic.tabletwin_runs")["published"].all()
