"""``tabletwin run``: materialize one day's partition through Dagster, recorded in the Dagster
instance of ``$DAGSTER_HOME`` (default: a local SQLite one, so the runs show up in ``dagster dev``
too); in process by default, or on local subprocesses or Celery workers (``--executor``)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import warnings
from pathlib import Path

from tabletwin.config.loader import load_catalog
from tabletwin.errors import ConfigError
from tabletwin.pii.key import ensure_local_key

from pipelines.execution import DEFAULT_QUEUE, EXECUTORS

# run monitoring: the daemon (started by `tabletwin ui` / `dagster dev`) fails runs stuck in
# STARTING; runs whose process died are swept by pipelines.status when tabletwin next starts
DAGSTER_YAML = ("telemetry:\n  enabled: false\n"
                "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 180\n"
                "  poll_interval_seconds: 60\n")


def prepare_dagster_home(root: Path) -> Path:
    """Use ``$DAGSTER_HOME`` or ``<project>/data/dagster_home``, with telemetry off."""
    home = Path(os.environ.get("DAGSTER_HOME") or root / "data" / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():  # atomically: a half-written instance config would break every run
        tmp = cfg.with_name(f".{cfg.name}.{os.getpid()}.tmp")
        tmp.write_text(DAGSTER_YAML)
        os.replace(tmp, cfg)
    os.environ["DAGSTER_HOME"] = str(home)
    check_pg_url()
    return home


PG_URL_ENV = "DAGSTER_PG_URL"  # what deploy/dagster.yaml reads


def check_pg_url() -> None:
    """A PostgreSQL instance URL must name psycopg2: SQLAlchemy 2.1's default driver is psycopg 3,
    with which dagster-postgres fails on its first event. Never prints the URL."""
    url = os.environ.get(PG_URL_ENV)
    if url and url.split("://", 1)[0] in ("postgresql", "postgres"):
        raise ConfigError(f"{PG_URL_ENV} must start with postgresql+psycopg2:// (SQLAlchemy picks "
                          "psycopg 3 for postgresql://, which dagster-postgres 0.29 does not "
                          "support)")


def run_pipeline(*, catalog_path: str | Path, date: str | None = None, table: str | None = None,
                 verbose: bool = False, executor: str = "in_process",
                 queue: str = DEFAULT_QUEUE) -> int:
    """Run the daily job (or one table's job) for ``date``; returns the process exit status.

    ``executor``: ``in_process`` (the default: one process), ``multiprocess`` (local
    subprocesses) or ``celery`` (each step a task on a ``tabletwin worker`` listening on ``queue``).
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    catalog = load_catalog(catalog_path)
    if table is not None:
        catalog.table(table)
    # daily partitions are UTC days (Dagster's default), so "today" is today in UTC
    today = dt.datetime.now(dt.timezone.utc).date()
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
    # fail fast, before Dagster starts: warehouse, source tables and named columns
    from tabletwin.config.preflight import check_sources, tables_to_run
    from tabletwin.config.keys import tables_missing_keys, write_keys_cache
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
    prepare_dagster_home(catalog.root)
    ensure_local_key(catalog.root / "data")

    from dagster import DagsterInstance

    from pipelines.build import DAILY_JOB, build_definitions, table_job_name

    job_name = table_job_name(table) if table else DAILY_JOB
    # the full event log is in the instance (and the UI); the console gets the summary below
    run_config: dict = {"loggers": {"console": {"config": {
        "log_level": "DEBUG" if verbose else "CRITICAL"}}}}
    from pipelines.status import process_tags, sweep_and_say

    with DagsterInstance.get() as instance:
        sweep_and_say(instance)  # runs killed earlier: failed, not STARTED for ever
        tags = process_tags()
        if executor == "in_process":
            job = build_definitions(catalog).resolve_job_def(job_name)
            result = job.execute_in_process(partition_key=partition, instance=instance,
                                            raise_on_error=False, run_config=run_config,
                                            tags=tags)
            return _summarize(result, catalog, table, partition)
        # out of process: the steps rebuild the job from the code location, for this catalog
        from dagster import build_reconstructable_job, execute_job

        from pipelines.execution import BROKER_ENV, broker_display, execution_config
        from pipelines.workers import listening_workers

        os.environ["TABLETWIN_CATALOG"] = str(Path(catalog.path).resolve())
        if executor == "celery" and not listening_workers(queue):
            raise ConfigError(
                f"--executor celery: no worker listens on queue {queue!r} at "
                f"{broker_display(os.environ[BROKER_ENV])}; start some with "
                f"`tabletwin worker --queue {queue}` (same catalog, same machine or shared "
                "filesystem)")
        recon = build_reconstructable_job("pipelines.definitions", "job", (job_name,))
        run_config["execution"] = execution_config(executor, queue=queue)
        with warnings.catch_warnings():
            # dagster-celery re-creates its task for every step it submits; Celery 5.7 warns that
            # the (identical) second definition is ignored
            warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already")
            with execute_job(recon, instance, run_config=run_config,
                             tags={"dagster/partition": partition, **tags}) as result:
                return _summarize(result, catalog, table, partition)


def _summarize(result, catalog, table: str | None, partition: str) -> int:
    """Print one line per table (published or why not) and the run's verdict; the exit status."""
    from dagster import AssetCheckSeverity

    failed_checks: dict[str, list[str]] = {}
    warned: dict[str, list[str]] = {}
    kept: dict[str, dict] = {}  # table -> PII column kept by catalog -> cells holding its values
    for ev in result.get_asset_check_evaluations():
        if ev.check_name == "no_pii_kept_by_catalog":
            details = ev.metadata.get("details")
            value = getattr(details, "value", None) or getattr(details, "data", None)
            if isinstance(value, dict) and isinstance(value.get("kept_by_catalog"), dict):
                kept[ev.asset_key.path[0]] = value["kept_by_catalog"]
        if not ev.passed:
            into = warned if ev.severity == AssetCheckSeverity.WARN else failed_checks
            into.setdefault(ev.asset_key.path[0], []).append(ev.check_name)
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
            print(f"published {target}.{t}   report {report}{note}")
        elif t in failed_checks:
            print(f"NOT published {t}: blocking checks failed: {', '.join(failed_checks[t])}; "
                  f"report {report}", file=sys.stderr)
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
