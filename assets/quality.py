"""Stage 7: the quality report and the blocking checks that gate publication."""


import warnings
from collections.abc import Iterator

import pandas as pd
from dagster import (AssetCheckResult, AssetCheckSeverity, AssetChecksDefinition, AssetCheckSpec,
                     AssetIn, AssetsDefinition, MetadataValue, Output, PreviewWarning, asset,
                     multi_asset_check)

from assets.common import TableContext, parent_frames, parent_ins, synthetic_parents
from resources.warehouse import WarehouseResource
from tabletwin.config import checks
from tabletwin.chain.synthesis import made_by, model_of
from tabletwin.chain.stages import record_checked_run, review_schema
from tabletwin.pii import PiiPlan
from tabletwin.pii.plan import KEPT_BY_CATALOG
from tabletwin.quality.profile import TableProfile
from tabletwin.quality.gate import CheckOutcome, QualityReport, evaluate
from tabletwin.metrics.relations import ParentData
from tabletwin.quality.report import write_report

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
                "profile": AssetIn(tc.key("table_profile")), **parents},
           description="Every score the synthetic table must earn (schema, rows, PII leakage, "
                       "Great Expectations, fidelity, constraints, distance to closest record "
                       "against a holdout, copied rows, associations, TSTR, schema changes "
                       "since the last published version), the run's row in "
                       "`synthetic.tabletwin_runs` (failed runs too) and the HTML report.")
    def quality_report(context, synthetic, source, masked: pd.DataFrame, plan: PiiPlan,
                       profile: TableProfile, warehouse: WarehouseResource,
                       **parent_tables) -> Output[QualityReport]:
        partition = context.partition_key
        seed = tc.seed(partition)
        synthetic_rows = synthetic_parents(tc, parent_tables)
        parent_data = {
            col: ParentData(name=f.name, key=f.key, real=f.frame,
                            synthetic=synthetic_rows[col], columns=f.columns)
            for col, f in parent_frames(tc, parent_tables, "masked_table").items()}
        reports = tc.catalog.resolve(tc.catalog.reports_dir)
        # the generator's name comes with the rows it sampled: no edge to (nor load of) the model
        generator = made_by(synthetic.head)
        wh = warehouse.get()
        # today's source schema against the last published version's (schema_change_reviewed)
        review = review_schema(wh, tc.table, source.schema, target_schema=warehouse.target_schema,
                               catalog_path=str(tc.catalog.path), plan=plan)
        report = evaluate(source=tc.frame(source, partition), masked=masked,
                          synthetic=synthetic.head, plan=plan,
                          profile=profile, table=tc.table,
                          rows_expected=tc.table.rows or source.num_rows, seed=seed,
                          generator=generator, parents=parent_data,
                          docs_dir=reports / "data_docs", run_name=partition,
                          schema_review=review)
        # counts over every row, where the head the other scores are computed on is not all of them
        report = synthetic.counted(report, source, parent_data)
        record_checked_run(wh, tc.table, report, target_schema=warehouse.target_schema,
                           partition=partition, run_id=context.run_id, seed=seed,
                           model=model_of(synthetic.head, partition),
                           source_schema=source.schema.to_json() if source.schema else None)
        page = write_report(reports, report, plan, profile,
                            partition=partition, run_id=context.run_id,
                            generator=report.generator, real=masked, synthetic=synthetic.head,
                            keys=tuple(tc.table.key_columns),
                            history=wh.history(warehouse.target_schema, tc.name))
        return Output(report, metadata={
            "verdict": "pass" if report.passed else "FAIL: " + ", ".join(report.failed_checks),
            "warnings": ", ".join(report.warnings) or "none",
            # the source's schema changes since the last published version (names and types)
            "schema_changes": MetadataValue.md(_changes_md(report)),
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
    """The gate: one op per table that loads the quality report once and yields the result of every
    check that applies to the table (decided from its catalog entry,
    :func:`tabletwin.config.checks.applicable`; no warehouse access). One blocking spec per check, so each
    keeps its own name, description and history in the UI, and a failed ``error`` check stops
    ``published_table`` exactly as separate checks did."""
    specs = [AssetCheckSpec(c.name, asset=tc.key("quality_report"), description=c.description,
                            blocking=True, partitions_def=tc.partitions)
             for c in checks.applicable(tc.table)]

    @multi_asset_check(specs=specs, name=f"{tc.name}__quality_gate",
                       ins={"report": AssetIn(tc.key("quality_report"))},
                       description=f"The quality gate of `{tc.name}`: every applicable check, "
                                   "read from the one quality report.")
    def quality_gate(report: QualityReport) -> Iterator[AssetCheckResult]:
        outcomes = {o.name: o for o in report.outcomes()}  # computed once for every check
        for spec in specs:
            yield _result(tc, outcomes[spec.name])

    return [quality_gate]


def _changes_md(changes: "QualityReport | list[dict]") -> str:
    """The schema changes as a Markdown list (a report's, or a check outcome's details); for a
    report, also when nothing was compared (and why) or nothing changed."""
    if isinstance(changes, QualityReport):
        r = changes.schema_review
        if r is None or not r.compared:
            return "not compared: " + (r.not_compared if r is not None else "no source schema")
        changes = r.details()["changes"]
        if not changes:
            return "none since the last published version"
    return "\n".join(f"- `{c['text']}`" + ("" if c["reviewed"] else " **not reviewed**")
                     for c in changes)


def _result(tc: TableContext, outcome: CheckOutcome) -> AssetCheckResult:
    # not measured: a failure of the severity the catalog gives unmeasured checks, never a pass.
    # Not applicable at run time (e.g. schema_change_reviewed before the first publication: nothing
    # to compare): not a pass either, but it cannot block, so it is reported as a warning
    na = outcome.status == checks.NOT_APPLICABLE
    if outcome.status in (checks.PASSED, checks.FAILED):
        # a failure that explains itself (schema_change_reviewed: the changes and accepting lines)
        description = outcome.details.get("message") if outcome.status == checks.FAILED else None
    else:  # the note says it: "not measured: ...", "not applicable: ..."
        note = str(outcome.details.get("note", ""))
        description = note if note.startswith(outcome.label) else f"{outcome.label}: {note}"
    metadata = {"status": outcome.status, "value": outcome.value,
                "threshold": outcome.threshold,
                "details": MetadataValue.json(outcome.details)}
    if outcome.details.get("changes"):  # schema_change_reviewed: each change, on one line
        metadata["changes"] = MetadataValue.md(_changes_md(outcome.details["changes"]))
    return AssetCheckResult(
        asset_key=tc.key("quality_report"), check_name=outcome.name, passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR if outcome.severity == "error" and not na
        else AssetCheckSeverity.WARN,
        description=description, metadata=metadata)
