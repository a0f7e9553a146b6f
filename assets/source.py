"""Stage 1: a snapshot of the source table."""


from dagster import AssetExecutionContext, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from resources.io import load_stored, stored_partitions
from resources.warehouse import WarehouseResource
from tabletwin.chain.source import TableSource
from tabletwin.chain.stages import load_source, past_day_refusal
from tabletwin.clock import today_key
from tabletwin.config.keys import check_keys_current
from tabletwin.errors import InputError


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("source_table"), kinds={tc.catalog.warehouse.kind, "pandas"},
           description=f"Snapshot of source table `{tc.table.source_table}` for the day's refresh. "
                       "Raw data: stays in protected intermediate storage, never shown. Sources "
                       f"over {tc.table.stream_above:,} rows are streamed into a Parquet snapshot. "
                       "A partition is the snapshot taken that day: a past day is re-run from "
                       "its kept snapshot, never from today's rows.")
    def source_table(context: AssetExecutionContext,
                     warehouse: WarehouseResource) -> Output[TableSource]:
        day = context.partition_key
        if day != today_key():  # a past day: its own snapshot, or nothing
            storage, stage = tc.catalog.resolve(tc.catalog.storage_dir), tc.key("source_table").path
            kept = load_stored(storage, stage, day)
            if kept is None:
                raise InputError(past_day_refusal(day, stored_partitions(storage, stage)),
                                 table=tc.name)
            return Output(kept, metadata={"dagster/row_count": kept.num_rows,
                                          "streamed": kept.streamed, "snapshot": f"kept of {day}"})
        wh = warehouse.get()
        # keys the catalog leaves to the warehouse were read from the key cache when the
        # definitions loaded (no warehouse there): stop here, naming the command, when stale
        check_keys_current(tc.catalog, wh, tc.name, list(tc.undeclared_keys))
        # the IO manager stores the rows (a streamed source: chunk by chunk from the warehouse)
        source, types = load_source(wh, tc.catalog, tc.name, warehouse.source_schema)
        return Output(source, metadata={
            "dagster/row_count": source.num_rows, "streamed": source.streamed,
            "snapshot": f"read {day}",
            "columns": MetadataValue.md("\n".join(f"- `{c}`: {t}" for c, t in types.items())),
        })

    return source_table
