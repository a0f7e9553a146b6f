"""The public Python API (tabletwin.api): each function on small generated frames, determinism by
seed, errors that name what is wrong, and the README's notebook example run as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tabletwin as tt
from tabletwin.errors import ConfigError, InputError

README = Path(__file__).resolve().parents[3] / "README.md"
KEY = b"api-test-key-0123456789abcdef"


def people(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A PII column (emails), a numeric and a categorical column."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "email": [f"person{seed}_{i}@example.org" for i in range(n)],
        "income": rng.gamma(2.0, 900.0, n).round(2),
        "segment": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
    })


def test_scan_finds_the_pii_column_and_takes_catalog_pins():
    df = people()
    plan = tt.scan(df, table="people")
    assert plan.pii_columns == ["email"]
    pinned = tt.scan(df, table="people", columns={"email": {"pii": False}})
    assert pinned.pii_columns == []
    assert tt.scan(df, columns={"email": {"action": "drop"}})["email"].action == "drop"


def test_scan_unknown_override_column_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"table 'people'.*'nope' is not in the table"):
        tt.scan(people(), table="people", columns={"nope": {"pii": False}})
    with pytest.raises(ConfigError, match="unknown entity"):
        tt.scan(people(), columns={"email": {"entity": "NOT_AN_ENTITY"}})


def test_synthesize_masks_fits_samples_and_scores():
    df = people()
    res = tt.synthesize(df, rows=250, seed=3, table="people", key=KEY)
    assert len(res.synthetic) == 250
    assert list(res.synthetic.columns) == list(df.columns)
    assert res.plan.pii_columns == ["email"]
    # fresh fakes, never a source email
    assert not res.synthetic["email"].isin(set(df["email"])).any()
    assert res.passed == (not res.failed_checks)
    assert res.report.rows_actual == 250


def test_synthesize_is_deterministic_by_seed():
    df = people()
    a = tt.synthesize(df, seed=5, key=KEY).synthetic
    b = tt.synthesize(df, seed=5, key=KEY).synthetic
    c = tt.synthesize(df, seed=6, key=KEY).synthetic
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_synthesize_takes_a_table_mapping_and_reports_bad_settings():
    df = people()
    res = tt.synthesize(df, seed=0, key=KEY, table={"name": "p", "rows": 120,
                                                    "columns": {"segment": {"pii": False}}})
    assert len(res.synthetic) == 120 and res.report.table == "p"
    with pytest.raises(ConfigError, match=r"table 'p'.*field 'rows'"):
        tt.synthesize(df, key=KEY, table={"name": "p", "rows": -1})
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        tt.synthesize([1, 2, 3], key=KEY)


def test_synthesize_without_key_uses_the_environment_key(monkeypatch):
    """No key in code: the CLI's source (env var) is used, so pseudonyms follow it."""
    df = people().assign(customer_id=[f"C{i:05d}" for i in range(300)])
    cfg = {"name": "p", "columns": {"customer_id": {"entity": "ID", "action": "pseudonymize"}}}
    monkeypatch.setenv("TABLETWIN_PSEUDONYM_KEY", "first-secret")
    a = tt.synthesize(df, seed=0, table=cfg).masked["customer_id"]
    b = tt.synthesize(df, seed=0, table=cfg, key="first-secret").masked["customer_id"]
    monkeypatch.setenv("TABLETWIN_PSEUDONYM_KEY", "second-secret")
    c = tt.synthesize(df, seed=0, table=cfg).masked["customer_id"]
    pd.testing.assert_series_equal(a, b)
    assert not a.equals(c)
    with pytest.raises(ConfigError, match="key is empty"):
        tt.synthesize(df, key=b"")


