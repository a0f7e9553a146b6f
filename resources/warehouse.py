"""Warehouse resources: a Dagster-configurable handle on a core :class:`Warehouse`."""


from dagster import ConfigurableResource

from tabletwin.warehouse import DuckDBWarehouse, SplitWarehouse, Warehouse
from tabletwin.warehouse_pg import PostgresWarehouse


class WarehouseResource(ConfigurableResource):
    """Interface: a resource that hands out a core Warehouse (source and target schemas)."""

    source_schema: str = "main"
    target_schema: str = "synthetic"

    def get(self) -> Warehouse:
        raise NotImplementedError


class DuckDBWarehouseResource(WarehouseResource):
    """An embedded DuckDB file (the default; the demo warehouse lives in one)."""

    path: str
    lock_timeout_seconds: float = 120.0

    def get(self) -> Warehouse:
        return DuckDBWarehouse(self.path, lock_timeout=self.lock_timeout_seconds)


class PostgresWarehouseResource(WarehouseResource):
    """A PostgreSQL database (``postgresql+psycopg://...``). Give the URLs as ``EnvVar``s: they
    may hold a password, which must stay out of configuration, logs and metadata. ``target_url``
    (optional) is a second database for the synthetic copies; by default the source's."""

    url: str
    target_url: str | None = None
    lock_timeout_seconds: float = 120.0

    def get(self) -> Warehouse:
        source = PostgresWarehouse(self.url, lock_timeout=self.lock_timeout_seconds)
        if self.target_url and self.target_url != self.url:
            return SplitWarehouse(source, PostgresWarehouse(self.target_url,
                                                            lock_timeout=self.lock_timeout_seconds))
        return source
