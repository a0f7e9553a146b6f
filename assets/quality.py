"""Stage 7: the quality report and the blocking checks that gate publication."""


import warnings

import pandas as pd
from dagster import (AssetCheckResult, PreviewWarning, AssetCheckSeverity, AssetChecksDefinition, AssetIn,
                     AssetsDefinition, MetadataValue, Output, asset, asset_check)

from assets.common import TableContext, key
from resources.warehouse import WarehouseResource
from tabletwin.generators import Generator
from tabletwin.pipeline import record_checked_run
from tabletwin.pii import PiiPlan
from tabletwin.profile import TableProfile
from tabletwin.quality import QualityReport, evaluate
from tabletwin.relations import ParentData
from tabletwin.synthesis import modelled_columns
from tabletwin.report import write_report

# Per-partition checks (Dagster 1.13) are what a daily-partitioned gate needs; the preview warning
# would otherwise print once per check on every load.
warnings.filterwarnings("ignore", category=PreviewWarning,
                        message=".*partitions_def on an AssetCheckSpec.*")

CHECKS = {
    "schema_matches_source": "Same column names, order and types as the masked source.",
    "row_count_matches": "Row count equals the configured count (within tolerance).",
    "no_pii_in_synthetic": "Not one source PII value appears in any synthetic cell.",
    "expectations_pass": "The Great Expectations suite derived from the source profile passes.",
    "fidelity_above_threshold": "In-project accuracy is at least the catalog's fidelity_min.",
    "constraints_hold": "Every constraint declared in the catalog holds on every synthetic row.",
    "not_closer_to_training": "Synthetic rows are not closer to training rows than to holdout "
                              "rows (DCR share at most dcr_share_max).",
    "no_copied_rows": "No more synthetic rows identical to a training row than real data shows.",
    "correlations_preserved": "Pairwise associations differ by at most correlation_diff_max "
                              "(warns by default).",
    "useful_for_ml": "TSTR close to TRTR on the catalog's target (warns by default).",
    "no_orphan_keys": "Every foreign key points at a synthetic parent row.",
    "children_per_parent_match": "Children per parent follow the source (at least "
                                 "cardinality_min).",
    "joins_like_source": "Parent vs child columns after the join match the source (warns by "
                         "default).",
    "minority_not_copied": "Rebalanced tables: synthetic rows of each named class are no closer "
                           "to that class's real rows than new real rows of the class are.",
}


def build(tc: TableContext) -> list[AssetsDefinition]:
    parents = {}
    for col in tc.table.foreign_keys:
        parent = tc.table.parent_of(col)[0]
        parents[f"parent_{col}"] = AssetIn(key(parent, "synthetic_table"))
        parents[f"parentmasked_{col}"] = AssetIn(key(parent, "masked_table"))
        parents[f"parentplan_{col}"] = AssetIn(key(parent, "pii_plan"))

    @asset(**tc.common("quality_report"), kinds={"great_expectations", "html"},
           ins={"synthetic": AssetIn(tc.key("synthetic_table")),
                "source": AssetIn(tc.key("source_table")),
                "masked": AssetIn(tc.key("masked_table")),
                "plan": AssetIn(tc.key("pii_plan")),
                "profile": AssetIn(tc.key("table_profile")),
                "generator": AssetIn(tc.key("fitted_generator")), **parents},
           description="Every score the synthetic table must earn (schema, rows, PII leakage, "
                       "Great Expectations, fidelity, constraints, distance to closest record "
                       "against a holdout, copied rows, associations, TSTR), the run's row in "
                       "`synthetic.tabletwin_runs` (failed runs too) and the HTML report.")
    def quality_report(context, synthetic: pd.DataFrame, source: pd.DataFrame,
                       masked: pd.DataFrame, plan: PiiPlan, profile: TableProfile,
                       generator: Generator, warehouse: WarehouseResource,
                       **parent_tables) -> Output[QualityReport]:
        partition = context.partition_key
        seed = tc.seed(partition)
        parent_data = {}
        for col in tc.table.foreign_keys:
            name, pk = tc.table.parent_of(col)
            pplan: PiiPlan = parent_tables[f"parentplan_{col}"]
            text = {d.column for d in pplan.columns if d.free_text}
            parent_data[col] = ParentData(
                name=name, key=pk, real=parent_tables[f"parentmasked_{col}"],
                synthetic=parent_tables[f"parent_{col}"],
                columns=tuple(c for c in modelled_columns(pplan, tc.catalog.table(name))
                              if c not in text))
        reports = tc.catalog.resolve(tc.catalog.reports_dir)
        report = evaluate(source=source, masked=masked, synthetic=synthetic, plan=plan,
                          profile=profile, table=tc.table,
                          rows_expected=tc.table.rows or len(source), seed=seed,
                          generator=generator.describe(), parents=parent_data,
                          docs_dir=reports / "data_docs", run_name=partition)
        wh = warehouse.get()
        record_checked_run(wh, tc.table, report, target_schema=warehouse.target_schema,
                           partition=partition, run_id=context.run_id, seed=seed)
        page = write_report(reports, report, plan, profile,
                            partition=partition, run_id=context.run_id,
                            generator=report.generator, real=masked, synthetic=synthetic,
                            keys=tuple(tc.table.key_columns),
                            history=wh.history(warehouse.target_schema, tc.name))
        return Output(report, metadata={
            "verdict": "pass" if report.passed else "FAIL: " + ", ".join(report.failed_checks),
            "warnings": ", ".join(report.warnings) or "none",
            "accuracy": report.fidelity.accuracy,
            "generator": report.generator,
            "scores": MetadataValue.json(report.scores()),
            "report": MetadataValue.path(str(page)),
            "data_docs": MetadataValue.path(report.expectations.docs_index or ""),
        })

    return [quality_report]


def build_checks(tc: TableContext) -> list[AssetChecksDefinition]:
    checks = []
    for name, description in CHECKS.items():
        checks.append(_check(tc, name, description))
    return checks


def _check(tc: TableContext, name: str, description: str) -> AssetChecksDefinition:
    @asset_check(asset=tc.key("quality_report"), name=name, description=description,
                 blocking=True, partitions_def=tc.partitions)
    def check(report: QualityReport) -> AssetCheckResult:
        outcome = next(o for o in report.outcomes() if o.name == name)
        return AssetCheckResult(
            passed=outcome.passed,
            severity=AssetCheckSeverity.ERROR if outcome.severity == "error"
            else AssetCheckSeverity.WARN,
            metadata={"value": outcome.value, "threshold": outcome.threshold,
                      "details": MetadataValue.json(outcome.details)})

    return check
