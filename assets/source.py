"""Stage 1: a snapshot of the source table."""


import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from resources.warehouse import WarehouseResource
from tabletwin.chain.large import Snapshot
from tabletwin.chain.stages import load_source
from tabletwin.config.keys import check_keys_current


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("source_table"), kinds={tc.catalog.warehouse.kind, "pandas"},
           description=f"Snapshot of source table `{tc.table.source_table}` for the day's refresh. "
                       "Raw data: stays in protected intermediate storage, never shown. Sources "
                       f"over {tc.table.stream_above:,} rows are streamed into a Parquet snapshot.")
    def source_table(context: AssetExecutionContext, warehouse: WarehouseResource):
        snapshot = (tc.catalog.resolve(tc.catalog.storage_dir) / tc.name / "source_snapshot"
                    / f"{context.partition_key}.parquet")
        wh = warehouse.get()
        # keys the catalog leaves to the warehouse were read from the key cache when the
        # definitions loaded (no warehouse there): stop here, naming the command, when stale
        check_keys_current(tc.catalog, wh, tc.name, list(tc.undeclared_keys))
        df, types = load_source(wh, tc.catalog, tc.name, warehouse.source_schema, snapshot)
        return Output(df, metadata={
            "dagster/row_count": len(df) if not isinstance(df, Snapshot) else df.rows,
            "streamed": isinstance(df, Snapshot),
            "columns": MetadataValue.md("\n".join(f"- `{c}`: {t}" for c, t in types.items())),
        })

    return source_table
