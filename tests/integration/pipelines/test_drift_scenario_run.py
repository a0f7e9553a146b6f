"""A scenario that follows a drifting column, through Dagster over two days: the category that grew
between the days grows further in the published ``<table>__<scenario>`` than in the faithful copy."""

from __future__ import annotations

import duckdb
import pandas as pd
import yaml
from dagster import AssetKey, DagsterInstance

from assets import build_all_assets
from pipelines.build import build_resources
from tabletwin.config.loader import load_catalog
from tests.conftest import materialize_day, write_catalog

DAY1, DAY2 = "2026-03-01", "2026-03-02"
SCENARIO = "more_students"


def _run(project, day, instance):
    catalog = load_catalog(project / "tabletwin.yaml")
    catalog = catalog.model_copy(update={"tables": {"customers": catalog.tables["customers"]}})
    assets, checks = build_all_assets(catalog)
    return materialize_day([*assets, *checks], resources=build_resources(catalog), day=day,
                           instance=instance, raise_on_error=False)


def _query(project, sql, read_only=True):
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=read_only)
    try:
        return con.execute(sql).df() if read_only else con.execute(sql)
    finally:
        con.close()


def _mix(result) -> dict:
    events = [e for e in result.get_asset_materialization_events()
              if e.asset_key == AssetKey(["customers", f"scenario_{SCENARIO}"])]
    assert len(events) == 1
    return events[0].materialization.metadata["drift_mix"].value


def _student_share(project, table) -> float:
    df = _query(project, f"SELECT segment FROM synthetic.{table}")
    return float((df["segment"] == "student").mean())


def test_follow_drift_scenario_extends_a_growing_category(project):
    # scenarios do not combine with constraints yet: the demo's customers constraints are dropped
    write_catalog(project, customers={"constraints": []})
    data = yaml.safe_load((project / "tabletwin.yaml").read_text())
    data["scenarios"] = {SCENARIO: {"table": "customers",
                                    "follow_drift": {"column": "segment", "factor": 2.0}}}
    (project / "tabletwin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with DagsterInstance.ephemeral() as instance:
        day1 = _run(project, DAY1, instance)
        assert day1.success
        first = _mix(day1)
        assert first["then"] is None and "first day" in first["note"]
        # day 1 publishes today's mix: student is as common as in the faithful copy's source
        src1 = _query(project, "SELECT segment FROM main.customers")
        then_share = float((src1["segment"] == "student").mean())
        assert abs(_student_share(project, f"customers__{SCENARIO}") - then_share) < 0.02

        # overnight, a fifth of the customers move to the (newer) student segment
        moved = len(src1) // 5
        _query(project, "UPDATE main.customers SET segment = 'student' WHERE customer_id IN ("
                        "SELECT customer_id FROM main.customers WHERE segment <> 'student' "
                        f"ORDER BY customer_id LIMIT {moved})", read_only=False)
        day2 = _run(project, DAY2, instance)
        assert day2.success
        mix = _mix(day2)

    src2 = _query(project, "SELECT segment FROM main.customers")
    now_share = float((src2["segment"] == "student").mean())
    assert now_share > then_share + 0.15
    student = mix["levels"]["student"]
    assert mix["then"] == f"rows the model of {DAY1} was fitted on"
    assert abs(student["then"] - then_share) < 0.01 and abs(student["now"] - now_share) < 0.01
    assert student["target"] > student["now"] + 0.1  # moved as far again, renormalised
    faithful = _student_share(project, "customers")
    scenario = _student_share(project, f"customers__{SCENARIO}")
    assert scenario > faithful + 0.1, (scenario, faithful)
    assert abs(scenario - student["target"]) < 0.01
    # the scenario is a full synthetic table: same columns, the table's row count, its run recorded
    cols = list(_query(project, "SELECT * FROM synthetic.customers LIMIT 1").columns)
    published = _query(project, f"SELECT * FROM synthetic.customers__{SCENARIO}")
    assert list(published.columns) == cols and len(published) == len(src2)
    assert not set(published["customer_id"]) & set(
        _query(project, "SELECT customer_id FROM main.customers")["customer_id"])
    runs = _query(project, "SELECT partition_key, passed, published FROM synthetic.tabletwin_runs "
                           f"WHERE table_name = 'customers__{SCENARIO}' ORDER BY partition_key")
    assert runs.values.tolist() == [[DAY1, True, True], [DAY2, True, True]]
