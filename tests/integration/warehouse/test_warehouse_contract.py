"""The warehouse contract, on DuckDB and on PostgreSQL: the same tests against both backends.

Reads are chunked, keys come from the warehouse's constraints, publication keeps versions and
history, and a failure at any step of a publication leaves the previous version as it was.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Callable

import duckdb
import pandas as pd
import pytest

from tabletwin.errors import PublishError
from tabletwin.warehouse.base import PUBLISH_STEPS, RunRecord, Warehouse, family, versions_schema
from tabletwin.warehouse.duckdb import DuckDBWarehouse
from tabletwin.warehouse.postgres import PostgresWarehouse
from tabletwin.warehouse.split import SplitWarehouse
from tests.conftest import pg_exec


@dataclass
class Backend:
    name: str
    wh: Warehouse
    src: str  # source schema, holds table t
    dst: str  # target schema
    sql: Callable[[str], None]  # run setup SQL (both dialects: BIGINT, DOUBLE PRECISION, ...)


SETUP = """
CREATE TABLE {s}.t (id BIGINT PRIMARY KEY, d DATE, x DOUBLE PRECISION, s VARCHAR, b BOOLEAN,
                    ts TIMESTAMP);
INSERT INTO {s}.t VALUES (1, DATE '2020-01-01', 1.5, 'a', true, TIMESTAMP '2020-01-01 10:00:00');
CREATE TABLE {s}.big AS SELECT i AS id, i * 0.5 AS x FROM generate_series(1, 5000) AS g(i);
CREATE TABLE {s}.empty (id BIGINT, s VARCHAR);
CREATE TABLE {s}.parent (pid BIGINT PRIMARY KEY, name VARCHAR);
CREATE TABLE {s}.child (cid BIGINT PRIMARY KEY, pid BIGINT REFERENCES {s}.parent (pid), v INTEGER);
CREATE TABLE {s}.pair (a BIGINT, b BIGINT, PRIMARY KEY (a, b));
"""


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path) -> Backend:
    if request.param == "duckdb":
        path = tmp_path / "w.duckdb"

        def run(sql: str) -> None:
            con = duckdb.connect(str(path))
            con.execute(sql)
            con.close()

        run(SETUP.format(s="main"))
        return Backend("duckdb", DuckDBWarehouse(path, lock_timeout=5), "main", "synthetic", run)
    url = request.getfixturevalue("pg_url")
    make = request.getfixturevalue("pg_schemas")
    src, dst = make("src"), make("syn")
    pg_exec(url, f'CREATE SCHEMA "{src}";' + SETUP.format(s=f'"{src}"'))
    return Backend("postgres", PostgresWarehouse(url, lock_timeout=10), src, dst,
                   lambda sql: pg_exec(url, sql))


def rec(partition: str, run: str, rows: int = 1, passed: bool = True) -> RunRecord:
    return RunRecord(table_name="t", partition_key=partition, run_id=run, generator="g", seed=1,
                     rows=rows, passed=passed, scores={"fidelity_above_threshold": 0.9},
                     code_version="test")


def frame(n: int, tag: str) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "s": [tag] * n})


def test_columns(backend):
    cols = backend.wh.columns(backend.src, "t")
    assert list(cols) == ["id", "d", "x", "s", "b", "ts"]
    assert [family(t) for t in cols.values()] == ["int", "time", "float", "text", "bool", "time"]
    assert backend.wh.columns(backend.src, "nope") is None


def test_iter_table_streams_chunks(backend):
    chunks = list(backend.wh.iter_table(backend.src, "big", chunk_rows=2048))
    assert [len(c) for c in chunks] == [2048, 2048, 904]
    ids = pd.concat(chunks, ignore_index=True)["id"].sort_values(ignore_index=True)
    assert ids.tolist() == list(range(1, 5001))
    whole = backend.wh.read_table(backend.src, "big", chunk_rows=2048)
    assert len(whole) == 5000 and whole["id"].dtype == "int64"
    assert whole["x"].sum() == pytest.approx(sum(i * 0.5 for i in range(1, 5001)))


def test_read_table_types_and_empty(backend):
    df = backend.wh.read_table(backend.src, "t")
    assert df.loc[0, "s"] == "a" and df.loc[0, "x"] == 1.5 and bool(df.loc[0, "b"])
    assert pd.api.types.is_datetime64_any_dtype(df["d"])
    assert pd.api.types.is_datetime64_any_dtype(df["ts"])
    assert df.loc[0, "ts"] == pd.Timestamp("2020-01-01 10:00:00")
    empty = backend.wh.read_table(backend.src, "empty")
    assert len(empty) == 0 and list(empty.columns) == ["id", "s"]
    assert list(backend.wh.iter_table(backend.src, "empty")) == []


def test_table_keys(backend):
    assert backend.wh.table_keys(backend.src, "parent") == (["pid"], {})
    assert backend.wh.table_keys(backend.src, "child") == (["cid"], {"pid": "parent.pid"})
    assert backend.wh.table_keys(backend.src, "pair") == (["a", "b"], {})
    assert backend.wh.table_keys(backend.src, "empty") == ([], {})


def test_publish_keeps_source_types_and_history(backend):
    wh = backend.wh
    df = pd.DataFrame({"id": [1, 2], "d": pd.to_datetime(["2021-01-01", "2021-02-01"]),
                       "x": [1.0, 2.0], "s": ["p", "q"], "b": [True, False],
                       "ts": pd.to_datetime(["2021-01-01 01:02:03", "2021-01-02 00:00:00"])})
    types = wh.publish_types(df, wh.columns(backend.src, "t"))
    wh.publish(backend.dst, "t", df, column_types=types, record=rec("2026-01-02", "r1", 2))
    published = wh.columns(backend.dst, "t")
    assert published["d"].upper() == "DATE"  # the source's type, not the pandas datetime
    assert [family(t) for t in published.values()] == ["int", "time", "float", "text", "bool",
                                                        "time"]
    back = wh.query(f"SELECT * FROM {backend.dst}.t ORDER BY id")
    assert back["s"].tolist() == ["p", "q"] and back["b"].tolist() == [True, False]
    assert back["ts"].tolist() == df["ts"].tolist()
    hist = wh.history(backend.dst, "t")
    assert [(h["run_id"], h["published"], h["accuracy"]) for h in hist] == [("r1", True, 0.9)]


def test_versions_are_kept_per_partition_and_the_view_shows_the_latest(backend):
    wh, dst = backend.wh, backend.dst
    for i, day in enumerate(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]):
        wh.publish(dst, "t", frame(i + 1, day), column_types={}, record=rec(day, f"r{i}"),
                   versions_kept=3)
    assert wh.versions(dst, "t") == ["2026-01-02", "2026-01-03", "2026-01-04"]
    latest = wh.query(f"SELECT * FROM {dst}.t")
    assert set(latest["s"]) == {"2026-01-04"} and len(latest) == 4
    # an older partition re-run replaces its own version only; the view keeps the latest day
    wh.publish(dst, "t", frame(9, "again"), column_types={}, record=rec("2026-01-02", "r9"))
    assert wh.versions(dst, "t") == ["2026-01-02", "2026-01-03", "2026-01-04"]
    assert len(wh.query(f"SELECT * FROM {versions_schema(dst)}.t__20260102")) == 9
    assert len(wh.query(f"SELECT * FROM {versions_schema(dst)}.t__20260103")) == 3
    assert set(wh.query(f"SELECT * FROM {dst}.t")["s"]) == {"2026-01-04"}
    # re-running the latest day replaces what the view shows
    wh.publish(dst, "t", frame(5, "rerun"), column_types={}, record=rec("2026-01-04", "r10"))
    assert set(wh.query(f"SELECT * FROM {dst}.t")["s"]) == {"rerun"}
    hist = wh.history(dst, "t")
    assert sorted(h["run_id"] for h in hist) == ["r0", "r1", "r10", "r2", "r3", "r9"]
    assert all(h["published"] for h in hist)


def test_a_changed_column_set_repoints_the_view(backend):
    wh, dst = backend.wh, backend.dst
    wh.publish(dst, "t", frame(2, "a"), column_types={}, record=rec("2026-01-01", "a"))
    wider = frame(3, "b").assign(extra=1.5)
    wh.publish(dst, "t", wider, column_types={}, record=rec("2026-01-02", "b"))
    assert list(wh.columns(dst, "t")) == ["id", "s", "extra"]
    narrower = pd.DataFrame({"s": ["c"] * 4})
    wh.publish(dst, "t", narrower, column_types={}, record=rec("2026-01-03", "c"))
    assert list(wh.columns(dst, "t")) == ["s"] and len(wh.query(f"SELECT * FROM {dst}.t")) == 4


def test_failed_runs_are_in_the_history_and_change_nothing_else(backend):
    wh, dst = backend.wh, backend.dst
    wh.publish(dst, "t", frame(2, "good"), column_types={}, record=rec("2026-01-01", "a"))
    wh.record_run(dst, rec("2026-01-02", "b", passed=False))
    hist = {h["run_id"]: h for h in wh.history(dst, "t")}
    assert (hist["a"]["passed"], hist["a"]["published"]) == (True, True)
    assert (hist["b"]["passed"], hist["b"]["published"]) == (False, False)
    assert set(wh.query(f"SELECT s FROM {dst}.t")["s"]) == {"good"}


def test_published_schema_is_the_live_versions(backend):
    """The source schema recorded by the newest published run: failed runs do not count, a
    re-run of the live day replaces it, JSON comes back as the same text on both backends."""
    wh, dst = backend.wh, backend.dst
    assert wh.published_schema(dst, "t") is None  # no history at all
    one = '{"columns":{"id":"BIGINT","s":"VARCHAR"},"primary_key":["id"],"foreign_keys":{}}'
    two = '{"columns":{"id":"BIGINT","s":"VARCHAR","e":"VARCHAR"},"primary_key":["id"],' \
          '"foreign_keys":{}}'
    wh.record_run(dst, dataclasses.replace(rec("2026-01-01", "a0", passed=False),
                                           source_schema=one))
    assert wh.published_schema(dst, "t") is None  # recorded, never published
    wh.publish(dst, "t", frame(2, "a"), column_types={},
               record=dataclasses.replace(rec("2026-01-01", "a"), source_schema=one))
    wh.record_run(dst, dataclasses.replace(rec("2026-01-02", "b", passed=False),
                                           source_schema=two))
    got = wh.published_schema(dst, "t")
    assert isinstance(got, str) and json.loads(got) == json.loads(one)
    wh.publish(dst, "t", frame(2, "c"), column_types={},
               record=dataclasses.replace(rec("2026-01-02", "c"), source_schema=two))
    assert json.loads(wh.published_schema(dst, "t")) == json.loads(two)
    assert wh.published_schema(dst, "other") is None
    # a split warehouse reads the history where it writes it: its target
    assert SplitWarehouse(object(), wh).published_schema(dst, "t") == wh.published_schema(dst, "t")
    # the live run recorded no schema (published before schemas were): nothing to compare
    wh.publish(dst, "t", frame(2, "d"), column_types={}, record=rec("2026-01-03", "d"))
    assert wh.published_schema(dst, "t") is None


def test_bad_values_fail_without_quoting_them_and_keep_the_previous_version(backend):
    wh, dst = backend.wh, backend.dst
    wh.publish(dst, "t", frame(3, "good"), column_types={}, record=rec("2026-01-01", "r1"))
    bad = pd.DataFrame({"id": ["SECRET-MARKER-123", "2"], "s": ["x", "y"]})
    with pytest.raises(PublishError, match="previous version is unchanged") as exc:
        wh.publish(dst, "t", bad, column_types={"id": "BIGINT"}, record=rec("2026-01-02", "r2"))
    assert "SECRET-MARKER-123" not in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__
    assert wh.query(f"SELECT id FROM {dst}.t ORDER BY id")["id"].tolist() == [0, 1, 2]
    assert [h["run_id"] for h in wh.history(dst, "t")] == ["r1"]


@pytest.mark.parametrize("same_day", [False, True], ids=["new-day", "same-day"])
@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_a_failure_after_any_publish_step_leaves_the_previous_version(backend, step, same_day):
    wh, dst = backend.wh, backend.dst
    wh.publish(dst, "t", frame(3, "v1"), column_types={}, record=rec("2026-01-01", "r1"),
               versions_kept=1)
    day = "2026-01-01" if same_day else "2026-01-02"
    # a new column too, so the view must be dropped and re-created, and one version pruned
    new = frame(7, "v2").assign(extra=2.0)
    wh._fail_after = step
    with pytest.raises(PublishError, match=f"InjectedFailure; the previous version is unchanged"):
        wh.publish(dst, "t", new, column_types={}, record=rec(day, "r2"), versions_kept=1)
    wh._fail_after = None
    kept = wh.query(f"SELECT * FROM {dst}.t")
    assert len(kept) == 3 and set(kept["s"]) == {"v1"} and list(kept.columns) == ["id", "s"]
    assert wh.versions(dst, "t") == ["2026-01-01"]
    assert len(wh.query(f"SELECT * FROM {versions_schema(dst)}.t__20260101")) == 3
    assert [(h["run_id"], h["published"]) for h in wh.history(dst, "t")] == [("r1", True)]
    # nothing half-built is left behind, and the same publication then goes through
    leftovers = wh.query(f"SELECT table_name FROM information_schema.tables "
                         f"WHERE table_schema = '{versions_schema(dst)}'")["table_name"].tolist()
    assert leftovers == ["t__20260101"]
    wh.publish(dst, "t", new, column_types={}, record=rec(day, "r2"), versions_kept=1)
    assert len(wh.query(f"SELECT * FROM {dst}.t")) == 7
    assert wh.versions(dst, "t") == [day]


def test_publish_file_streams_a_parquet_file_atomically(backend, tmp_path):
    wh, dst = backend.wh, backend.dst
    wh.publish(dst, "t", frame(3, "v1"), column_types={}, record=rec("2026-01-01", "r1"))
    big = pd.DataFrame({"id": range(25_000), "s": ["v2"] * 25_000,
                        "ts": pd.date_range("2021-01-01", periods=25_000, freq="min")})
    path = tmp_path / "syn.parquet"
    big.to_parquet(path, row_group_size=4_000)
    wh._fail_after = "view_repointed"
    with pytest.raises(PublishError, match="previous version is unchanged"):
        wh.publish_file(dst, "t", path, column_types={}, record=rec("2026-01-02", "r2"))
    wh._fail_after = None
    assert set(wh.query(f"SELECT * FROM {dst}.t")["s"]) == {"v1"}
    wh.publish_file(dst, "t", path, column_types={}, record=rec("2026-01-02", "r2"))
    back = wh.query(f"SELECT * FROM {dst}.t ORDER BY id")
    assert len(back) == 25_000 and set(back["s"]) == {"v2"}
    assert back["ts"].iloc[-1] == big["ts"].iloc[-1]
    assert wh.versions(dst, "t") == ["2026-01-01", "2026-01-02"]


def test_a_full_disk_names_the_table_and_the_cause_not_the_rollback(tmp_path, monkeypatch):
    """DuckDB aborts the transaction itself on a fatal I/O error; the ROLLBACK that follows then
    fails with "cannot rollback - no transaction is active", which used to be the message."""
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    duckdb.connect(str(wh.path)).close()
    wh.publish("syn", "t", frame(3, "v1"), column_types={}, record=rec("2026-01-01", "r1"))
    real_connect = wh.connect

    def full_disk(step):
        if step == "version_created":
            wh._con.execute("ROLLBACK")  # what DuckDB does itself on a failed write
            raise duckdb.IOException("Could not write file: No space left on device "
                                     "SECRET-MARKER-9")

    from contextlib import contextmanager

    @contextmanager
    def connect():
        with real_connect() as con:
            wh._con = con
            yield con

    monkeypatch.setattr(wh, "connect", connect)
    monkeypatch.setattr(wh, "_step_done", full_disk)
    with pytest.raises(PublishError) as exc:
        wh.publish("syn", "t", frame(5, "v2"), column_types={}, record=rec("2026-01-02", "r2"))
    msg = str(exc.value)
    assert msg == ("publication of syn.t failed: disk full (IOException); the previous version "
                   "is unchanged"), msg
    assert "rollback" not in msg and "SECRET-MARKER" not in msg
    monkeypatch.undo()
    assert set(wh.query("SELECT s FROM syn.t")["s"]) == {"v1"}
    assert [h["run_id"] for h in wh.history("syn", "t")] == ["r1"]
