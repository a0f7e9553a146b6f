"""Writing the demo bank to a warehouse: a DuckDB file (replaced atomically) or a PostgreSQL
schema (one transaction), primary and foreign keys declared in both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from tabletwin.demo.bank import demo_tables

_DDL = """
CREATE TABLE main.customers (
    customer_id BIGINT PRIMARY KEY,
    full_name VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,
    ssn VARCHAR NOT NULL,
    street_address VARCHAR NOT NULL,
    city VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    date_of_birth DATE NOT NULL,
    signup_date DATE NOT NULL,
    segment VARCHAR NOT NULL,
    annual_income DOUBLE,
    credit_score INTEGER NOT NULL
);
CREATE TABLE main.accounts (
    account_id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES main.customers (customer_id),
    account_type VARCHAR NOT NULL,
    opened_date DATE NOT NULL,
    balance DOUBLE NOT NULL
);
CREATE TABLE main.transactions (
    transaction_id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES main.accounts (account_id),
    created_at TIMESTAMP NOT NULL,
    amount DOUBLE NOT NULL,
    merchant_category VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    is_fraud BOOLEAN NOT NULL
);
CREATE TABLE main.support_tickets (
    ticket_id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES main.customers (customer_id),
    created_at TIMESTAMP NOT NULL,
    category VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
);
"""


def build_demo_warehouse(path: str | os.PathLike, *, seed: int = 7, customers: int = 20_000,
                         transactions: int = 200_000) -> dict[str, int]:
    """Write a seeded DuckDB file that looks like a real retail bank (schema `main`); returns rows per table.

    Tables, in foreign-key order: ``customers`` (``customers`` rows), ``accounts`` (about 1.6 per
    customer), ``transactions`` (``transactions`` rows) and ``support_tickets`` (about 0.25 per
    customer); primary and foreign keys are declared. An existing file at ``path`` is replaced
    atomically: the database is built in a temporary file next to it and moved into place, so a crash
    never leaves a half-written file. The same ``seed`` and sizes give identical table contents.
    """
    return _write_atomically(Path(path), demo_tables(seed=seed, customers=customers,
                                                     transactions=transactions))


def postgres_ddl(schema: str = "main") -> str:
    """The demo tables' DDL (keys declared) for PostgreSQL, in ``schema``."""
    import re

    ddl = re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", _DDL)
    return ddl.replace("main.", f'"{schema}".')


def load_demo_postgres(url: str, *, schema: str = "main", seed: int = 7, customers: int = 20_000,
                       transactions: int = 200_000) -> dict[str, int]:
    """Load the demo bank into ``schema`` of a PostgreSQL database (URL
    ``postgresql+psycopg://...``), primary and foreign keys declared; returns rows per table.

    One transaction: existing demo tables in ``schema`` are replaced by the new ones at the
    commit, so readers see the old tables or the new, never a half-loaded set. Other objects in
    the schema are left alone (a view on a demo table makes the load fail, changing nothing)."""
    from tabletwin.warehouse.postgres import PostgresWarehouse, load_error
    from tabletwin.warehouse.postgres_copy import copy_frame

    tables = demo_tables(seed=seed, customers=customers, transactions=transactions)
    wh = PostgresWarehouse(url)
    q = f'"{schema}"'
    with wh.connect() as con:
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
            for name in reversed(list(tables)):  # children first
                con.execute(f"DROP TABLE IF EXISTS {q}.{name}")
            con.execute(postgres_ddl(schema))
            counts = {}
            with con.cursor() as cur:
                for name, frame in tables.items():
                    copy_frame(cur, f"{q}.{name}", frame)
                    counts[name] = cur.execute(f"SELECT count(*) FROM {q}.{name}").fetchone()[0]
            con.commit()
        except Exception as exc:  # noqa: BLE001 - reported by class, never by message
            con.rollback()
            raise load_error(f"loading the demo bank into {wh.label} schema {schema!r}",
                             exc) from None
    return counts


def _write_atomically(path: Path, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Create the schema, load ``tables`` (parents first) into a temp file and move it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as tmp_dir:
        tmp_path = Path(tmp_dir) / path.name
        con = duckdb.connect(str(tmp_path))
        try:
            con.execute(_DDL).complete()
            counts = {}
            for name, frame in tables.items():
                con.register("_frame", frame)
                con.execute(f"INSERT INTO main.{name} BY NAME SELECT * FROM _frame").complete()
                con.unregister("_frame")
                [(counts[name],)] = con.execute(f"SELECT count(*) FROM main.{name}").fetchall()
            con.checkpoint()
        finally:
            con.close()
        # A write-ahead log left by the file being replaced would be replayed onto the new one.
        Path(f"{path}.wal").unlink(missing_ok=True)
        os.replace(tmp_path, path)
    return counts
