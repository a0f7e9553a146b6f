"""A rebalanced table and seeded scenarios through Dagster (split from tests/unit/synth/test_rebalance.py: these materialize assets)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from dagster import AssetSelection, DagsterInstance, materialize
from assets import build_all_assets
from pipelines.build import build_resources
from tabletwin.config.loader import load_catalog
from tests.conftest import materialize_day, write_catalog

DAY = "2026-03-01"


def _materialize(project, groups):
    catalog = load_catalog(project / "tabletwin.yaml")
    assets, checks = build_all_assets(catalog)
    with DagsterInstance.ephemeral() as instance:
        return materialize_day([*assets, *checks], resources=build_resources(catalog),
                               day=DAY, instance=instance, raise_on_error=False,
                           selection=AssetSelection.groups(*groups))


def _query(project, sql):
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_rebalanced_table_and_scenario_through_dagster(project):
    src = _query(project, "SELECT * FROM main.customers")
    # date_of_birth is generalised to the birth year by masking: seeds are given in that form
    young = pd.DataFrame({"date_of_birth": np.random.default_rng(0).integers(1998, 2005, 120)})
    (project / "scenarios").mkdir()
    young.to_parquet(project / "scenarios" / "young.parquet", index=False)
    # scenarios do not combine with constraints yet: the demo's customers constraints are dropped
    write_catalog(project, customers={"constraints": []},
                  transactions={"rebalance": {"column": "is_fraud", "shares": {True: 0.3}}})
    data = yaml.safe_load((project / "tabletwin.yaml").read_text())
    data["scenarios"] = {"young": {"table": "customers", "seed_table": "scenarios/young.parquet"},
                         "online": {"table": "transactions",
                                    "seed_table": "scenarios/online.csv"}}
    (project / "scenarios" / "online.csv").write_text("channel\n" + "online\n" * 50)
    (project / "tabletwin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = _materialize(project, ["customers", "accounts", "transactions"])
    assert result.success
    checks = {(c.asset_key.path[0], c.check_name): c.passed
              for c in result.get_asset_check_evaluations()}
    assert checks[("transactions", "minority_not_copied")]
    tx = _query(project, "SELECT * FROM synthetic.transactions")
    assert tx["is_fraud"].mean() == pytest.approx(0.3, abs=0.01)
    scen = _query(project, "SELECT * FROM synthetic.customers__young")
    assert len(scen) == len(young)
    assert scen["date_of_birth"].tolist() == young["date_of_birth"].tolist()
    assert list(scen.columns) == list(_query(project, "SELECT * FROM synthetic.customers").columns)
    # no source PII, no source key in the scenario
    for col in ("email", "ssn", "full_name"):
        assert not set(scen[col].dropna()) & set(src[col].dropna())
    assert not set(scen["customer_id"]) & set(src["customer_id"])
    online = _query(project, "SELECT * FROM synthetic.transactions__online")
    assert len(online) == 50 and set(online["channel"]) == {"online"}
    # foreign keys of a scenario point at the published synthetic parents
    accounts = _query(project, "SELECT account_id FROM synthetic.accounts")
    assert online["account_id"].isin(accounts["account_id"]).all()
    runs = _query(project, "SELECT table_name, passed, published FROM synthetic.tabletwin_runs "
                           "WHERE table_name = 'customers__young'")
    assert runs.values.tolist() == [["customers__young", True, True]]


def test_scenario_with_unknown_column_fails_without_publishing(project):
    (project / "bad.csv").write_text("ghost\n1\n2\n")
    write_catalog(project, customers={"constraints": []})
    data = yaml.safe_load((project / "tabletwin.yaml").read_text())
    data["scenarios"] = {"bad": {"table": "customers", "seed_table": "bad.csv"}}
    (project / "tabletwin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = _materialize(project, ["customers"])
    assert not result.success
    tables = _query(project, "SELECT table_name FROM information_schema.tables "
                             "WHERE table_name LIKE 'customers__bad%'")
    assert tables.empty
    assert _query(project, "SELECT count(*) AS n FROM synthetic.customers")["n"][0] > 0
