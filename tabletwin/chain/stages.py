"""The stages glued for the assets' IO steps: read the source, record and publish a checked run,
prune stored files. (The whole chain in memory, for the CLI's ``synth``, is :mod:`tabletwin.chain.memory`.)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tabletwin.version import code_version
from tabletwin.config.catalog import Catalog, TableConfig
from tabletwin.config.loader import check_columns
from tabletwin.config.schema_change import SchemaReview, TableSchema, review
from tabletwin.errors import CheckFailed, InputError
from tabletwin.limits import check_rows
from tabletwin.pii.plan import PiiPlan
from tabletwin.files import read_file  # noqa: F401  (re-exported: light module for `scan`)
from tabletwin.quality.gate import QualityReport
from tabletwin.warehouse.base import RunRecord, Warehouse

if TYPE_CHECKING:
    from tabletwin.chain.large import SyntheticTable
    from tabletwin.chain.scenarios import ScenarioResult
    from tabletwin.chain.source import TableSource


def load_source(warehouse: Warehouse, catalog: Catalog, table: str,
                schema: str) -> "tuple[TableSource, dict[str, str]]":
    """The source of a catalog table and its column types. Whether it is streamed is decided here,
    once: a source with more rows than the table's ``stream_above`` is never held whole in memory
    (its rows are read in chunks when the pipeline stores them, see
    :class:`~tabletwin.chain.source.StreamedRows`); another is read whole."""
    from tabletwin.chain.source import FrameSource, StreamedRows

    t = catalog.table(table)
    types = warehouse.columns(schema, t.source_table)
    if types is None:
        raise InputError(f"source table {schema}.{t.source_table} does not exist in the warehouse",
                         table=table)
    check_columns(catalog, table, list(types))
    rows = warehouse.count_rows(schema, t.source_table)
    if rows == 0:
        raise InputError("source table is empty; nothing to synthesize", table=table)
    if t.rows is not None:  # before reading anything: a row count the run would never finish
        check_rows(t.rows, rows, allow=t.allow_large_rows, table=table, what="rows")
    shape = TableSchema.of(types, [t.primary_key] if t.primary_key else [], t.foreign_keys)
    if rows <= t.stream_above:
        return FrameSource(warehouse.read_table(schema, t.source_table), schema=shape), types
    return StreamedRows(lambda: warehouse.iter_table(schema, t.source_table), rows, list(types),
                        table=table, schema=shape), types


def past_day_refusal(day: str, kept: list[str]) -> str:
    """Why a past ``day`` cannot run: its source snapshot was not kept (``kept``: the days that
    were). The sources are read only today; a past day never gets today's rows under its name."""
    where = f"snapshots are kept of {', '.join(kept)}" if kept else "no snapshot is kept"
    return (f"no source snapshot of {day} was kept ({where}): a past day is re-run only from "
            "the snapshot taken that day; run today instead")


def check_states(report: QualityReport,
                 only: Collection[str] | None = None) -> dict[str, dict[str, str]]:
    """Check name -> status and severity, as the run history keeps them (``only``: these checks)."""
    return {o.name: {"status": o.status, "severity": o.severity} for o in report.outcomes()
            if only is None or o.name in only}


def run_record(table: TableConfig, report: QualityReport, *, partition: str, run_id: str,
               seed: int, generator: str | None = None, model: str | None = None,
               source_schema: str | None = None) -> RunRecord:
    """The history row of one run of one table: every score, whether the checks passed;
    ``model``: refit or reuse, and why (:func:`tabletwin.chain.synthesis.model_of`);
    ``source_schema`` (:meth:`TableSchema.to_json` of the source it read; what the next run's
    ``schema_change_reviewed`` compares with once this run is published)."""
    return RunRecord(table_name=table.name, partition_key=partition, run_id=run_id,
                     generator=generator or report.generator or table.generator.name,
                     seed=seed,
                     rows=report.rows_actual, passed=report.passed, scores=report.scores(),
                     code_version=code_version(), checks=check_states(report), model=model,
                     source_schema=source_schema)


