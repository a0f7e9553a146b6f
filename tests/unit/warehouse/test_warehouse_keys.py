"""Catalog keys from the warehouse's constraints, the postgres warehouse block, resource choice."""

from __future__ import annotations

import pytest
import yaml
from dagster import AssetKey

from tabletwin.config.loader import parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.warehouse.duckdb import DuckDBWarehouse
from tabletwin.config.keys import tables_missing_keys, with_warehouse_keys
from tabletwin.config.warehouse import open_warehouse
from tests.conftest import ROOT


class StubKeys:
    """Only table_keys, answering from a dict: enough for the catalog function."""

    def __init__(self, keys: dict[str, tuple[list[str], dict[str, str]]]):
        self.keys = keys
        self.asked: list[str] = []

    def table_keys(self, schema: str, table: str):
        self.asked.append(table)
        return self.keys.get(table, ([], {}))


def catalog(tables: dict, **warehouse) -> object:
    return parse_catalog({"warehouse": warehouse, "tables": tables}, "cat.yaml")


def test_the_demo_duckdb_keys_fill_a_keyless_catalog(small_warehouse):
    cat = catalog({"customers": {}, "accounts": {}, "transactions": {}, "support_tickets": {}},
                  path=str(small_warehouse))
    keyed = with_warehouse_keys(cat, DuckDBWarehouse(small_warehouse))
    assert keyed.tables["customers"].primary_key == "customer_id"
    assert keyed.tables["transactions"].foreign_keys == {"account_id": "accounts.account_id"}
    assert keyed.tables["support_tickets"].foreign_keys == {"customer_id": "customers.customer_id"}
    assert keyed.ordered_tables().index("accounts") < keyed.ordered_tables().index("transactions")
    # without a warehouse argument, the catalog's own (DuckDB) warehouse is opened
    assert with_warehouse_keys(cat).tables["accounts"].primary_key == "account_id"


def test_declared_keys_win_and_read_keys_false_reads_nothing():
    stub = StubKeys({"a": (["id"], {}), "b": (["bid"], {"a_id": "a.id"})})
    declared = catalog({"a": {"primary_key": "id", "foreign_keys": {}},
                        "b": {"primary_key": "bid", "foreign_keys": {}}})
    assert tables_missing_keys(declared) == {}
    assert with_warehouse_keys(declared, stub) is declared and stub.asked == []
    off = catalog({"a": {}, "b": {}}, read_keys=False)
    assert with_warehouse_keys(off, stub) is off and stub.asked == []
    half = catalog({"a": {"primary_key": "id"}, "b": {"foreign_keys": {}}})
    keyed = with_warehouse_keys(half, stub)
    assert keyed.tables["b"].primary_key == "bid" and keyed.tables["b"].foreign_keys == {}


def test_source_table_names_map_to_catalog_names():
    stub = StubKeys({"raw_a": (["id"], {}), "raw_b": (["bid"], {"a_id": "raw_a.id"})})
    keyed = with_warehouse_keys(catalog({"a": {"source": "raw_a"}, "b": {"source": "raw_b"}}),
                                stub)
    assert keyed.tables["b"].foreign_keys == {"a_id": "a.id"}


def test_a_reference_outside_the_catalog_is_a_config_error_naming_both_tables():
    stub = StubKeys({"b": (["bid"], {"a_id": "a.id"})})
    with pytest.raises(ConfigError, match="'a' is not in the catalog") as exc:
        with_warehouse_keys(catalog({"b": {}}), stub)
    assert exc.value.table == "b" and exc.value.field == "foreign_keys.a_id"


def test_a_cycle_is_a_config_error_naming_the_tables():
    stub = StubKeys({"a": (["id"], {"b_id": "b.bid"}), "b": (["bid"], {"a_id": "a.id"})})
    with pytest.raises(ConfigError, match="cycle: a -> b -> a.*read from the warehouse"):
        with_warehouse_keys(catalog({"a": {}, "b": {}}), stub)


def test_composite_primary_keys_are_left_undeclared():
    keyed = with_warehouse_keys(catalog({"p": {}}), StubKeys({"p": (["a", "b"], {})}))
    assert keyed.tables["p"].primary_key is None


@pytest.mark.parametrize("warehouse, field", [
    ({"kind": "postgres", "path": "x.duckdb"}, "warehouse.path"),
    ({"kind": "postgres", "url_env": "postgresql://u:hunter2@h/db"}, "warehouse.url_env"),
    ({"kind": "postgres", "target_url_env": "not a name"}, "warehouse.target_url_env"),
    ({"kind": "duckdb", "url_env": "X"}, "warehouse.url_env"),
    ({"kind": "oracle"}, "warehouse.kind"),
    ({"source_schema": "main", "target_schema": "main"}, "warehouse.source_schema"),
    ({"kind": "postgres", "target_schema": "bad-name"}, "warehouse.target_schema"),
])
def test_warehouse_config_errors_name_the_field(warehouse, field):
    with pytest.raises(ConfigError) as exc:
        catalog({"t": {}}, **warehouse)
    assert exc.value.field == field
    assert "hunter2" not in str(exc.value)


def test_postgres_needs_its_environment_variable(monkeypatch):
    monkeypatch.delenv("TABLETWIN_WAREHOUSE_URL", raising=False)
    cat = catalog({"t": {}}, kind="postgres")
    with pytest.raises(ConfigError, match="TABLETWIN_WAREHOUSE_URL") as exc:
        open_warehouse(cat)
    assert exc.value.field == "warehouse.url_env"


def test_postgres_catalog_builds_postgres_resources_and_kinds(tmp_path, monkeypatch):
    from dagster import EnvVar

    from pipelines.build import build_definitions, build_resources
    from resources import PostgresWarehouseResource

    data = yaml.safe_load((ROOT / "tabletwin.yaml").read_text())
    data["warehouse"] = {"kind": "postgres", "source_schema": "main", "target_schema": "syn",
                         "read_keys": False}
    cat = parse_catalog(data, str(tmp_path / "tabletwin.yaml"))
    monkeypatch.setenv("TABLETWIN_WAREHOUSE_URL", "postgresql+psycopg://u:hunter2@127.0.0.1:1/x")
    res = build_resources(cat)["warehouse"]
    assert isinstance(res, PostgresWarehouseResource)
    assert res.url == EnvVar("TABLETWIN_WAREHOUSE_URL")  # the name, never the value
    live = res.process_config_and_initialize().get()  # EnvVar resolved, as in a run
    assert "hunter2" not in repr(res) and "hunter2" not in repr(live) and "***" in repr(live)
    defs = build_definitions(cat)
    for stage, kinds in (("source_table", {"postgres", "pandas"}), ("published_table",
                                                                    {"postgres"})):
        spec = next(iter(defs.resolve_assets_def(AssetKey(["customers", stage])).specs))
        assert set(spec.kinds) == kinds
    duck = parse_catalog(yaml.safe_load((ROOT / "tabletwin.yaml").read_text()), "x.yaml")
    spec = next(iter(build_definitions(duck).resolve_assets_def(
        AssetKey(["customers", "published_table"])).specs))
    assert set(spec.kinds) == {"duckdb"}
