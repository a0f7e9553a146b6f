"""Warehouses: the interface (read sources, publish atomically, keep run history), DuckDB and
PostgreSQL implementations, keys read from the warehouse's own constraints."""
