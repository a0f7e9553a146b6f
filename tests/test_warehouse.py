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
