"""Warehouse access: read source tables, publish synthetic tables atomically, keep run history.

``Warehouse`` is the interface; :class:`DuckDBWarehouse` is the embedded default. Publication builds
the new table and records the run in one transaction: readers see the old version or the new one,
and a failure at any point leaves the last good version (and the history) as it was.
"""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import InputError, PublishError

HISTORY_TABLE = "tabletwin_runs"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


@dataclass(frozen=True)
class RunRecord:
    """One row of the run history (``<target schema>.tabletwin_runs``)."""

    table_name: str
    partition_key: str
    run_id: str
    generator: str
    seed: int
    rows: int
    passed: bool
    scores: dict[str, Any]
    code_version: str

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        d["scores"] = json.dumps(self.scores, sort_keys=True, default=str)
        return d


def family(sql_type: str) -> str:
    t = sql_type.upper()
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "INT")):
        return "int"
    if t.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")):
        return "float"
    if t.startswith("BOOL"):
        return "bool"
    if t.startswith(("DATE", "TIMESTAMP", "TIME")):
        return "time"
    return "text"


def pandas_family(s: pd.Series) -> str:
    if pdt.is_bool_dtype(s.dtype):
        return "bool"
    if pdt.is_integer_dtype(s.dtype):
        return "int"
    if pdt.is_float_dtype(s.dtype):
        return "float"
    if pdt.is_datetime64_any_dtype(s.dtype):
        return "time"
    return "text"


class Warehouse(ABC):
    """What tabletwin needs from a warehouse."""

    @abstractmethod
    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        """Column name -> SQL type, or None when the table does not exist."""

    @abstractmethod
    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        """The whole table as a DataFrame."""

    @abstractmethod
    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord) -> None:
        """Replace ``schema.table`` with ``df`` and append ``record`` to the history, atomically."""

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """Run a read query (tests, reports, CLI)."""

    def publish_types(self, df: pd.DataFrame, source_types: dict[str, str]) -> dict[str, str]:
        """Source SQL types for the columns whose values kept their type family."""
        return {c: t for c, t in source_types.items()
                if c in df.columns and family(t) == pandas_family(df[c])
                or (c in df.columns and family(t) == "float" and pandas_family(df[c]) == "int")}


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. One writer at a time: connections are short-lived and wait for the lock."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 120.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import duckdb

        if not self.path.exists():
            raise InputError(f"DuckDB warehouse file not found: {self.path}")
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
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

    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(f"SELECT * FROM {quote(schema)}.{quote(table)}").df()

    def query(self, sql: str) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql).df()

    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord) -> None:
        select = ", ".join(
            f"CAST({quote(c)} AS {column_types[c]}) AS {quote(c)}" if c in column_types else quote(c)
            for c in df.columns)
        hist = f"{quote(schema)}.{HISTORY_TABLE}"
        row = record.row()
        with self.connect() as con:
            con.register("tabletwin_staged", df)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
                con.execute(f"CREATE OR REPLACE TABLE {quote(schema)}.{quote(table)} AS "
                            f"SELECT {select} FROM tabletwin_staged")
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {hist} (table_name VARCHAR, partition_key VARCHAR, "
                    "run_id VARCHAR, generator VARCHAR, seed UBIGINT, rows BIGINT, passed BOOLEAN, "
                    "scores JSON, code_version VARCHAR, published_at TIMESTAMPTZ)")
                con.execute(f"INSERT INTO {hist} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                            [row[k] for k in ("table_name", "partition_key", "run_id", "generator",
                                              "seed", "rows", "passed", "scores", "code_version")])
                con.execute("COMMIT")
            except Exception as exc:
                con.execute("ROLLBACK")
                raise PublishError(f"publishing {schema}.{table} failed, previous version kept: "
                                   f"{type(exc).__name__}") from None
            finally:
                con.unregister("tabletwin_staged")