def family(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    parents = people(200, seed).assign(customer_id=np.arange(1, 201))
    orders = pd.DataFrame({"order_id": np.arange(1, 801),
                           "customer_id": rng.integers(1, 201, 800),
                           "amount": rng.gamma(2.0, 30.0, 800).round(2)})
    return {"customers": parents, "orders": orders}


def test_synthesize_related_draws_children_from_synthetic_parents():
    tables = family()
    out = tt.synthesize_related(tables, seed=0, key=KEY,
                                catalog={"orders": {"primary_key": "order_id"}},
                                keys={"orders.customer_id": "customers.customer_id"})
    assert list(out) == ["customers", "orders"]  # parents first
    parent, child = out["customers"].synthetic, out["orders"].synthetic
    # every synthetic child points at a synthetic parent, none at a real key's row by accident
    assert child["customer_id"].isin(set(parent["customer_id"])).all()
    rel = out["orders"].report.relations
    assert [r.column for r in rel] == ["customer_id"] and rel[0].orphans == 0
    orphan = next(o for o in out["orders"].report.outcomes() if o.name == "no_orphan_keys")
    assert orphan.status == "passed" and orphan.value == 0
    again = tt.synthesize_related(tables, seed=0, key=KEY,
                                  catalog={"orders": {"primary_key": "order_id"}},
                                  keys={"orders.customer_id": "customers.customer_id"})
    pd.testing.assert_frame_equal(again["orders"].synthetic, child)


def test_synthesize_related_child_without_its_parent_is_an_error():
    tables = family()
    with pytest.raises(InputError, match=r"table 'orders', column 'customer_id'.*'customers'"):
        tt.synthesize_related({"orders": tables["orders"]}, key=KEY, catalog={
            "orders": {"foreign_keys": {"customer_id": "customers.customer_id"}}})
    with pytest.raises(ConfigError, match="not among the tables given"):
        tt.synthesize_related({"orders": tables["orders"]}, key=KEY,
                              keys={"orders.customer_id": "customers.customer_id"})
    with pytest.raises(ConfigError, match=r"'nope' is not in source table"):
        tt.synthesize_related(tables, key=KEY, keys={"orders.nope": "customers.customer_id"})


def test_evaluate_scores_two_frames_with_and_without_holdout():
    df = people(400)
    train, holdout = df.iloc[:300], df.iloc[300:]
    synthetic = tt.synthesize(train, seed=1, key=KEY).synthetic
    ev = tt.evaluate(train, synthetic, holdout=holdout, key=KEY)
    states = {o.name: o.status for o in ev.report.outcomes()}
    assert states["no_pii_in_synthetic"] == "passed"
    assert ev.report.holdout_rows == 100 and ev.report.distances is not None
    assert ev.passed == (not ev.failed_checks)
    # without a holdout the privacy-by-distance checks say they did not measure, never pass
    bare = tt.evaluate(train, synthetic, key=KEY)
    dcr = [o for o in bare.report.outcomes() if o.name == "not_closer_to_training"]
    assert dcr and dcr[0].status == "not_measured"
    assert "holdout" in dcr[0].details.get("note", "")
    # a copied source email is a leak the gate catches
    leaked = synthetic.copy()
    leaked.loc[0, "email"] = train["email"].iloc[0]
    caught = tt.evaluate(train, leaked, holdout=holdout, key=KEY)
    assert "no_pii_in_synthetic" in caught.failed_checks


def test_evaluate_mismatched_columns_name_the_column():
    df = people()
    with pytest.raises(InputError, match=r"column 'income'.*missing from synthetic"):
        tt.evaluate(df, df.drop(columns="income"), key=KEY)
    with pytest.raises(InputError, match=r"column 'extra'.*in holdout but not in real"):
        tt.evaluate(df, df, holdout=df.assign(extra=1), key=KEY)


def test_write_report_writes_html_and_json_without_pii_values(tmp_path):
    df = people()
    res = tt.synthesize(df, seed=0, key=KEY, table="people")
    page = tt.write_report(res, tmp_path / "out" / "people.html")
    assert page == tmp_path / "out" / "people.html" and page.is_file()
    data = json.loads(page.with_suffix(".json").read_text())
    assert data["table"] == "people" and data["passed"] == res.passed
    html = page.read_text()
    for value in list(df["email"]) + list(res.synthetic["email"]):
        assert value not in html and value not in page.with_suffix(".json").read_text()
    assert tt.write_report(res, tmp_path / "folder") == tmp_path / "folder" / "people.html"
    assert not list((tmp_path / "out").glob(".*tmp"))  # atomic writes leave no partial file
    with pytest.raises(InputError, match="must end in .html"):
        tt.write_report(res, tmp_path / "people.txt")
    with pytest.raises(InputError, match="result of synthesize"):
        tt.write_report(res.report, tmp_path / "x.html")


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    """The README's notebook example, extracted and run as written (in a temp folder)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md#python-api", "exec"), {})
    out = capsys.readouterr().out
    assert "['email']" in out
    assert (tmp_path / "reports" / "customers.html").is_file()
    assert (tmp_path / "reports" / "customers.json").is_file()


def test_lazy_reexports_are_the_api_functions():
    from tabletwin import api

    assert tt.scan is api.scan and tt.synthesize_related is api.synthesize_related
    with pytest.raises(AttributeError):
        tt.not_a_function  # noqa: B018
