"""The daily refresh over several days through `tabletwin run`: partitions are the days that ran,
a past day runs from its kept snapshot or is refused, models are reused until the source drifts
or a refit is asked for, and each reuse draws new rows."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import DagsterInstance, DynamicPartitionsDefinition

from pipelines.build import DAILY_JOB, build_definitions
from tabletwin.config.loader import load_catalog
from tests.conftest import run_on

DAYS = ("2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04")


def _sql(project, sql, params=()):
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def _model(project, day):
    rows = _sql(project, "SELECT model, published FROM synthetic.tabletwin_runs WHERE "
                "table_name = 'customers' AND partition_key = ? ORDER BY checked_at DESC",
                [day])
    return rows["model"].iloc[0], bool(rows["published"].iloc[0])


def _run(project, clock, *extra):
    return run_on(clock, ["run", "--catalog", str(project / "tabletwin.yaml"), "--table",
                          "customers", *extra])


def test_days_reuse_refit_and_past_days(project, capsys):
    catalog = load_catalog(project / "tabletwin.yaml")
    job = build_definitions(catalog).resolve_job_def(DAILY_JOB)
    assert isinstance(job.partitions_def, DynamicPartitionsDefinition)
    with DagsterInstance.get() as instance:  # no day exists before the first run
        assert job.partitions_def.get_partition_keys(dynamic_partitions_store=instance) == []

    # day 1: nothing stored, the model is fitted
    assert _run(project, DAYS[0]) == 0
    assert _model(project, DAYS[0]) == ("refit: no stored model", True)
    first = _sql(project, "SELECT * FROM synthetic.customers")

    # day 2, same source: the same model, new rows
    assert _run(project, DAYS[1]) == 0
    assert _model(project, DAYS[1]) == (f"reused model of {DAYS[0]}", True)
    second = _sql(project, "SELECT * FROM synthetic.customers")
    assert len(second) == len(first)
    assert not first.drop(columns="customer_id").equals(second.drop(columns="customer_id"))
    capsys.readouterr()
    assert run_on(DAYS[1], ["report", "customers", "--catalog",
                            str(project / "tabletwin.yaml")]) == 0
    assert f"  model: reused model of {DAYS[0]}" in capsys.readouterr().out
    with DagsterInstance.get() as instance:
        assert sorted(job.partitions_def.get_partition_keys(
            dynamic_partitions_store=instance)) == list(DAYS[:2])

    # day 3: asked to refit
    assert _run(project, DAYS[2], "--refit") == 0
    assert _model(project, DAYS[2]) == ("refit: asked (--refit)", True)

    # day 4: a shifted column refits, naming it
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"))
    con.execute("UPDATE main.customers SET credit_score = LEAST(850, credit_score + 120)")
    con.close()
    assert _run(project, DAYS[3]) == 0
    model, published = _model(project, DAYS[3])
    assert model.startswith("refit: drift in credit_score (PSI ") and published, model
    capsys.readouterr()

    # a past day re-runs from its kept snapshot: its version table, the view stays on the newest
    live = _sql(project, "SELECT * FROM synthetic.customers")
    assert _run(project, DAYS[3], "--date", DAYS[1]) == 0
    out = capsys.readouterr().out
    assert (f"published synthetic_versions.customers__{DAYS[1].replace('-', '')} (not live: "
            f"synthetic.customers shows the newer {DAYS[3]})") in out
    pd.testing.assert_frame_equal(live, _sql(project, "SELECT * FROM synthetic.customers"))
    # the kept snapshot is of that day: before the shift
    rerun = _sql(project, "SELECT avg(credit_score) AS m FROM synthetic_versions."
                 f"customers__{DAYS[1].replace('-', '')}")["m"].iloc[0]
    assert rerun < live["credit_score"].mean() - 50

    # a past day with no snapshot is refused before anything runs, in one line
    assert _run(project, DAYS[3], "--date", "2026-04-30") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no source snapshot of 2026-04-30 was kept" in err and "run today instead" in err
    assert _sql(project, "SELECT count(*) AS n FROM synthetic.tabletwin_runs WHERE "
                "partition_key = '2026-04-30'")["n"].iloc[0] == 0


def test_the_schedule_adds_its_day_and_runs_it_once(project):
    import datetime as dt

    from dagster import build_schedule_context

    defs = build_definitions(load_catalog(project / "tabletwin.yaml"))
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 3 * * *" and schedule.execution_timezone == "UTC"
    when = dt.datetime(2026, 7, 4, 3, 0, tzinfo=dt.timezone.utc)
    with DagsterInstance.get() as instance:  # the test's own DAGSTER_HOME
        ctx = build_schedule_context(instance=instance, scheduled_execution_time=when,
                                     repository_def=defs.get_repository_def())
        request = schedule.evaluate_tick(ctx).run_requests[0]
        assert request.partition_key == "2026-07-04" and request.run_key == "2026-07-04"
        assert instance.get_dynamic_partitions("tabletwin_days") == ["2026-07-04"]
        schedule.evaluate_tick(ctx)  # a second tick of the same day adds nothing
        assert instance.get_dynamic_partitions("tabletwin_days") == ["2026-07-04"]
