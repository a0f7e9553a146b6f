"""The stages glued for callers that are not Dagster: the CLI's ``synth`` and the assets' IO steps.

Assets call these one function at a time; :func:`synth_frame` runs the whole chain in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tabletwin.catalog import Catalog, RebalanceConfig, TableConfig, check_columns
from tabletwin.errors import CheckFailed, ConfigError, InputError
from tabletwin.files import read_file  # noqa: F401  (re-exported: light module for `scan`)
from tabletwin.generators import Generator
from tabletwin.pii import PiiPlan, detect_pii, mask_table
from tabletwin.profile import TableProfile, profile_table
from tabletwin.quality import QualityReport, evaluate
from tabletwin.seeds import stable_seed
from tabletwin.synthesis import fit_generator, synthesize
from tabletwin.warehouse import RunRecord, Warehouse

if TYPE_CHECKING:
    from tabletwin.large import Snapshot, SyntheticFile


def code_version() -> str:
    try:
        return version("tabletwin")
    except PackageNotFoundError:
        return "unknown"


def load_source(warehouse: Warehouse, catalog: Catalog, table: str, schema: str,
                snapshot_path: str | Path) -> "tuple[pd.DataFrame | Snapshot, dict[str, str]]":
    """The source of a catalog table: a DataFrame, or for a source with more rows than the table's
    ``stream_above`` a :class:`~tabletwin.large.Snapshot` streamed in chunks into the Parquet file
    ``snapshot_path`` (never held whole in memory)."""
    from tabletwin.large import write_snapshot

    t = catalog.table(table)
    types = warehouse.columns(schema, t.source_table)
    if types is None:
        raise InputError(f"source table {schema}.{t.source_table} does not exist in the warehouse",
                         table=table)
    check_columns(catalog, table, list(types))
    rows = warehouse.count_rows(schema, t.source_table)
    if rows == 0:
        raise InputError("source table is empty; nothing to synthesize", table=table)
    if rows <= t.stream_above:
        return warehouse.read_table(schema, t.source_table), types
    return write_snapshot(warehouse.iter_table(schema, t.source_table), snapshot_path,
                          table=table), types


def run_record(table: TableConfig, report: QualityReport, *, partition: str, run_id: str,
               seed: int, generator: str | None = None) -> RunRecord:
    """The history row of one run of one table: every score, whether the checks passed."""
    return RunRecord(table_name=table.name, partition_key=partition, run_id=run_id,
                     generator=generator or report.generator or table.generator.name,
                     seed=seed,
                     rows=report.rows_actual, passed=report.passed, scores=report.scores(),
                     code_version=code_version())


def record_checked_run(warehouse: Warehouse, table: TableConfig, report: QualityReport, *,
                       target_schema: str, partition: str, run_id: str, seed: int,
                       generator: str | None = None) -> None:
    """Write the run's history row as soon as it is scored, failed runs included."""
    warehouse.record_run(target_schema, run_record(table, report, partition=partition,
                                                   run_id=run_id, seed=seed, generator=generator))


def publish_table(warehouse: Warehouse, table: TableConfig, synthetic: "pd.DataFrame | SyntheticFile",
                  report: QualityReport, *, source_schema: str, target_schema: str, partition: str,
                  run_id: str, seed: int, generator: str | None = None,
                  versions_kept: int = 3) -> str:
    """Publish a gated synthetic table atomically as the partition's version, with its run
    record; returns ``schema.table``. A streamed table (:class:`~tabletwin.large.SyntheticFile`)
    is loaded from its Parquet file inside the publishing transaction."""
    from tabletwin.large import SyntheticFile

    if not report.passed:  # the blocking checks stop this earlier; never publish a failed table
        raise CheckFailed(table.name, report.failed_checks)
    source_types = warehouse.columns(source_schema, table.source_table) or {}
    record = run_record(table, report, partition=partition, run_id=run_id, seed=seed,
                        generator=generator)
    if isinstance(synthetic, SyntheticFile):
        warehouse.publish_file(target_schema, table.name, synthetic.snapshot.path,
                               column_types=warehouse.publish_types(synthetic.head, source_types),
                               record=record, versions_kept=versions_kept)
    else:
        warehouse.publish(target_schema, table.name, synthetic,
                          column_types=warehouse.publish_types(synthetic, source_types),
                          record=record, versions_kept=versions_kept)
    return f"{target_schema}.{table.name}"


@dataclass
class SynthResult:
    plan: PiiPlan
    profile: TableProfile
    generator: Generator
    synthetic: pd.DataFrame
    report: QualityReport


def synth_frame(df: pd.DataFrame, table: TableConfig, *, rows: int | None = None, seed: int = 0,
                key: bytes, rebalance: tuple[str, dict[str, float]] | None = None,
                conditions: pd.DataFrame | None = None) -> SynthResult:
    """Detect and mask PII, fit the generator, sample, and score: the whole chain in memory.

    ``rebalance`` (column, {value: share}) asks for that mix of a categorical column, the other
    columns following their distribution given it; ``conditions`` fixes some columns row by row
    (one row per synthetic row) and generates the rest consistently. Both fit the sequential tree
    with those columns first."""
    from tabletwin.conditional import check_fixable, with_first

    s = stable_seed(table.name, seed)
    plan = detect_pii(df, table=table.name, overrides=table.overrides(),
                      key_columns=table.key_columns)
    masked = mask_table(df, plan, key=key, seed=s, locale=table.locale)
    profile = profile_table(masked, plan)
    fixed: list[str] = []
    if rebalance is not None and conditions is not None:
        raise ConfigError("use either a rebalance or a seed table, not both", table=table.name)
    if rebalance is not None:
        fixed = [rebalance[0]]
    elif conditions is not None:
        fixed = list(conditions.columns)
        if len(conditions) == 0:
            raise InputError("the seed table has no rows", table=table.name)
    elif table.rebalance is not None:  # the catalog's rebalance, as the pipeline does it
        rebalance = (table.rebalance.column, dict(table.rebalance.shares))
        fixed = [rebalance[0]]
    if rebalance is not None:  # the quality gate then compares the other columns per class
        table = table.model_copy(update={"rebalance": RebalanceConfig(
            column=rebalance[0], shares=rebalance[1])})
    if fixed:
        check_fixable(plan, table, fixed)
        table = with_first(table, fixed)
    gen = fit_generator(masked, plan, table, seed=s)
    n = rows or table.rows or len(df)
    cond = None
    if rebalance is not None:
        from tabletwin.rebalance import rebalanced_conditions

        cond = rebalanced_conditions(gen, rebalance[0], rebalance[1], n, seed=s, table=table.name)
    elif conditions is not None:
        cond = conditions.reset_index(drop=True)
        n = len(cond)
    syn = synthesize(gen, plan, table, n=n, seed=s, source=df, masked=masked, conditions=cond)
    report = evaluate(source=df, masked=masked, synthetic=syn, plan=plan, profile=profile,
                      table=table, rows_expected=n, seed=s, generator=gen.describe())
    return SynthResult(plan, profile, gen, syn, report)
