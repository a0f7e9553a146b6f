"""Stage 1: a snapshot of the source table."""


from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from resources.warehouse import WarehouseResource
from tabletwin.chain.source import TableSource
from tabletwin.chain.stages import load_source
from tabletwin.config.keys import check_keys_current


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("source_table"), kinds={tc.catalog.warehouse.kind, "pandas"},
           description=f"Snapshot of source table `{tc.table.source_table}` for the day's refresh. "
                       "Raw data: stays in protected intermediate storage, never shown. Sources "
                       f"over {tc.table.stream_above:,} rows are streamed into a Parquet snapshot.")
    def source_table(context: AssetExecutionContext,
                     warehouse: WarehouseResource) -> Output[TableSource]:
        wh = warehouse.get()
        # keys the catalog leaves to the warehouse were read from the key cache when the
        # definitions loaded (no warehouse there): stop here, naming the command, when stale
        check_keys_current(tc.catalog, wh, tc.name, list(tc.undeclared_keys))
        # the IO manager stores the rows (a streamed source: chunk by chunk from the warehouse)
        source, types = load_source(wh, tc.catalog, tc.name, warehouse.source_schema)
        return Output(source, metadata={
            "dagster/row_count": source.num_rows, "streamed": source.streamed,
            "columns": MetadataValue.md("\n".join(f"- `{c}`: {t}" for c, t in types.items())),
        })

    return source_table
