"""Warehouse access: read source tables, publish synthetic tables atomically, keep run history.

``Warehouse`` is the interface; :class:`DuckDBWarehouse` is the embedded default.

Layout in the warehouse (target schema ``synthetic`` by default):

* ``synthetic.<table>``: a view of the latest good version: what consumers query.
* ``synthetic_versions.<table>__<YYYYMMDD>``: one table per published partition; the last
  ``versions_kept`` partitions are kept. Re-running a partition replaces only its own version.
* ``synthetic.tabletwin_runs``: one row per (table, partition, run): generator, seed, rows, every
  score, checks passed or not, published or not, code version, timestamps. Failed runs included.

Publication builds the version table, repoints the view, prunes old versions and marks the run
published in one transaction (the steps of :data:`PUBLISH_STEPS`, in that order): readers see the
old version or the new one, and a failure at any point leaves the last good version (and the
history) as it was. :class:`tabletwin.warehouse.postgres.PostgresWarehouse` implements the same interface
on PostgreSQL.
"""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import InputError, PublishError

HISTORY_TABLE = "tabletwin_runs"
VERSIONS_SUFFIX = "_versions"
_HISTORY_COLUMNS = (("table_name", "VARCHAR"), ("partition_key", "VARCHAR"), ("run_id", "VARCHAR"),
                    ("generator", "VARCHAR"), ("seed", "UBIGINT"), ("rows", "BIGINT"),
                    ("passed", "BOOLEAN"), ("scores", "JSON"), ("code_version", "VARCHAR"),
                    ("published", "BOOLEAN"), ("checked_at", "TIMESTAMPTZ"),
                    ("published_at", "TIMESTAMPTZ"), ("checks", "JSON"))


def versions_schema(schema: str) -> str:
    return schema + VERSIONS_SUFFIX


def version_table(table: str, partition: str) -> str:
    """``orders`` + ``2026-11-26`` -> ``orders__20261126``."""
    return f"{table}__{partition.replace('-', '')}"


def partitions_of(table: str, names: list[str]) -> list[str]:
    """Partitions (YYYY-MM-DD) of the version tables of ``table`` among ``names``, oldest first."""
    out = []
    for name in names:
        tail = name[len(table) + 2:]
        if name.startswith(table + "__") and len(tail) == 8 and tail.isdigit():
            out.append(f"{tail[:4]}-{tail[4:6]}-{tail[6:]}")
    return sorted(out)


#: The steps of a publication, in order, all inside one transaction.
PUBLISH_STEPS = ("version_created", "view_repointed", "versions_pruned", "run_marked")
DEFAULT_CHUNK_ROWS = 100_000


class InjectedFailure(RuntimeError):
    """Raised after a publish step named by ``Warehouse._fail_after`` (fault-injection tests)."""


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
    # check name -> {"status": passed|failed|not_applicable|not_measured, "severity": ...}
    checks: dict[str, dict[str, str]] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        d["scores"] = json.dumps(self.scores, sort_keys=True, default=str)
        d["checks"] = json.dumps(self.checks, sort_keys=True)
        return d


