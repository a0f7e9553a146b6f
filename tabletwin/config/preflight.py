"""Checks of a catalog against its warehouse before a run does any work: the warehouse opens, each
source table exists, every column the catalog names is in it, and its columns are ones tabletwin
can model (named, flat). Without them a run snapshots, masks and fits the parents before finding
that a child's source table is missing. Errors name the catalog file, the table and the field."""

from __future__ import annotations

from tabletwin.config.catalog import Catalog
from tabletwin.config.loader import check_columns
from tabletwin.errors import ConfigError, InputError
from tabletwin.warehouse.base import Warehouse

#: Source column types (DuckDB and PostgreSQL spellings) with no single value per cell.
_NESTED_PREFIXES = ("STRUCT(", "MAP(", "UNION(")


def tables_to_run(catalog: Catalog, table: str | None) -> list[str]:
    """``table`` and every table it needs (its parents, recursively); all tables when None."""
    order = catalog.ordered_tables()
    if table is None:
        return order
    needed, todo = set(), [table]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        t = catalog.table(name)
        todo.extend(t.parent_of(c)[0] for c in t.foreign_keys)
    return [n for n in order if n in needed]


#: Source column types (DuckDB and PostgreSQL spellings, upper-cased prefixes) of numbers, dates
#: and times: their values are not categories, so a scenario cannot follow their mix.
_NOT_CATEGORICAL = ("TINYINT", "SMALLINT", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                    "UINTEGER", "UBIGINT", "UHUGEINT", "DECIMAL", "NUMERIC", "FLOAT", "DOUBLE",
                    "REAL", "DATE", "TIME", "INTERVAL", "MONEY", "SERIAL", "BIGSERIAL",
                    "SMALLSERIAL")


def check_follow_types(catalog: Catalog, table: str, types: dict[str, str]) -> None:
    """A ``follow_drift`` scenario of ``table`` must name a categorical column (text, boolean,
    enum): ConfigError naming the scenario's field when ``types`` (column -> source type) says it
    holds numbers, dates or times. (The masked column's type is checked again by the run.)"""
    for name, sc in catalog.scenarios.items():
        if sc.table != table or sc.follow_drift is None:
            continue
        sql_type = str(types.get(sc.follow_drift.column, ""))
        if sql_type.upper().startswith(_NOT_CATEGORICAL):
            raise ConfigError(f"column {sc.follow_drift.column!r} is {sql_type[:40]}, not "
                              "categorical: a scenario can only follow the mix of a categorical "
                              "(text, boolean) column", path=catalog.path, table=table,
                              field=f"scenarios.{name}.follow_drift.column")


def check_sources(catalog: Catalog, warehouse: Warehouse, tables: list[str]) -> None:
    """Raise a one-line ConfigError / InputError for the first problem found."""
    schema = catalog.warehouse.source_schema
    for name in tables:
        t = catalog.table(name)
        types = warehouse.columns(schema, t.source_table)
        if types is None:
            raise ConfigError(f"source table {schema}.{t.source_table} does not exist in the "
                              f"warehouse ({catalog.warehouse.describe(catalog.root)})",
                              path=catalog.path, table=name,
                              field="source" if t.source else "tables")
        check_columns(catalog, name, list(types))
        check_follow_types(catalog, name, types)
        for column, sql_type in types.items():
            if not str(column).strip():
                raise InputError(f"source table {schema}.{t.source_table} has a column with an "
                                 "empty name; rename it (or expose the table through a view)",
                                 table=name)
            upper = str(sql_type).upper()
            if upper.startswith(_NESTED_PREFIXES) or "[" in upper:  # INTEGER[], integer[]
                raise InputError(f"column type {sql_type} is nested (not supported); flatten it "
                                 "in a view", table=name, column=str(column))
