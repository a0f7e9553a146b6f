"""Warehouses: the interface (read sources, publish atomically, keep run history; base.py), DuckDB
(duckdb.py) and PostgreSQL (postgres.py, postgres_copy.py) implementations, a source/target split
(split.py); keys read from the warehouse's own constraints."""
