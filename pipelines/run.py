"""``tabletwin run``: materialize one day's partition through Dagster, recorded in the Dagster
instance of ``$DAGSTER_HOME`` (default: a local SQLite one, so the runs show up in ``dagster dev``
too); in process by default, or on local subprocesses or Celery workers (``--executor``)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import warnings
from pathlib import Path
from typing import Any, NamedTuple

from tabletwin.config.loader import load_catalog
from tabletwin.errors import ConfigError
from tabletwin.pii.key import ensure_local_key

from pipelines.execution import DEFAULT_QUEUE, EXECUTORS
# the instance's settings live in pipelines.instance; importable from here too (tests, cli)
from pipelines.instance import DAGSTER_YAML, check_pg_url, prepare_dagster_home  # noqa: F401


def run_pipeline(*, catalog_path: str | Path, date: str | None = None, table: str | None = None,
                 verbose: bool = False, executor: str = "in_process",
                 queue: str = DEFAULT_QUEUE, refit: bool = False) -> int:
    """Run the daily job (or one table's job) for ``date``; returns the process exit status.

    ``executor``: ``in_process`` (the default: one process), ``multiprocess`` (local
    subprocesses) or ``celery`` (each step a task on a ``tabletwin worker`` listening on ``queue``).
    ``refit``: fit every model anew (the run is tagged ``tabletwin/refit=true``).
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    catalog = load_catalog(catalog_path)
    if table is not None:
        catalog.table(table)
    partition = partition_to_run(catalog, date, table)
    preflight(catalog, table)
    prepare_dagster_home(catalog.root)
    ensure_local_key(catalog.root / "data")

    from dagster import DagsterInstance

    from assets.common import add_day
    from assets.generator import REFIT_TAG
    from pipelines.build import DAILY_JOB, table_job_name
    from pipelines.status import process_tags, sweep_and_say

    job_name = table_job_name(table) if table else DAILY_JOB
    # the full event log is in the instance (and the UI); the console gets the summary below
    run_config: dict = {"loggers": {"console": {"config": {
        "log_level": "DEBUG" if verbose else "CRITICAL"}}}}
    with DagsterInstance.get() as instance:
        sweep_and_say(instance)  # runs killed earlier: failed, not STARTED for ever
        add_day(instance, partition)  # the day this run reads
        tags = {**process_tags(), **({REFIT_TAG: "true"} if refit else {})}
        run = _Run(instance, catalog, job_name, table, partition, run_config, tags)
        if executor == "in_process":
            return _run_in_process(run)
        return _run_out_of_process(run, executor=executor, queue=queue)


def partition_to_run(catalog, date: str | None, table: str | None = None) -> str:
    """``date`` (default: today, :func:`tabletwin.clock.today`) as a partition key, checked
    against the catalog's ``partitions_start`` and today. A past day runs only from the source
    snapshots kept that day (of every table the run reads), else it is refused here, before
    anything runs: the sources are read today only, never relabelled with another day."""
    from tabletwin.clock import today as clock_today

    today = clock_today()
    partition = date or today.isoformat()
    try:
        day = dt.date.fromisoformat(partition)
    except ValueError:
        raise ConfigError(f"--date must be YYYY-MM-DD, got {partition!r}") from None
    if day < dt.date.fromisoformat(catalog.partitions_start):
        raise ConfigError(f"--date {partition} is before partitions_start",
                          path=catalog.path, field="partitions_start")
    if day > today:
        raise ConfigError(f"--date {partition} is in the future (today is {today} UTC)")
    if day < today:
        check_snapshots_kept(catalog, partition, table)
    return partition


def check_snapshots_kept(catalog, partition: str, table: str | None) -> None:
    """Refuse a past ``partition`` unless every table the run reads kept its snapshot of it."""
    from assets.common import key
    from resources.io import stored_partitions
    from tabletwin.chain.stages import past_day_refusal
    from tabletwin.config.preflight import tables_to_run

    storage = catalog.resolve(catalog.storage_dir)
    for t in tables_to_run(catalog, table):
        kept = stored_partitions(storage, key(t, "source_table").path)
        if partition not in kept:
            raise ConfigError(past_day_refusal(partition, kept), table=t)


def preflight(catalog, table: str | None) -> None:
    """Fail fast, before Dagster starts: warehouse, source tables and named columns; refresh the
    key cache when the catalog leaves keys to the warehouse."""
    from tabletwin.config.keys import tables_missing_keys, write_keys_cache
    from tabletwin.config.preflight import check_sources, tables_to_run
    from tabletwin.config.warehouse import open_warehouse

    warehouse = open_warehouse(catalog)
    check_sources(catalog, warehouse, tables_to_run(catalog, table))
    if catalog.warehouse.read_keys and tables_missing_keys(catalog):
        # `tabletwin run` may read the warehouse (the code location's definitions may not): the
        # keys the catalog leaves undeclared are refreshed in the key cache the definitions read
        try:
            write_keys_cache(catalog, warehouse)
        except OSError:
            pass  # a read-only catalog folder: the source step then names `tabletwin keys --write`


class _Run(NamedTuple):
    """One ``tabletwin run``: where it is recorded, what it runs, and the tags naming its process."""

    instance: Any
    catalog: Any
    job_name: str
    table: str | None
    partition: str
    run_config: dict
    tags: dict[str, str]


def _run_in_process(run: _Run) -> int:
    from pipelines.build import build_definitions

    job = build_definitions(run.catalog).resolve_job_def(run.job_name)
    result = job.execute_in_process(partition_key=run.partition, instance=run.instance,
                                    raise_on_error=False, run_config=run.run_config,
                                    tags=run.tags)
    return _summarize(result, run.catalog, run.table, run.partition)


def _run_out_of_process(run: _Run, *, executor: str, queue: str) -> int:
    """Local subprocesses or Celery workers: each step rebuilds the job from the code location
    (:mod:`pipelines.definitions`), for this catalog."""
    from dagster import build_reconstructable_job, execute_job

    from pipelines.execution import BROKER_ENV, broker_display, execution_config
    from pipelines.workers import listening_workers

    os.environ["TABLETWIN_CATALOG"] = str(Path(run.catalog.path).resolve())
    if executor == "celery" and not listening_workers(queue):
        raise ConfigError(
            f"--executor celery: no worker listens on queue {queue!r} at "
            f"{broker_display(os.environ[BROKER_ENV])}; start some with "
            f"`tabletwin worker --queue {queue}` (same catalog, same machine or shared "
            "filesystem)")
    recon = build_reconstructable_job("pipelines.definitions", "job", (run.job_name,))
    run_config = {**run.run_config, "execution": execution_config(executor, queue=queue)}
    with warnings.catch_warnings():
        # dagster-celery re-creates its task for every step it submits; Celery 5.7 warns that
        # the (identical) second definition is ignored
        warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already")
        with execute_job(recon, run.instance, run_config=run_config,
                         tags={"dagster/partition": run.partition, **run.tags}) as result:
            return _summarize(result, run.catalog, run.table, run.partition)


def _published_where(catalog, table: str, partition: str) -> str:
    """``synthetic.t``, or, when a newer day's version is live, the version this run published
    and which day ``synthetic.t`` still shows (it always shows the newest good version)."""
    from tabletwin.config.warehouse import open_warehouse
    from tabletwin.warehouse.base import version_table, versions_schema

    target = catalog.warehouse.target_schema
    try:
        live = max(open_warehouse(catalog).versions(target, table), default=partition)
    except Exception:  # noqa: BLE001 - a summary line: the run's outcome is already decided
        live = partition
    if live <= partition:
        return f"{target}.{table}"
    return (f"{versions_schema(target)}.{version_table(table, partition)} (not live: "
            f"{target}.{table} shows the newer {live})")


def _summarize(result, catalog, table: str | None, partition: str) -> int:
    """Print one line per table (published or why not) and the run's verdict; the exit status."""
    from dagster import AssetCheckSeverity

    failed_checks: dict[str, list[str]] = {}
    warned: dict[str, list[str]] = {}
    kept: dict[str, dict] = {}  # table -> PII column kept by catalog -> cells holding its values
    explained: dict[str, list[str]] = {}  # table -> messages of its failed checks
    for ev in result.get_asset_check_evaluations():
        if ev.check_name == "no_pii_kept_by_catalog":
            details = ev.metadata.get("details")
            value = getattr(details, "value", None) or getattr(details, "data", None)
            if isinstance(value, dict) and isinstance(value.get("kept_by_catalog"), dict):
                kept[ev.asset_key.path[0]] = value["kept_by_catalog"]
        status = getattr(ev.metadata.get("status"), "value", None)
        if not ev.passed and status != "not_applicable":  # not applicable: nothing to report
            into = warned if ev.severity == AssetCheckSeverity.WARN else failed_checks
            into.setdefault(ev.asset_key.path[0], []).append(ev.check_name)
            if ev.severity != AssetCheckSeverity.WARN and ev.description:
                # a failure that explains itself (schema_change_reviewed): printed under the table
                explained.setdefault(ev.asset_key.path[0], []).append(ev.description)
    published = {e.asset_key.path[0] for e in result.get_asset_materialization_events()
                 if e.asset_key.path[-1] == "published_table"}
    errors = []
    for ev in result.all_events:
        err = ev.step_failure_data.error if ev.is_step_failure else None
        if err is None or err.cls_name == "DagsterAssetCheckFailedError":
            continue  # check failures are reported per table below
        cause = err.cause or err
        lines = (cause.message or "").strip().splitlines()
        errors.append(f"step {ev.step_key} failed: {lines[-1] if lines else cause.cls_name}")
    tables = [table] if table else catalog.ordered_tables()
    target = catalog.warehouse.target_schema
    from tabletwin.quality.report import run_report_path

    reports = catalog.resolve(catalog.reports_dir)
    for t in tables:
        report = run_report_path(reports, t, partition, result.run_id)  # this run's own page
        if t in published:
            note = f"   warnings: {', '.join(warned[t])}" if t in warned else ""
            print(f"published {_published_where(catalog, t, partition)}   report {report}{note}")
        elif t in failed_checks:
            print(f"NOT published {t}: blocking checks failed: {', '.join(failed_checks[t])}; "
                  f"report {report}", file=sys.stderr)
            for message in explained.get(t, []):
                print(_indented(message), file=sys.stderr)
        else:
            print(f"NOT published {t}: an upstream step or parent table failed", file=sys.stderr)
    for t, columns in kept.items():
        for column, cells in columns.items():
            print(f"WARN {t}.{column}: kept by catalog: real values published ({cells} synthetic "
                  "cells hold source values)")
    for e in errors:
        print(e, file=sys.stderr)
    ok = result.success and all(t in published for t in tables)
    print(f"run {result.run_id} for {partition}: {'success' if ok else 'FAILED'} "
          f"(warehouse {catalog.warehouse.describe(catalog.root)})")
    return 0 if ok else 1


def _indented(message: str) -> str:
    """A check's (multi-line) message under its table's line, each line indented."""
    return "\n".join("    " + line for line in message.splitlines())
