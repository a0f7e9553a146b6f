"""Opening the catalog's warehouse: the one place a core caller turns ``warehouse:`` settings into
a :class:`~tabletwin.warehouse.base.Warehouse` (Dagster code uses the warehouse resource).

PostgreSQL URLs come from the environment variables the catalog names, never from the file: they
can carry a password.
"""

from __future__ import annotations

import os

from tabletwin.config.catalog import Catalog
from tabletwin.errors import ConfigError
from tabletwin.warehouse.base import Warehouse


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
        from tabletwin.warehouse.postgres import PostgresWarehouse
        from tabletwin.warehouse.split import SplitWarehouse

        url, target = warehouse_urls(catalog)
        source = PostgresWarehouse(url)
        return SplitWarehouse(source, PostgresWarehouse(target)) if target else source
    from tabletwin.warehouse.duckdb import DuckDBWarehouse

    return DuckDBWarehouse(catalog.resolve(wh.path))
