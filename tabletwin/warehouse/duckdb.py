"""The embedded DuckDB warehouse: :class:`DuckDBWarehouse`, the default backend of
:class:`~tabletwin.warehouse.base.Warehouse` (layout and publication steps described there).

Publication is one DuckDB transaction: the version table is created from the staged frame or the
Parquet file, the view repointed, old versions dropped and the run marked published.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from tabletwin.errors import InputError, PublishError
from tabletwin.warehouse.base import (DEFAULT_CHUNK_ROWS, RunRecord, Warehouse, failure_reason,
                                      partitions_of, quote, version_table, versions_schema)


#: Bytes 8-11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


def check_duckdb_file(path: Path, *, must_exist: bool) -> None:
    """A one-line InputError when ``path`` is not a DuckDB database file: missing (when
    ``must_exist``), a directory, unreadable, or another kind of file (wrong magic bytes)."""
    if not path.exists():
        if must_exist:
            raise InputError(f"DuckDB warehouse file not found: {path}")
        return
    if path.is_dir():
        raise InputError(f"the DuckDB warehouse {path} is a directory, not a DuckDB file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise InputError(f"cannot read the DuckDB warehouse {path} ({type(exc).__name__})") \
            from None
    if head[8:12] != DUCKDB_MAGIC:
        raise InputError(f"{path} is not a DuckDB database file")


def _rollback(con: Any) -> None:
    """Roll back if a transaction is still open. DuckDB aborts the transaction itself on a fatal
    error (a full disk): ROLLBACK then raises "cannot rollback - no transaction is active", which
    used to replace the real cause in the message. Nothing was committed either way."""
    try:
        con.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - the transaction is already gone; the cause is reported
        pass


#: seconds waited for another process's lock before saying so on stderr (once)
LOCK_NOTE_AFTER = 2.0


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. One writer at a time: connections are short-lived and wait for the lock."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 120.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    _history_types = {"text": "VARCHAR", "uint64": "UBIGINT", "int64": "BIGINT",
                      "bool": "BOOLEAN", "json": "JSON", "timestamptz": "TIMESTAMPTZ"}

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import duckdb

        check_duckdb_file(self.path, must_exist=True)
        start = time.monotonic()
        deadline, noted = start + self.lock_timeout, False
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise InputError(f"cannot open the DuckDB warehouse {self.path} "
                                     f"({type(exc).__name__})") from None
                if time.monotonic() > deadline:
                    raise InputError(f"the DuckDB warehouse {self.path} is locked by another "
                                     f"process (waited {self.lock_timeout:.0f} s); DuckDB allows "
                                     "one writer at a time") from None
                if not noted and time.monotonic() - start >= LOCK_NOTE_AFTER:
                    noted = True  # a progress signal: not silent for up to lock_timeout
                    print(f"tabletwin: the DuckDB warehouse {self.path} is locked by another "
                          f"process; waiting up to {self.lock_timeout:.0f} s", file=sys.stderr,
                          flush=True)
                time.sleep(0.2)
            except duckdb.Error as exc:
                raise InputError(f"cannot open the DuckDB warehouse {self.path} "
                                 f"({type(exc).__name__})") from None
        try:
            yield con
        finally:
            con.close()

    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        with self.connect() as con:
            rows = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, table]).fetchall()
        return {name: dtype for name, dtype in rows} or None

    def iter_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        # DuckDB hands out whole vectors of 2,048 rows: chunks hold chunk_rows rounded up to that
        vectors = max(1, -(-int(chunk_rows) // 2048))
        with self.connect() as con:
            cur = con.execute(f"SELECT * FROM {quote(schema)}.{quote(table)}")
            while True:
                chunk = cur.fetch_df_chunk(vectors)
                if len(chunk) == 0:
                    return
                yield chunk

    def table_keys(self, schema: str, table: str) -> tuple[list[str], dict[str, str]]:
        with self.connect() as con:
            rows = con.execute(
                "SELECT constraint_type, constraint_column_names, referenced_table, "
                "referenced_column_names FROM duckdb_constraints() WHERE schema_name = ? "
                "AND table_name = ? AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') "
                "ORDER BY constraint_index", [schema, table]).fetchall()
        return self._keys_from([(kind == "PRIMARY KEY", cols, parent, pcols)
                                for kind, cols, parent, pcols in rows])

    def query(self, sql: str) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql).df()

    def record_run(self, schema: str, record: RunRecord) -> None:
        with self.connect() as con:
            try:
                con.execute("BEGIN TRANSACTION")
                self._upsert_run(con, self._ensure_history(con, schema), record, published=False)
                con.execute("COMMIT")
            except Exception as exc:
                _rollback(con)
                raise PublishError(f"recording the run of {schema}.{record.table_name} failed: "
                                   f"{failure_reason(exc)}") from None

    def _versions(self, con: Any, schema: str, table: str) -> list[str]:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name LIKE ? ESCAPE '\\'",
            [versions_schema(schema), table.replace("_", "\\_") + "\\_\\_%"]).fetchall()
        return partitions_of(table, [name for (name,) in rows])

    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord, versions_kept: int = 3) -> None:
        with self.connect() as con:
            con.register("tabletwin_staged", df)
            try:
                self._publish(con, schema, table, list(df.columns), "tabletwin_staged",
                              column_types=column_types, record=record,
                              versions_kept=versions_kept)
            finally:
                con.unregister("tabletwin_staged")

    def publish_file(self, schema: str, table: str, path: str | Path, *,
                     column_types: dict[str, str], record: RunRecord,
                     versions_kept: int = 3) -> None:
        import pyarrow.parquet as pq

        columns = list(pq.read_schema(path).names)
        literal = "'" + str(path).replace("'", "''") + "'"
        with self.connect() as con:
            self._publish(con, schema, table, columns, f"read_parquet({literal})",
                          column_types=column_types, record=record, versions_kept=versions_kept)

    def _publish(self, con: Any, schema: str, table: str, columns: list[str], relation: str, *,
                 column_types: dict[str, str], record: RunRecord, versions_kept: int) -> None:
        select = ", ".join(
            f"CAST({quote(c)} AS {column_types[c]}) AS {quote(c)}" if c in column_types else quote(c)
            for c in columns)
        vschema = versions_schema(schema)
        version = version_table(table, record.partition_key)
        try:
            con.execute("BEGIN TRANSACTION")
            hist = self._ensure_history(con, schema)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(vschema)}")
            con.execute(f"CREATE OR REPLACE TABLE {quote(vschema)}.{quote(version)} AS "
                        f"SELECT {select} FROM {relation}")
            self._step_done("version_created")
            kept = self._versions(con, schema, table)
            latest = kept[-versions_kept:][-1]
            kind = con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_schema = ? "
                "AND table_name = ?", [schema, table]).fetchone()
            if kind and kind[0] != "VIEW":  # a table published by an earlier tabletwin
                con.execute(f"DROP TABLE {quote(schema)}.{quote(table)}")
            con.execute(f"CREATE OR REPLACE VIEW {quote(schema)}.{quote(table)} AS SELECT * "
                        f"FROM {quote(vschema)}.{quote(version_table(table, latest))}")
            self._step_done("view_repointed")
            for old in kept[:-versions_kept]:
                con.execute(f"DROP TABLE {quote(vschema)}."
                            f"{quote(version_table(table, old))}")
            self._step_done("versions_pruned")
            self._upsert_run(con, hist, record, published=True)
            self._step_done("run_marked")
            con.execute("COMMIT")
        except Exception as exc:
            _rollback(con)
            raise PublishError(f"publication of {schema}.{table} failed: {failure_reason(exc)}; "
                               "the previous version is unchanged") from None
