"""PostgreSQL warehouse: the :class:`~tabletwin.warehouse.base.Warehouse` interface on SQLAlchemy 2 +
psycopg 3 (URL ``postgresql+psycopg://user:password@host:port/database``).

Same layout as the DuckDB warehouse: ``<schema>.<table>`` is a view of the latest kept version
``<schema>_versions.<table>__YYYYMMDD``, history in ``<schema>.tabletwin_runs``.

Publication is one transaction (PostgreSQL DDL is transactional):

1. ``version_created``: the rows are COPYed into a staging table ``<table>__YYYYMMDD_new`` (no lock
   on anything readers use, however long the load takes);
2. ``view_repointed``: ``CREATE OR REPLACE VIEW`` onto the latest kept version (``DROP VIEW`` +
   ``CREATE VIEW`` when the column set changed); a view binds to its table, not its name, so the
   staging table then takes the version's name with the view still on it;
3. ``versions_pruned``: versions beyond ``versions_kept`` are dropped;
4. ``run_marked``: the run's history row says published.

Readers of the view wait for the short swap at the commit and then see the new version; until
then they see the old one. Any failure rolls the whole transaction back. Rows go in with COPY (CSV
written by Arrow) and come out with COPY TO STDOUT parsed by Arrow's streaming CSV reader.

The URL can carry a password: it is never logged nor put in an error message; :func:`mask_url`
gives the printable form. Error messages carry exception class names and SQLSTATEs, never
driver messages (those can quote row values).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import InputError, PublishError
from tabletwin.urls import blank_secrets, mask_url  # noqa: F401  (mask_url re-exported)
from tabletwin.warehouse.base import (DEFAULT_CHUNK_ROWS, RUN_HISTORY_COLUMNS, RunRecord, Warehouse,
                                      family, partitions_of, quote, version_table, versions_schema)
from tabletwin.warehouse.postgres_copy import copy_frame, copy_frames

#: Where the catalog's ``url_env`` points by default.
URL_ENV = "TABLETWIN_WAREHOUSE_URL"
#: PostgreSQL truncates longer identifiers, which would make version names collide.
MAX_IDENT = 63

# DuckDB spellings a DuckDB source may hand a PostgreSQL target
_DUCKDB_TO_PG = {"DOUBLE": "DOUBLE PRECISION", "FLOAT": "REAL", "TINYINT": "SMALLINT",
                 "UTINYINT": "SMALLINT", "USMALLINT": "INTEGER", "UINTEGER": "BIGINT",
                 "UBIGINT": "NUMERIC(20)", "HUGEINT": "NUMERIC(39)", "VARCHAR": "TEXT"}
_PLAIN_TEXT = {"TEXT", "CHARACTER VARYING", "VARCHAR"}


# history columns whose parameters are JSON text, cast on insert
_JSON_HISTORY_COLUMNS = frozenset(name for name, kind in RUN_HISTORY_COLUMNS if kind == "json")


def normalize_url(url: str) -> Any:
    """A SQLAlchemy URL on the psycopg 3 driver (``postgresql://`` is accepted and converted)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url or not url.strip():
        raise InputError("the PostgreSQL warehouse URL is empty")
    try:
        u = make_url(url.strip())
    except (ArgumentError, ValueError):
        raise InputError("the PostgreSQL warehouse URL is not a valid URL (expected "
                         "postgresql+psycopg://user:password@host:port/database)") from None
    if u.host and "@" in u.host:
        # a raw @ in the password: SQLAlchemy splits at the first @, taking the password's tail
        # for the host; the user meant the last @ (as mask_url reads it)
        tail, host = u.host.rsplit("@", 1)
        u = u.set(password=f"{u.password or ''}@{tail}", host=host)
    if u.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise InputError(f"the warehouse URL must use postgresql+psycopg://, not "
                         f"{u.drivername}://")
    return u.set(drivername="postgresql+psycopg")


def pg_type(s: pd.Series) -> str:
    """The PostgreSQL type of a pandas column."""
    dt = s.dtype
    if pdt.is_bool_dtype(dt):
        return "BOOLEAN"
    if pdt.is_integer_dtype(dt):
        return "NUMERIC(20)" if str(dt).lower() == "uint64" else "BIGINT"
    if pdt.is_float_dtype(dt):
        return "DOUBLE PRECISION"
    if isinstance(dt, pd.DatetimeTZDtype):
        return "TIMESTAMPTZ"
    if pdt.is_datetime64_dtype(dt):
        return "TIMESTAMP"
    if pdt.is_timedelta64_dtype(dt):
        return "INTERVAL"
    if isinstance(dt, pd.CategoricalDtype):
        return pg_type(pd.Series(s.cat.categories)) if len(s.cat.categories) else "TEXT"
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    return {"date": "DATE", "datetime": "TIMESTAMP", "datetime64": "TIMESTAMP",
            "boolean": "BOOLEAN", "integer": "BIGINT", "floating": "DOUBLE PRECISION",
            "mixed-integer-float": "DOUBLE PRECISION", "decimal": "NUMERIC",
            "timedelta": "INTERVAL", "timedelta64": "INTERVAL"}.get(inferred, "TEXT")


def _pg_source_type(sql_type: str) -> str | None:
    """A source column type usable for the published column, or None (then the pandas type)."""
    t = sql_type.strip()
    t = _DUCKDB_TO_PG.get(t.upper(), t)
    if family(t) == "text":
        # length-limited, enum, uuid, json...: synthetic values need not fit them
        return "TEXT" if t.upper() in _PLAIN_TEXT else None
    if t.upper() in ("BLOB", "BYTEA") or "[" in t:
        return None
    return t


def load_error(what: str, exc: BaseException) -> InputError:
    """An InputError for a failed load, by exception class and SQLSTATE only."""
    return InputError(f"{what} failed: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """Class name and SQLSTATE of a database error ("disk full" first when it is one): never its
    message (it can quote values)."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    full = "disk full " if state == "53100" else ""
    return f"{full}{type(orig).__name__}" + (f" (SQLSTATE {state})" if state else "")


def _rollback(con: Any) -> None:
    """Roll back; a connection the failure broke (server gone) cannot, and has committed
    nothing: the original error is the one to report."""
    try:
        con.rollback()
    except Exception:  # noqa: BLE001 - the cause is reported by the caller
        pass


class PostgresWarehouse(Warehouse):
    """A PostgreSQL database. Connections are opened per call (no pool is left behind)."""

    def __init__(self, url: str, *, lock_timeout: float = 120.0,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS):
        self._url = normalize_url(url)
        self.lock_timeout = lock_timeout
        self.chunk_rows = chunk_rows
        self._engine: Any = None

    @property
    def label(self) -> str:
        """The database's URL without its password."""
        return mask_url(self._url)

    def __repr__(self) -> str:
        return f"PostgresWarehouse({self.label})"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A psycopg connection (not autocommit: callers commit); closed (rolled back) after."""
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        if self._engine is None:
            self._engine = create_engine(self._url, poolclass=NullPool)
        try:
            raw = self._engine.raw_connection()
        except Exception as exc:  # noqa: BLE001 - any failure to connect, URL masked
            raise InputError(f"cannot connect to the PostgreSQL warehouse {self.label}: "
                             f"{_connect_reason(exc, self._url)}") from None
        try:
            yield raw.driver_connection
        finally:
            raw.close()

    # --- reading -------------------------------------------------------------------------
    def columns(self, schema: str, table: str) -> dict[str, str] | None:
        with self.connect() as con:
            rows = con.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
                "AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY a.attnum",
                [schema, table]).fetchall()
        return {name: dtype for name, dtype in rows} or None

    def iter_table(self, schema: str, table: str,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Streamed with ``COPY ... TO STDOUT`` (see :func:`tabletwin.warehouse.postgres_copy.copy_frames`)."""
        with self.connect() as con:
            for frame in copy_frames(con, f"SELECT * FROM {quote(schema)}.{quote(table)}",
                                      max(1, int(chunk_rows)), table):
                if len(frame):
                    yield frame

    def table_keys(self, schema: str, table: str) -> tuple[list[str], dict[str, str]]:
        cols = ("ARRAY(SELECT a.attname::text FROM unnest(con.{k}) WITH ORDINALITY AS k(n, i) "
                "JOIN pg_attribute a ON a.attrelid = con.{rel} AND a.attnum = k.n ORDER BY k.i)")
        with self.connect() as con:
            rows = con.execute(
                f"SELECT con.contype, {cols.format(k='conkey', rel='conrelid')}, "
                f"pn.nspname::text, pc.relname::text, {cols.format(k='confkey', rel='confrelid')} "
                "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_class pc ON pc.oid = con.confrelid "
                "LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND con.contype IN ('p', 'f') "
                "ORDER BY con.contype DESC, con.conname", [schema, table]).fetchall()
        # a parent in another schema keeps its schema (the catalog then says it is not known)
        return self._keys_from([(kind == "p", kcols,
                                 parent if pschema in (schema, None) else f"{pschema}.{parent}",
                                 pcols) for kind, kcols, pschema, parent, pcols in rows])

    def query(self, sql: str) -> pd.DataFrame:
        """A SELECT's result, typed as :meth:`iter_table`'s chunks."""
        with self.connect() as con:
            frames = list(copy_frames(con, sql, 1_000_000))
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def _versions(self, con: Any, schema: str, table: str) -> list[str]:
        rows = con.execute(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND starts_with(c.relname, %s)",
            [versions_schema(schema), table + "__"]).fetchall()
        return partitions_of(table, [name for (name,) in rows])

    # --- writing -------------------------------------------------------------------------
    def publish_types(self, df: pd.DataFrame, source_types: dict[str, str]) -> dict[str, str]:
        """Every column's PostgreSQL type: the source's where its family still matches (and
        synthetic values are sure to fit it), else the pandas column's."""
        kept = super().publish_types(df, source_types)
        out = {}
        for c in df.columns:
            t = _pg_source_type(kept[c]) if c in kept else None
            out[c] = t or pg_type(df[c])
        return out

    def _begin(self, con: Any, schema: str) -> None:
        # one writer per target schema at a time: schema/table creation would race otherwise
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"tabletwin:{schema}"])
        con.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")

    _history_types = {"text": "TEXT", "uint64": "BIGINT", "int64": "BIGINT", "bool": "BOOLEAN",
                      "json": "JSONB", "timestamptz": "TIMESTAMPTZ"}
    _param = "%s"

    def _placeholder(self, column: str) -> str:
        return "%s::jsonb" if column in _JSON_HISTORY_COLUMNS else "%s"

    def record_run(self, schema: str, record: RunRecord) -> None:
        with self.connect() as con:
            try:
                self._begin(con, schema)
                self._upsert_run(con, self._ensure_history(con, schema), record, published=False)
                con.commit()
            except Exception as exc:  # noqa: BLE001 - reported by class, never by message
                _rollback(con)
                raise PublishError(f"recording the run of {schema}.{record.table_name} failed: "
                                   f"{_reason(exc)}") from None

    def _kind(self, con: Any, schema: str, name: str) -> str | None:
        row = con.execute("SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                          [schema, name]).fetchone()
        return row[0] if row else None

    def _repoint(self, con: Any, schema: str, table: str, source: str) -> None:
        """Point the view ``schema.table`` at ``source`` (a quoted qualified table name)."""
        view = f"{quote(schema)}.{quote(table)}"
        kind = self._kind(con, schema, table)
        if kind is not None and kind != "v":  # a table published by an earlier tabletwin
            con.execute(f"DROP TABLE {view}")
            kind = None
        create = f"VIEW {view} AS SELECT * FROM {source}"
        if kind == "v":
            try:
                with con.transaction():  # a savepoint: replacing fails if the columns changed
                    con.execute(f"CREATE OR REPLACE {create}")
                return
            except Exception:  # noqa: BLE001 - retried below as drop + create
                pass
            con.execute(f"DROP VIEW {view}")
        con.execute(f"CREATE {create}")

    def publish(self, schema: str, table: str, df: pd.DataFrame, *, column_types: dict[str, str],
                record: RunRecord, versions_kept: int = 3) -> None:
        self._publish(schema, table, df, [df], column_types=column_types, record=record,
                      versions_kept=versions_kept)

    def publish_file(self, schema: str, table: str, path: str | Path, *,
                     column_types: dict[str, str], record: RunRecord,
                     versions_kept: int = 3) -> None:
        """As :meth:`publish`, COPYing the Parquet file batch by batch (never loaded whole)."""
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        first = pf.schema_arrow.empty_table().to_pandas()
        for batch in pf.iter_batches(batch_size=self.chunk_rows):
            first = batch.to_pandas()  # dtypes of real values (an empty frame has none)
            break
        batches = (b.to_pandas() for b in pf.iter_batches(batch_size=self.chunk_rows))
        self._publish(schema, table, first, batches, column_types=column_types, record=record,
                      versions_kept=versions_kept)

    def _publish(self, schema: str, table: str, like: pd.DataFrame, frames: Any, *,
                 column_types: dict[str, str], record: RunRecord, versions_kept: int) -> None:
        df = like
        vschema = versions_schema(schema)
        version = version_table(table, record.partition_key)
        staging = version + "_new"
        if len(staging) > MAX_IDENT:
            raise PublishError(f"table name {table!r} is too long for PostgreSQL version tables "
                               f"(at most {MAX_IDENT - len('__YYYYMMDD_new')} bytes)")
        types = {c: column_types.get(c) or pg_type(df[c]) for c in df.columns}
        qv = quote(vschema)
        with self.connect() as con:
            try:
                self._begin(con, schema)
                hist = self._ensure_history(con, schema)
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {qv}")
                con.execute(f"DROP TABLE IF EXISTS {qv}.{quote(staging)}")
                con.execute(f"CREATE TABLE {qv}.{quote(staging)} ("
                            + ", ".join(f"{quote(str(c))} {t}" for c, t in types.items()) + ")")
                with con.cursor() as cur:
                    for frame in frames:
                        copy_frame(cur, f"{qv}.{quote(staging)}", frame, self.chunk_rows)
                self._step_done("version_created")
                kept = sorted(set(self._versions(con, schema, table)) | {record.partition_key})
                latest = kept[-versions_kept:][-1]
                self._repoint(con, schema, table, f"{qv}.{quote(staging)}"
                              if latest == record.partition_key
                              else f"{qv}.{quote(version_table(table, latest))}")
                self._step_done("view_repointed")
                con.execute(f"DROP TABLE IF EXISTS {qv}.{quote(version)}")
                con.execute(f"ALTER TABLE {qv}.{quote(staging)} RENAME TO {quote(version)}")
                for old in kept[:-versions_kept]:
                    con.execute(f"DROP TABLE {qv}.{quote(version_table(table, old))}")
                self._step_done("versions_pruned")
                self._upsert_run(con, hist, record, published=True)
                self._step_done("run_marked")
                con.commit()
            except Exception as exc:  # noqa: BLE001 - reported by class, never by message
                _rollback(con)
                raise PublishError(f"publication of {schema}.{table} failed: {_reason(exc)}; "
                                   "the previous version is unchanged") from None


def _connect_reason(exc: BaseException, url: Any) -> str:
    """Why a connection failed, from the driver's first line, with the URL's credentials
    blanked (:func:`tabletwin.urls.blank_secrets`)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    text = lines[0] if lines else type(orig).__name__
    return blank_secrets(text, url)[:300]
