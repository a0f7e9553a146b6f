"""Build the Definitions (assets, checks, jobs, schedule, resources) from a table catalog.

The catalog file comes from ``TABLETWIN_CATALOG`` (default: ``tabletwin.yaml`` in the working
directory, then beside this project).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import (AssetSelection, Definitions, EnvVar, RunRequest, ScheduleEvaluationContext,
                     define_asset_job, schedule)

from assets import build_all_assets
from assets.common import DAYS, add_day
from pipelines.execution import tabletwin_executor
from resources import (DuckDBWarehouseResource, PostgresWarehouseResource, PrivacyResource,
                       TabletwinIOManager)
from tabletwin.config.catalog import Catalog

PSEUDONYM_KEY_ENV = "TABLETWIN_PSEUDONYM_KEY"
DAILY_JOB = "daily_refresh_job"


def table_job_name(table: str) -> str:
    return f"{table}_job"


def build_resources(catalog: Catalog) -> dict:
    """The resources every asset needs; secrets only through EnvVar."""
    wh = catalog.warehouse
    if wh.kind == "postgres":
        warehouse = PostgresWarehouseResource(
            url=EnvVar(wh.url_env),
            target_url=EnvVar(wh.target_url_env) if wh.target_url_env else None,
            source_schema=wh.source_schema, target_schema=wh.target_schema)
    else:
        warehouse = DuckDBWarehouseResource(path=str(catalog.resolve(wh.path)),
                                            source_schema=wh.source_schema,
                                            target_schema=wh.target_schema)
    return {
        "warehouse": warehouse,
        "privacy": PrivacyResource(pseudonym_key=EnvVar(PSEUDONYM_KEY_ENV)),
        "io_manager": TabletwinIOManager(base_dir=str(catalog.resolve(catalog.storage_dir))),
    }


def build_definitions(catalog: Catalog) -> Definitions:
    # no warehouse access here (a database outage must not break the code location): keys a
    # table does not declare come from the key cache (`tabletwin keys --write`), see build_all_assets
    assets, checks = build_all_assets(catalog)
    partitions = DAYS
    daily = define_asset_job(DAILY_JOB, selection=AssetSelection.all(),
                             partitions_def=partitions,
                             description="Refresh every table's synthetic copy for one day.")
    per_table = [
        define_asset_job(table_job_name(t), selection=AssetSelection.groups(t).upstream(),
                         partitions_def=partitions,
                         description=f"Refresh the synthetic copy of {t} together with its parent "
                                     "tables, so its foreign keys resolve in the published set.")
        for t in catalog.ordered_tables()
    ]
    return Definitions(assets=assets, asset_checks=checks, jobs=[daily, *per_table],
                       schedules=[daily_schedule(daily, catalog.schedule_hour)],
                       resources=build_resources(catalog), executor=tabletwin_executor)


def daily_schedule(job, hour: int):
    """Every day at ``hour`` (UTC): add the day's partition (the days are dynamic partitions, see
    :data:`assets.common.DAYS`) and run the daily job for it. One run per day (``run_key``: the
    day), so a daemon restart does not run a day twice."""

    @schedule(name="daily_refresh", job=job, cron_schedule=f"0 {hour} * * *",
              execution_timezone="UTC",
              description="Every day, snapshot every configured source table and refresh its "
                          "synthetic copy (the day's partition is added when the run starts).")
    def daily_refresh(context: ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date().isoformat()
        # a schedule cannot return dynamic-partition requests as a sensor can: add the day here
        # (idempotent), before the run request that names it
        add_day(context.instance, day)
        return RunRequest(run_key=day, partition_key=day)

    return daily_refresh


def catalog_path() -> Path:
    env = os.environ.get("TABLETWIN_CATALOG")
    if env:
        return Path(env)
    here = Path.cwd() / "tabletwin.yaml"
    return here if here.exists() else Path(__file__).resolve().parent.parent / "tabletwin.yaml"

