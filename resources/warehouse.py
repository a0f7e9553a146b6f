"""Warehouse resources: a Dagster-configurable handle on a core :class:`Warehouse`."""


from dagster import ConfigurableResource, EnvVar

from tabletwin.warehouse.base import Warehouse
from tabletwin.warehouse.duckdb import DuckDBWarehouse
from tabletwin.warehouse.split import SplitWarehouse
from tabletwin.urls import mask_url
from tabletwin.warehouse.postgres import PostgresWarehouse


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

    def __repr_args__(self):
        # pydantic's repr/str (and so Dagster's logs) would show the resolved URLs whole
        for name, value in super().__repr_args__():
            if name in ("url", "target_url") and isinstance(value, str):
                value = (f"EnvVar({value.env_var_name!r})" if isinstance(value, EnvVar)
                         else mask_url(value))
            yield name, value

    def get(self) -> Warehouse:
        source = PostgresWarehouse(self.url, lock_timeout=self.lock_timeout_seconds)
        if self.target_url and self.target_url != self.url:
            return SplitWarehouse(source, PostgresWarehouse(self.target_url,
                                                            lock_timeout=self.lock_timeout_seconds))
        return source