def scenario_record(table: TableConfig, result: "ScenarioResult", *, partition: str,
                    run_id: str, seed: int) -> RunRecord:
    """The history row of a seeded scenario's run, under its published name
    (``<table>__<scenario>``): its privacy checks and ``seed_values_kept`` only."""
    from tabletwin.chain.scenarios import scenario_table_name
    from tabletwin.config.checks import SCENARIO_CHECKS

    return dataclasses.replace(
        run_record(table, result.report, partition=partition, run_id=run_id, seed=seed,
                   generator=result.generator),
        table_name=scenario_table_name(table.name, result.name), rows=len(result.synthetic),
        passed=result.passed, scores=result.scores(),
        checks=check_states(result.report, only=SCENARIO_CHECKS))


def record_checked_run(warehouse: Warehouse, table: TableConfig, report: QualityReport, *,
                       target_schema: str, partition: str, run_id: str, seed: int,
                       generator: str | None = None, model: str | None = None,
                       source_schema: str | None = None) -> None:
    """Write the run's history row as soon as it is scored, failed runs included."""
    warehouse.record_run(target_schema, run_record(table, report, partition=partition,
                                                   run_id=run_id, seed=seed, generator=generator,
                                                   model=model, source_schema=source_schema))


def review_schema(warehouse: Warehouse, table: TableConfig, current: TableSchema | None, *,
                  target_schema: str, catalog_path: str, plan: PiiPlan) -> SchemaReview:
    """The source's schema as read today (``current``; None: not read from a warehouse) against
    the one recorded by the table's newest published run, under the table's catalog entry; the
    PII verdicts of new columns from ``plan``. What ``schema_change_reviewed`` measures."""
    previous = (None if current is None else
                TableSchema.from_json(warehouse.published_schema(target_schema, table.name)))
    verdicts = {d.column: (d.entity, d.action if d.entity else None) for d in plan.columns}
    return review(table, previous, current, catalog_path, verdicts)


def publish_checked_run(warehouse: Warehouse, table: TableConfig, synthetic: "SyntheticTable",
                        record: RunRecord, *, failed: Sequence[str], source_schema: str,
                        target_schema: str, versions_kept: int = 3) -> str:
    """The one way a synthetic table reaches the warehouse (a table's copy or a seeded scenario):
    published atomically as ``target_schema.<record.table_name>``, the partition's version, with
    its run record marked published; returns that name. Column types follow ``table``'s source
    table. ``failed`` (the blocking checks that failed) stops it: the run's history row is
    recorded (replacing the row of the same run, if any) and :class:`CheckFailed` raised, so a
    failed check never publishes and leaves the last good version. A streamed table is loaded
    from its Parquet file inside the publishing transaction
    (:meth:`~tabletwin.chain.large.SyntheticTable.publish`)."""
    if failed or not record.passed:
        warehouse.record_run(target_schema, record)
        raise CheckFailed(record.table_name, list(failed))
    source_types = warehouse.columns(source_schema, table.source_table) or {}
    synthetic.publish(warehouse, target_schema, record.table_name, source_types=source_types,
                      record=record, versions_kept=versions_kept)
    return f"{target_schema}.{record.table_name}"


#: A stored file of one partition: ``2026-03-01.parquet``, ``2026-03-01.pkl``, a snapshot's
#: ``2026-03-01.parquet.sample-...`` and hidden partial files (``.2026-03-01.parquet.partial``).
_PARTITION_FILE = re.compile(r"^\.?(\d{4}-\d{2}-\d{2})\.")


def prune_storage(storage_dir: str | Path, table: str, kept: list[str], current: str) -> list[Path]:
    """Delete ``table``'s stored files (the IO manager's per-partition values, raw source
    snapshots and their samples, streamed synthetic files) of every partition older than its
    oldest kept published version (``kept``: the partitions the warehouse still has), except
    ``current`` (the partition being run, which downstream steps may still read). No raw copy of
    the source then outlives the published versions. Returns the deleted paths."""
    root = Path(storage_dir) / table
    if not kept or not root.is_dir():
        return []
    oldest = min(kept)
    removed = []
    for path in sorted(root.rglob("*")):
        m = _PARTITION_FILE.match(path.name)
        if m and path.is_file() and m.group(1) < oldest and m.group(1) != current:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
