"""A table over its stream_above runs streamed through the Dagster chain (tabletwin.chain.large)."""

from __future__ import annotations

import pickle

import duckdb
from dagster import DagsterInstance, materialize

from tests.conftest import materialize_day
from assets import build_all_assets
from pipelines.build import build_resources
from tabletwin.config.loader import load_catalog
from tabletwin.pii.leakage import pii_leaks

from conftest import write_catalog

DAY = "2026-03-04"


def run(project):
    catalog = load_catalog(project / "tabletwin.yaml")
    assets, checks = build_all_assets(catalog)
    with DagsterInstance.ephemeral() as instance:
        return materialize_day([*assets, *checks], resources=build_resources(catalog),
                               day=DAY, instance=instance, raise_on_error=False)


def test_streamed_table_is_published_whole(project):
    write_catalog(project, transactions={"stream_above": 1000},
                  support_tickets={"stream_above": 50})
    result = run(project)
    assert result.success
    meta = {tuple(e.asset_key.path): e.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert meta[("transactions", "source_table")]["streamed"].value is True
    assert meta[("transactions", "synthetic_table")]["streamed"].value is True
    assert meta[("customers", "source_table")]["streamed"].value is False
    # the snapshot and the synthetic file are Parquet files in the private storage, where the IO
    # manager puts every stored value
    for stage in ("source_table", "synthetic_table"):
        assert (project / "data" / "storage" / "transactions" / stage / f"{DAY}.parquet").is_file()
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:
        for t in ("transactions", "support_tickets"):
            src = con.execute(f"SELECT * FROM main.{t}").df()
            pub = con.execute(f"SELECT * FROM synthetic.{t}").df()
            assert len(pub) == len(src) and list(pub.columns) == list(src.columns)
            assert pub.iloc[:, 0].is_unique
            assert not pub.iloc[:, 0].isin(src.iloc[:, 0]).any()  # fresh keys
        orphans = con.execute(
            "SELECT count(*) FROM synthetic.transactions t LEFT JOIN synthetic.accounts a "
            "USING (account_id) WHERE a.account_id IS NULL").fetchone()[0]
        tickets_src = con.execute("SELECT * FROM main.support_tickets").df()
        tickets_pub = con.execute("SELECT * FROM synthetic.support_tickets").df()
        runs = con.execute("SELECT table_name, rows, passed, published FROM "
                           "synthetic.tabletwin_runs").df()
    finally:
        con.close()
    assert orphans == 0


    plan = pickle.loads((project / "data" / "storage" / "support_tickets" / "pii_plan"
                         / f"{DAY}.pkl").read_bytes())
    assert "notes" in plan.pii_columns
    assert sum(pii_leaks(tickets_src, tickets_pub, plan).values()) == 0
    row = runs.set_index("table_name").loc["transactions"]
    assert row["published"] and row["rows"] == 3000


def test_a_streamed_parent_is_refused_with_a_clear_error(project):
    write_catalog(project, accounts={"stream_above": 100})
    result = run(project)
    assert not result.success
    messages = [ev.step_failure_data.error.cause.message if ev.step_failure_data.error.cause
                else ev.step_failure_data.error.message
                for ev in result.all_events if ev.is_step_failure]
    assert any("accounts is streamed" in m and "transactions" in m for m in messages), messages
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:  # the streamed table itself is published; its children are not
        assert con.execute("SELECT count(*) FROM synthetic.accounts").fetchone()[0] > 0
        views = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'synthetic'").fetchall()}
    finally:
        con.close()
    assert "transactions" not in views


def test_a_rewritten_snapshot_drops_its_kept_samples(tmp_path):
    import pandas as pd

    from tabletwin.chain.source import write_snapshot

    path = tmp_path / "s.parquet"
    first = write_snapshot([pd.DataFrame({"a": range(100)})], path, table="t")
    assert first.sample(10, seed=1)["a"].max() < 100
    second = write_snapshot([pd.DataFrame({"a": range(1000, 1100)})], path, table="t")
    assert second.sample(10, seed=1)["a"].min() >= 1000  # not the first file's kept sample
