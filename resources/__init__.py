"""Dagster resources: the warehouse, privacy settings and the intermediate-storage IO manager."""

from resources.io import TabletwinIOManager
from resources.privacy import PrivacyResource
from resources.warehouse import (DuckDBWarehouseResource, PostgresWarehouseResource,
                                 WarehouseResource)

__all__ = ["DuckDBWarehouseResource", "PostgresWarehouseResource", "PrivacyResource",
           "TabletwinIOManager", "WarehouseResource"]
