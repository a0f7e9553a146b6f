"""Stage 8: publication into the warehouse's target schema, only after every blocking check."""


from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, key
from resources.warehouse import WarehouseResource
from tabletwin.chain.stages import prune_storage, publish_checked_run, run_record
from tabletwin.chain.synthesis import model_of
from tabletwin.quality.gate import QualityReport
from tabletwin.quality.report import mark_published


def build(tc: TableContext) -> AssetsDefinition:
    parents = sorted({tc.table.parent_of(col)[0] for col in tc.table.foreign_keys} - {tc.name})
    target = tc.catalog.warehouse.target_schema

    @asset(**tc.common("published_table"), kinds={tc.catalog.warehouse.kind},
           ins={"synthetic": AssetIn(tc.key("synthetic_table")),
                "report": AssetIn(tc.key("quality_report"))},
           deps=[key(p, "published_table") for p in parents],
           description=f"`{target}.{tc.name}` in the warehouse: a view of the latest good version "
                       f"(`{target}_versions.{tc.name}__YYYYMMDD`, last "
                       f"{tc.catalog.versions_kept} kept), swapped atomically with the run marked "
                       f"published in `{target}.tabletwin_runs`. Runs only when every blocking "
                       "check passed and its parent tables were published, so foreign keys "
                       "always resolve. Then the run's report becomes the day's report, and "
                       "stored files (raw snapshots included) of days older than the oldest "
                       "kept version are deleted.")
    def published_table(context, synthetic, report: QualityReport,
                        warehouse: WarehouseResource) -> Output[None]:
        wh = warehouse.get()
        # the source's schema, recorded with the published run: the next run compares with it
        record = run_record(tc.table, report, partition=context.partition_key,
                            run_id=context.run_id, seed=tc.seed(context.partition_key),
                            model=model_of(synthetic.head, context.partition_key),
                            source_schema=report.source_schema_json)
        where = publish_checked_run(wh, tc.table, synthetic, record, failed=report.failed_checks,
                                    source_schema=warehouse.source_schema,
                                    target_schema=warehouse.target_schema,
                                    versions_kept=tc.catalog.versions_kept)
        # the day's report is now this run's, and no raw snapshot outlives the kept versions
        mark_published(tc.catalog.resolve(tc.catalog.reports_dir), tc.name,
                       context.partition_key, context.run_id)
        pruned = prune_storage(tc.catalog.resolve(tc.catalog.storage_dir), tc.name,
                               wh.versions(warehouse.target_schema, tc.name),
                               context.partition_key)
        return Output(None, metadata={"table": where, "dagster/row_count": len(synthetic),
                                      "storage_files_pruned": len(pruned),
                                      "version": f"{warehouse.target_schema}_versions."
                                                 f"{tc.name}__{context.partition_key.replace('-', '')}",
                                      "model": record.model or "",
                                      "scores": MetadataValue.json(report.scores())})

    return published_table
