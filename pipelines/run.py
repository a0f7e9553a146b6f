"""``tabletwin run``: materialize one day's partition through Dagster, in process, recorded in a
local Dagster instance (so the runs show up in ``dagster dev`` too)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from tabletwin.catalog import load_catalog
from tabletwin.errors import ConfigError
from tabletwin.localkey import ensure_local_key

DAGSTER_YAML = "telemetry:\n  enabled: false\n"


def prepare_dagster_home(root: Path) -> Path:
    """Use ``$DAGSTER_HOME`` or ``<project>/data/dagster_home``, with telemetry off."""
    home = Path(os.environ.get("DAGSTER_HOME") or root / "data" / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_pipeline(*, catalog_path: str | Path, date: str | None = None, table: str | None = None,
                 verbose: bool = False) -> int:
    """Run the daily job (or one table's job) for ``date``; returns the process exit status."""
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
    prepare_dagster_home(catalog.root)
    ensure_local_key(catalog.root / "data")

    from dagster import DagsterInstance

    from pipelines.build import DAILY_JOB, build_definitions, table_job_name

    defs = build_definitions(catalog)
    job = defs.resolve_job_def(table_job_name(table) if table else DAILY_JOB)
    with DagsterInstance.get() as instance:
        # the full event log is in the instance (and the UI); the console gets the summary below
        level = "DEBUG" if verbose else "CRITICAL"
        result = job.execute_in_process(
            partition_key=partition, instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": level}}}})
    from dagster import AssetCheckSeverity

    failed_checks: dict[str, list[str]] = {}
    warned: dict[str, list[str]] = {}
    for ev in result.get_asset_check_evaluations():
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
    reports = catalog.resolve(catalog.reports_dir)
    for t in tables:
        report = reports / t / f"{partition}.html"
        if t in published:
            note = f"   warnings: {', '.join(warned[t])}" if t in warned else ""
            print(f"published {target}.{t}   report {report}{note}")
        elif t in failed_checks:
            print(f"NOT published {t}: blocking checks failed: {', '.join(failed_checks[t])}; "
                  f"report {report}", file=sys.stderr)
        else:
            print(f"NOT published {t}: an upstream step or parent table failed", file=sys.stderr)
    for e in errors:
        print(e, file=sys.stderr)
    ok = result.success and all(t in published for t in tables)
    print(f"run {result.run_id} for {partition}: {'success' if ok else 'FAILED'} "
          f"(warehouse {catalog.warehouse.describe(catalog.root)})")
    return 0 if ok else 1
