"""Warehouse access: read source tables, publish synthetic tables atomically, keep run history.

``Warehouse`` is the interface, with the SQL both backends share (run history, keys, type
families); :class:`tabletwin.warehouse.duckdb.DuckDBWarehouse` is the embedded default,
:class:`tabletwin.warehouse.postgres.PostgresWarehouse` the server one, and
:class:`tabletwin.warehouse.split.SplitWarehouse` reads from one and writes to another.

Layout in the warehouse (target schema ``synthetic`` by default):

* ``synthetic.<table>``: a view of the latest good version: what consumers query.
* ``synthetic_versions.<table>__<YYYYMMDD>``: one table per published partition; the last
  ``versions_kept`` partitions are kept. Re-running a partition replaces only its own version.
* ``synthetic.tabletwin_runs``: one row per (table, partition, run): generator, seed, rows, every
  score, checks passed or not, published or not, code version, timestamps. Failed runs included.

Publication builds the version table, repoints the view, prunes old versions and marks the run
published in one transaction (the steps of :data:`PUBLISH_STEPS`, in that order): readers see the
old version or the new one, and a failure at any point leaves the last good version (and the
history) as it was.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from pandas.api import types as pdt

HISTORY_TABLE = "tabletwin_runs"
VERSIONS_SUFFIX = "_versions"
#: The run history's columns (the fields of :class:`RunRecord` plus when it was checked and
#: published), each with a portable kind; a backend spells each kind in its own SQL
#: (:attr:`Warehouse._history_types`). The one definition both backends create and migrate.
RUN_HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "text"), ("partition_key", "text"), ("run_id", "text"), ("generator", "text"),
    ("seed", "uint64"), ("rows", "int64"), ("passed", "bool"), ("scores", "json"),
    ("code_version", "text"), ("published", "bool"), ("checked_at", "timestamptz"),
    ("published_at", "timestamptz"), ("checks", "json"), ("source_schema", "json"),
    ("model", "text"))


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
    #: the source's columns, declared types and keys the run read
    #: (:meth:`tabletwin.config.schema_change.TableSchema.to_json`; None: not read from a warehouse)
    source_schema: str | None = None
    #: refit or reuse, and why: ``refit: drift in amount (PSI 0.31)``, ``reused model of 2026-11-28``
    model: str | None = None

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
        runs recorded before checks were), model (refit or reuse and why; None before it was
        recorded). Empty when nothing was recorded yet."""
        have = self.columns(schema, HISTORY_TABLE)
        if have is None:
            return []
        checks = "checks" if "checks" in have else "NULL AS checks"
        model = "model" if "model" in have else "NULL AS model"
        df = self.query(
            f"SELECT partition_key, run_id, generator, passed, published, scores, checked_at, "
            f"{checks}, {model} "
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
                        "checked_at": str(r["checked_at"]), "checks": checks_,
                        "model": r["model"] if isinstance(r["model"], str) else None})
        return out

    def published_schema(self, schema: str, table: str) -> str | None:
        """The ``source_schema`` (JSON text) of ``table``'s newest published run (the newest
        partition, and of its runs the last published: the live version the view shows): the
        columns, declared types and keys it was made from. None when no run was published or
        that run recorded no schema (published before schemas were recorded)."""
        have = self.columns(schema, HISTORY_TABLE)
        if have is None or "source_schema" not in have:
            return None
        df = self.query(
            f"SELECT source_schema FROM {quote(schema)}.{HISTORY_TABLE} "
            f"WHERE table_name = '{table.replace(chr(39), '')}' AND published "
            f"ORDER BY partition_key DESC, published_at DESC NULLS LAST LIMIT 1")
        if df.empty:
            return None
        value = df["source_schema"].iloc[0]
        if value is None or (isinstance(value, float) and value != value):  # SQL NULL (NaN)
            return None
        # DuckDB returns JSON as text, PostgreSQL JSONB as a dict
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    # run history, shared by the SQL backends: the SQL type of each column kind of
    # RUN_HISTORY_COLUMNS and the parameter style are theirs
    _history_types: dict[str, str] = {}
    _param = "?"

    @property
    def _history_columns(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, self._history_types[kind]) for name, kind in RUN_HISTORY_COLUMNS)

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


def failure_reason(exc: BaseException) -> str:
    """What failed, for an error message: "disk full" when the operating system said so, and the
    exception's class; never the database's message (it can quote values)."""
    import errno

    text = str(exc).lower()
    full = (getattr(exc, "errno", None) == errno.ENOSPC or "no space left" in text
            or "disk full" in text or getattr(exc, "sqlstate", None) == "53100")
    return f"disk full ({type(exc).__name__})" if full else type(exc).__name__
