"""Stage 1: a snapshot of the source table."""


import pandas as pd
from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from resources.warehouse import WarehouseResource
from tabletwin.pipeline import read_source


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("source_table"), kinds={tc.catalog.warehouse.kind, "pandas"},
           description=f"Snapshot of source table `{tc.table.source_table}` for the day's refresh. "
                       "Raw data: stays in protected intermediate storage, never shown.")
    def source_table(context: AssetExecutionContext,
                     warehouse: WarehouseResource) -> Output[pd.DataFrame]:
        df, types = read_source(warehouse.get(), tc.catalog, tc.name, warehouse.source_schema)
        return Output(df, metadata={
            "dagster/row_count": len(df),
            "columns": MetadataValue.md("\n".join(f"- `{c}`: {t}" for c, t in types.items())),
        })

    return source_table
