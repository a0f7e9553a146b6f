"""Stage 7: the quality report and the blocking checks that gate publication."""


import warnings

import pandas as pd
from dagster import (AssetCheckResult, PreviewWarning, AssetCheckSeverity, AssetChecksDefinition, AssetIn,
                     AssetsDefinition, MetadataValue, Output, asset, asset_check)

from assets.common import TableContext, parent_frames, parent_ins, synthetic_parents
from tabletwin.large import SyntheticFile, source_rows, streamed_report
from resources.warehouse import WarehouseResource
from tabletwin import checks
from tabletwin.generators import Generator
from tabletwin.pipeline import record_checked_run
from tabletwin.pii import PiiPlan
from tabletwin.pii.plan import KEPT_BY_CATALOG
from tabletwin.profile import TableProfile
from tabletwin.quality import QualityReport, evaluate
from tabletwin.relations import ParentData
from tabletwin.report import write_report

# Per-partition checks (Dagster 1.13) are what a daily-partitioned gate needs; the preview warning
# would otherwise print once per check on every load.
warnings.filterwarnings("ignore", category=PreviewWarning,
                        message=".*partitions_def on an AssetCheckSpec.*")

def build(tc: TableContext) -> list[AssetsDefinition]:
    parents = parent_ins(tc, "synthetic_table", "masked_table", "pii_plan")

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
    def quality_report(context, synthetic, source, masked: pd.DataFrame, plan: PiiPlan,
                       profile: TableProfile, generator: Generator, warehouse: WarehouseResource,
                       **parent_tables) -> Output[QualityReport]:
        partition = context.partition_key
        seed = tc.seed(partition)
        synthetic_rows = synthetic_parents(tc, parent_tables)
        parent_data = {
            col: ParentData(name=f.name, key=f.key, real=f.frame,
                            synthetic=synthetic_rows[col], columns=f.columns)
            for col, f in parent_frames(tc, parent_tables, "masked_table").items()}
        reports = tc.catalog.resolve(tc.catalog.reports_dir)
        streamed = isinstance(synthetic, SyntheticFile)
        report = evaluate(source=tc.frame(source, partition), masked=masked,
                          synthetic=synthetic.head if streamed else synthetic, plan=plan,
                          profile=profile, table=tc.table,
                          rows_expected=tc.table.rows or source_rows(source), seed=seed,
                          generator=generator.describe(), parents=parent_data,
                          docs_dir=reports / "data_docs", run_name=partition)
        if streamed:  # counts over every row, not the head the other scores are computed on
            report = streamed_report(report, synthetic, source, parent_data)
            synthetic = synthetic.head
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
            "kept_by_catalog": ", ".join(f"{c}: {n} cells, {KEPT_BY_CATALOG}"
                                         for c, n in report.kept_by_catalog.items()) or "none",
            "accuracy": report.fidelity.accuracy,
            "quasi_identifiers": MetadataValue.json(
                report.quasi_identifiers.as_dict() if report.quasi_identifiers else {}),
            "generator": report.generator,
            "scores": MetadataValue.json(report.scores()),
            "report": MetadataValue.path(str(page)),
            "data_docs": MetadataValue.path(report.expectations.docs_index or ""),
        })

    return [quality_report]


def build_checks(tc: TableContext) -> list[AssetChecksDefinition]:
    """The asset checks of the table's quality report: only those that apply to the table,
    decided from its catalog entry (:func:`tabletwin.checks.applicable`; no warehouse access)."""
    return [_check(tc, c.name, c.description) for c in checks.applicable(tc.table)]


def _check(tc: TableContext, name: str, description: str) -> AssetChecksDefinition:
    @asset_check(asset=tc.key("quality_report"), name=name, description=description,
                 blocking=True, partitions_def=tc.partitions)
    def check(report: QualityReport) -> AssetCheckResult:
        outcome = next(o for o in report.outcomes() if o.name == name)
        # not measured (or, against the definitions, not applicable at run time): a failure of the
        # severity the catalog gives unmeasured checks, never a pass
        return AssetCheckResult(
            passed=outcome.passed,
            severity=AssetCheckSeverity.ERROR if outcome.severity == "error"
            else AssetCheckSeverity.WARN,
            description=None if outcome.status in (checks.PASSED, checks.FAILED)
            else f"{outcome.label}: {outcome.details.get('note', '')}",
            metadata={"status": outcome.status, "value": outcome.value,
                      "threshold": outcome.threshold,
                      "details": MetadataValue.json(outcome.details)})

    return check
