"""Catalog loading: valid files parse; wrong config fails naming file, table and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tabletwin.config.loader import check_columns, load_catalog, parse_catalog
from tabletwin.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]  # tests/unit/config/ -> the project


def test_project_catalog_loads_parents_first():
    cat = load_catalog(ROOT / "tabletwin.yaml")
    order = cat.ordered_tables()
    assert set(order) == {"customers", "accounts", "transactions", "support_tickets"}
    assert order.index("customers") < order.index("accounts") < order.index("transactions")
    assert cat.table("accounts").parent_of("customer_id") == ("customers", "customer_id")
    assert cat.resolve(cat.warehouse.path) == ROOT / "data" / "demo_warehouse.duckdb"


BASE = {"tables": {"a": {"primary_key": "id"}, "b": {"primary_key": "id",
                                                      "foreign_keys": {"a_id": "a.id"}}}}


@pytest.mark.parametrize("mutate, table, field", [
    (lambda d: d["tables"]["a"].update(checks={"fidelity_min": 1.5}), "a", "checks.fidelity_min"),
    (lambda d: d["tables"]["a"].update(rows=0), "a", "rows"),
    (lambda d: d["tables"]["a"].update(colums={}), "a", "colums"),
    (lambda d: d["tables"]["a"].update(columns={"x": {"entity": "NOPE"}}), "a", "columns.x.entity"),
    (lambda d: d["tables"]["a"].update(columns={"x": {"action": "burn"}}), "a", "columns.x.action"),
    (lambda d: d["tables"]["b"].update(foreign_keys={"a_id": "zz.id"}), "b", "foreign_keys.a_id"),
    (lambda d: d["tables"]["b"].update(foreign_keys={"a_id": "a.other"}), "b", "foreign_keys.a_id"),
    (lambda d: d["tables"]["b"].update(foreign_keys={"a_id": "nodot"}), "b", "foreign_keys"),
])
def test_bad_config_names_file_table_field(tmp_path, mutate, table, field):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    mutate(data)
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as exc:
        load_catalog(path)
    msg = str(exc.value)
    assert "cat.yaml" in msg and repr(table) in msg and field in msg


def test_cycle_is_reported(tmp_path):
    data = {"tables": {"a": {"primary_key": "id", "foreign_keys": {"b_id": "b.id"}},
                       "b": {"primary_key": "id", "foreign_keys": {"a_id": "a.id"}}}}
    with pytest.raises(ConfigError, match="cycle"):
        parse_catalog(data, "x.yaml")


@pytest.mark.parametrize("text", ["", "tables: []", "tables: {}", "- 1\n- 2", "tables: {a: {"])
def test_malformed_files(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="c.yaml"):
        load_catalog(path)


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        load_catalog("/nonexistent/tabletwin.yaml")


def test_unknown_column_named():
    cat = parse_catalog({"tables": {"a": {"primary_key": "id", "columns": {"nme": {"pii": False}}}}},
                        "c.yaml")
    check_columns(cat, "a", ["id", "nme"])
    with pytest.raises(ConfigError) as exc:
        check_columns(cat, "a", ["id", "name"])
    assert "'nme'" in str(exc.value) and "columns.nme" in str(exc.value)
    with pytest.raises(ConfigError, match="no such table"):
        cat.table("zzz")


def test_recognizer_files_must_exist(tmp_path):
    (tmp_path / "rules.yaml").write_text("recognizers: []\n")
    ok = {"recognizers": ["rules.yaml"], "tables": {"a": {}}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(ok))
    assert load_catalog(path).recognizers == ["rules.yaml"]
    path.write_text(yaml.safe_dump({**ok, "recognizers": ["missing.yaml"]}))
    with pytest.raises(ConfigError, match="recognizers"):
        load_catalog(path)
