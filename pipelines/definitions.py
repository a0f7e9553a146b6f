"""The code location Dagster loads (``dagster dev``, ``workspace.yaml``, ``dagster asset materialize``)."""

from pipelines.build import build_definitions, catalog_path
from tabletwin.catalog import load_catalog

defs = build_definitions(load_catalog(catalog_path()))
