"""Warehouse resources: a Dagster-configurable handle on a core :class:`Warehouse`."""


from dagster import ConfigurableResource

from tabletwin.warehouse import DuckDBWarehouse, Warehouse


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
