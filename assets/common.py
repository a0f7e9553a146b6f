"""What every stage module shares: asset keys, partitions, the per-table context."""


from dataclasses import dataclass

from dagster import AssetKey, DailyPartitionsDefinition

from tabletwin.catalog import Catalog, TableConfig
from tabletwin.seeds import stable_seed

STAGES = ("source_table", "pii_plan", "masked_table", "table_profile", "fitted_generator",
          "synthetic_table", "quality_report", "published_table")


def key(table: str, stage: str) -> AssetKey:
    return AssetKey([table, stage])


def daily_partitions(catalog: Catalog) -> DailyPartitionsDefinition:
    """One partition per day; today's partition exists (``end_offset=1``) so a run can refresh now."""
    return DailyPartitionsDefinition(start_date=catalog.partitions_start, end_offset=1)


@dataclass(frozen=True)
class TableContext:
    catalog: Catalog
    table: TableConfig
    partitions: DailyPartitionsDefinition

    @property
    def name(self) -> str:
        return self.table.name

    def key(self, stage: str) -> AssetKey:
        return key(self.name, stage)

    def seed(self, partition: str) -> int:
        return stable_seed(self.name, partition)

    def common(self, stage: str) -> dict:
        return {"key": self.key(stage), "group_name": self.name, "partitions_def": self.partitions}
