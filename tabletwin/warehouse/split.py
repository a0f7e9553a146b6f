"""A warehouse that reads from one database and writes to another."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from tabletwin.warehouse.base import DEFAULT_CHUNK_ROWS, RunRecord, Warehouse


class SplitWarehouse(Warehouse):
    """Reads from one warehouse, writes to another (e.g. two PostgreSQL databases): columns,
    iter_table/read_table and table_keys go to ``source``; publish, record_run, history,
    published_schema, query and publish_types to ``target``."""

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

    def published_schema(self, schema: str, table: str) -> str | None:
        return self.target.published_schema(schema, table)

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
