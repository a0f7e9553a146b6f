"""Open the catalog's warehouse, and take table keys from its own constraints.

A catalog table that declares no ``primary_key`` (or no ``foreign_keys``) gets the ones the
warehouse declares for its source table, when ``warehouse.read_keys`` is true (the default).
Declaring ``foreign_keys: {}`` explicitly keeps a table keyless whatever the warehouse says.
"""

from __future__ import annotations

import os

from tabletwin.catalog import Catalog, parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.warehouse import DuckDBWarehouse, SplitWarehouse, Warehouse

KEY_FIELDS = ("primary_key", "foreign_keys")


def warehouse_urls(catalog: Catalog) -> tuple[str, str | None]:
    """(source URL, target URL or None) of a postgres catalog, from its environment variables."""
    wh = catalog.warehouse
    url = os.environ.get(wh.url_env, "").strip()
    if not url:
        raise ConfigError(f"environment variable {wh.url_env} (the PostgreSQL warehouse URL) is "
                          "not set", path=catalog.path, field="warehouse.url_env")
    target = None
    if wh.target_url_env:
        target = os.environ.get(wh.target_url_env, "").strip()
        if not target:
            raise ConfigError(f"environment variable {wh.target_url_env} (the target warehouse "
                              "URL) is not set", path=catalog.path, field="warehouse.target_url_env")
    return url, target if target and target != url else None


def open_warehouse(catalog: Catalog) -> Warehouse:
    """The catalog's warehouse (core object; Dagster code uses the warehouse resource)."""
    wh = catalog.warehouse
    if wh.kind == "postgres":
        from tabletwin.warehouse_pg import PostgresWarehouse

        url, target = warehouse_urls(catalog)
        source = PostgresWarehouse(url)
        return SplitWarehouse(source, PostgresWarehouse(target)) if target else source
    return DuckDBWarehouse(catalog.resolve(wh.path))


def tables_missing_keys(catalog: Catalog) -> dict[str, list[str]]:
    """Tables (and which of primary_key / foreign_keys) the catalog leaves to the warehouse."""
    if not catalog.warehouse.read_keys:
        return {}
    out = {}
    for name, t in catalog.tables.items():
        fields = [f for f in KEY_FIELDS if f not in t.model_fields_set]
        if fields:
            out[name] = fields
    return out


def with_warehouse_keys(catalog: Catalog, warehouse: Warehouse | None = None) -> Catalog:
    """The catalog with undeclared keys filled from the warehouse's constraints (validated again:
    cycles and references outside the catalog are ConfigErrors naming the tables).

    Unchanged when ``read_keys`` is false, when every table declares its keys, or when the DuckDB
    file does not exist yet (reading the source later says so)."""
    missing = tables_missing_keys(catalog)
    if not missing:
        return catalog
    if warehouse is None:
        if catalog.warehouse.kind == "duckdb" and not catalog.resolve(catalog.warehouse.path).exists():
            return catalog
        warehouse = open_warehouse(catalog)
    schema = catalog.warehouse.source_schema
    by_source = {t.source_table: name for name, t in catalog.tables.items()}
    data = catalog.model_dump(exclude_unset=True, exclude={"path"})
    changed = False
    for name, fields in missing.items():
        t = catalog.tables[name]
        pk, fks = warehouse.table_keys(schema, t.source_table)
        entry = data["tables"][name]
        if "primary_key" in fields and len(pk) == 1:  # composite keys are not modelled
            entry["primary_key"] = pk[0]
            changed = True
        if "foreign_keys" in fields and fks:
            mapped = {}
            for col, ref in fks.items():
                ptable, _, pcol = ref.rpartition(".")
                parent = by_source.get(ptable)
                if parent is None:
                    raise ConfigError(
                        f"the warehouse declares foreign key {col} -> {ref}, but table "
                        f"{ptable!r} is not in the catalog: add it, or declare this table's "
                        "foreign_keys (foreign_keys: {} for none)",
                        path=catalog.path, table=name, field=f"foreign_keys.{col}")
                mapped[col] = f"{parent}.{pcol}"
            entry["foreign_keys"] = mapped
            changed = True
    if not changed:
        return catalog
    try:
        return parse_catalog(data, catalog.path)
    except ConfigError as exc:
        raise ConfigError(f"{exc.message} (keys read from the warehouse's constraints in schema "
                          f"{schema!r})", path=exc.path, table=exc.table, field=exc.field) from None
