"""Thin Dagster assets: each loads its inputs, calls one core function, returns value + metadata.

Every table of the catalog gets the same chain, built by :func:`assets.factory.build_table_assets`.
"""

from assets.factory import build_all_assets, build_table_assets

__all__ = ["build_all_assets", "build_table_assets"]
