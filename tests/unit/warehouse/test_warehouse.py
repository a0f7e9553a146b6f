"""DuckDB specifics (the shared contract with PostgreSQL is in test_warehouse_contract.py)."""

from __future__ import annotations

import duckdb
import pytest

from tabletwin.errors import InputError
from tabletwin.warehouse.duckdb import DuckDBWarehouse
from tests.integration.warehouse.test_warehouse_contract import frame, rec


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


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        DuckDBWarehouse(tmp_path / "none.duckdb").columns("main", "t")


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