def family(sql_type: str) -> str:
    """``int``, ``float``, ``bool``, ``time`` or ``text``, for DuckDB and PostgreSQL type names."""
    t = sql_type.upper()
    if t.startswith("INTERVAL"):
        return "text"
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "INT")):
        return "int"
    if t.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")):
        return "float"
    if t.startswith("BOOL"):
        return "bool"
    if t.startswith(("DATE", "TIMESTAMP")) or t in ("TIME", "TIMETZ") or t.startswith("TIME "):
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

    #: Fault injection for tests: the name of a :data:`PUBLISH_STEPS` step after which publish
    #: raises :class:`InjectedFailure` (inside the transaction). None in normal use.
    _fail_after: str | None = None

    def _step_done(self, step: str) -> None:
        if self._fail_after == step:
            raise InjectedFailure(f"injected failure after {step}")

    @abstractmethod
    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        """Column name -> SQL type, or None when the table does not exist."""

    @abstractmethod
    def iter_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The table as DataFrames of at most about ``chunk_rows`` rows each, streamed from the
        warehouse (never fetched whole); nothing is yielded for an empty table."""

    def read_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> pd.DataFrame:
        """The whole table as a DataFrame (read through :meth:`iter_table`)."""
        chunks = list(self.iter_table(schema, table, chunk_rows))
        if not chunks:
            return self.query(f"SELECT * FROM {quote(schema)}.{quote(table)} LIMIT 0")
        if len(chunks) == 1:
            return chunks[0]
        return pd.concat(chunks, ignore_index=True)

    @abstractmethod
    def table_keys(self, schema: str, table: str) -> tuple[list[str], dict[str, str]]:
        """The table's declared keys: (primary key columns, {column: "parent_table.parent_column"}
        for its single-column foreign keys into the same schema). Empty when none is declared."""

    def count_rows(self, schema: str, table: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {quote(schema)}.{quote(table)}")
                   ["n"].iloc[0])

    @abstractmethod
    def publish_file(self, schema: str, table: str, path: str | Path, *,
                     column_types: dict[str, str], record: RunRecord,
                     versions_kept: int = 3) -> None:
        """As :meth:`publish`, from a Parquet file (streamed, never loaded whole)."""

    @abstractmethod
    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord, versions_kept: int = 3) -> None:
        """Store ``df`` as the version of ``record.partition_key``, point ``schema.table`` at the
        latest kept version, prune older ones and mark the run published, atomically."""

    @abstractmethod
    def record_run(self, schema: str, record: RunRecord) -> None:
        """Add (or replace) the history row of ``record``'s run, not published (yet)."""

    def versions(self, schema: str, table: str) -> list[str]:
        """Partitions (YYYY-MM-DD) with a kept version of ``table``, oldest first."""
        with self.connect() as con:
            return self._versions(con, schema, table)

    def history(self, schema: str, table: str, limit: int = 30) -> list[dict[str, Any]]:
        """The table's latest runs, newest first: partition, run id, generator, passed, published,
        accuracy (from the scores), checked_at, checks (name -> status and severity; empty for
        runs recorded before checks were). Empty when nothing was recorded yet."""
        have = self.columns(schema, HISTORY_TABLE)
        if have is None:
            return []
        checks = "checks" if "checks" in have else "NULL AS checks"
        df = self.query(
            f"SELECT partition_key, run_id, generator, passed, published, scores, checked_at, "
            f"{checks} "
            f"FROM {quote(schema)}.{HISTORY_TABLE} WHERE table_name = '{table.replace(chr(39), '')}' "
            f"ORDER BY checked_at DESC NULLS LAST, partition_key DESC LIMIT {int(limit)}")
        out = []
        for r in df.to_dict("records"):
            scores = r.pop("scores")
            scores = scores if isinstance(scores, dict) else json.loads(scores or "{}")
            checks_ = r.pop("checks")
            checks_ = checks_ if isinstance(checks_, dict) else json.loads(checks_ or "{}")
            out.append({"partition": r["partition_key"], "run_id": r["run_id"],
                        "generator": r["generator"], "passed": bool(r["passed"]),
                        "published": bool(r["published"]) if r["published"] is not None else False,
                        "accuracy": scores.get("fidelity_above_threshold"),
                        "checked_at": str(r["checked_at"]), "checks": checks_})
        return out

    # run history, shared by the SQL backends: column types and parameter style are theirs
    _history_columns: tuple[tuple[str, str], ...] = _HISTORY_COLUMNS
    _param = "?"

    def _placeholder(self, column: str) -> str:
        return self._param

    def _ensure_history(self, con: Any, schema: str) -> str:
        hist = f"{quote(schema)}.{HISTORY_TABLE}"
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        cols = ", ".join(f"{c} {t}" for c, t in self._history_columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {hist} ({cols})")
        for c, t in self._history_columns:  # histories written by an earlier version lack columns
            con.execute(f"ALTER TABLE {hist} ADD COLUMN IF NOT EXISTS {c} {t}")
        return hist

    def _upsert_run(self, con: Any, hist: str, record: RunRecord, *, published: bool) -> None:
        row = record.row()
        p = self._param
        con.execute(f"DELETE FROM {hist} WHERE table_name = {p} AND partition_key = {p} "
                    f"AND run_id = {p}", [row["table_name"], row["partition_key"], row["run_id"]])
        names = [c for c, _ in self._history_columns
                 if c not in ("published", "checked_at", "published_at")]
        con.execute(
            f"INSERT INTO {hist} ({', '.join(names)}, published, checked_at, published_at) "
            f"VALUES ({', '.join(self._placeholder(n) for n in names)}, {p}, now(), "
            f"{'now()' if published else 'NULL'})",
            [row[k] for k in names] + [published])

    @staticmethod
    def _keys_from(rows: list[tuple[bool, list[str], str, list[str]]]
                   ) -> tuple[list[str], dict[str, str]]:
        """(primary key, single-column foreign keys) from (is primary, columns, parent, parent
        columns) rows; composite foreign keys are not modelled."""
        pk: list[str] = []
        fks: dict[str, str] = {}
        for primary, cols, parent, pcols in rows:
            if primary:
                pk = list(cols)
            elif len(cols) == 1 and len(pcols) == 1:
                fks[cols[0]] = f"{parent}.{pcols[0]}"
        return pk, fks

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """Run a read query (tests, reports, CLI)."""

    def publish_types(self, df: pd.DataFrame, source_types: dict[str, str]) -> dict[str, str]:
        """Source SQL types for the columns whose values kept their type family."""
        return {c: t for c, t in source_types.items()
                if c in df.columns and family(t) == pandas_family(df[c])
                or (c in df.columns and family(t) == "float" and pandas_family(df[c]) == "int")}


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


def failure_reason(exc: BaseException) -> str:
    """What failed, for an error message: "disk full" when the operating system said so, and the
    exception's class; never the database's message (it can quote values)."""
    import errno

    text = str(exc).lower()
    full = (getattr(exc, "errno", None) == errno.ENOSPC or "no space left" in text
            or "disk full" in text or getattr(exc, "sqlstate", None) == "53100")
    return f"disk full ({type(exc).__name__})" if full else type(exc).__name__


def _rollback(con: Any) -> None:
    """Roll back if a transaction is still open. DuckDB aborts the transaction itself on a fatal
    error (a full disk): ROLLBACK then raises "cannot rollback - no transaction is active", which
    used to replace the real cause in the message. Nothing was committed either way."""
    try:
        con.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - the transaction is already gone; the cause is reported
        pass


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. One writer at a time: connections are short-lived and wait for the lock."""

    def __init__(self, path: str | Path, *, lock_timeout: float = 120.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import duckdb

        check_duckdb_file(self.path, must_exist=True)
        deadline = time.monotonic() + self.lock_timeout
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

class SplitWarehouse(Warehouse):
    """Reads from one warehouse, writes to another (e.g. two PostgreSQL databases): columns,
    iter_table/read_table and table_keys go to ``source``; publish, record_run, history, query and
    publish_types to ``target``."""

    def __init__(self, source: Warehouse, target: Warehouse):
        self.source, self.target = source, target

    def __repr__(self) -> str:
        return f"SplitWarehouse(source={self.source!r}, target={self.target!r})"

    @property
    def _fail_after(self) -> str | None:  # type: ignore[override]
        return self.target._fail_after

    @_fail_after.setter
    def _fail_after(self, step: str | None) -> None:
        self.target._fail_after = step

    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        return self.source.columns(schema, table)

    def iter_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        return self.source.iter_table(schema, table, chunk_rows)

    def read_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> pd.DataFrame:
        return self.source.read_table(schema, table, chunk_rows)

    def table_keys(self, schema: str, table: str) -> tuple[list[str], dict[str, str]]:
        return self.source.table_keys(schema, table)

    def query(self, sql: str) -> pd.DataFrame:
        return self.target.query(sql)

    def history(self, schema: str, table: str, limit: int = 30) -> list[dict[str, Any]]:
        return self.target.history(schema, table, limit)

    def versions(self, schema: str, table: str) -> list[str]:
        return self.target.versions(schema, table)

    def publish_types(self, df: pd.DataFrame, source_types: dict[str, str]) -> dict[str, str]:
        return self.target.publish_types(df, source_types)

    def record_run(self, schema: str, record: RunRecord) -> None:
        self.target.record_run(schema, record)

    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord, versions_kept: int = 3) -> None:
        self.target.publish(schema, table, df, column_types=column_types, record=record,
                            versions_kept=versions_kept)

    def publish_file(self, schema: str, table: str, path: str | Path, *,
                     column_types: dict[str, str], record: RunRecord,
                     versions_kept: int = 3) -> None:
        self.target.publish_file(schema, table, path, column_types=column_types, record=record,
                                 versions_kept=versions_kept)
