"""Constraints from the catalog: parsed strictly, honoured on every synthetic row, counted by the gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.loader import parse_catalog, check_columns
from tabletwin.synth.constraints import ConstraintStep, violations
from tabletwin.synth.pipeline import Pipeline
from tabletwin.synth.formula import evaluate_formula
from tabletwin.errors import ConfigError
from tabletwin.synth.generators import TableMeta, make_generator

CONSTRAINTS = [
    {"kind": "inequality", "low": "signup_at", "high": "opened_at"},
    {"kind": "inequality", "low": "opened_at", "high": "closed_at"},   # a chain
    {"kind": "inequality", "low": "min_temp", "high": "max_temp", "strict": True},
    {"kind": "range", "column": "balance", "min": 0, "max": 50000},
    {"kind": "range", "column": "signup_at", "min": "2019-01-01"},
    {"kind": "formula", "column": "total", "expression": "price * quantity"},
    {"kind": "formula", "column": "net", "expression": "(price - discount) * quantity"},
]


def orders(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signup = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), "D")
    opened = signup + pd.to_timedelta(rng.integers(0, 400, n), "D")
    closed = opened + pd.to_timedelta(rng.integers(1, 900, n), "D")
    closed = pd.Series(closed).where(rng.random(n) > 0.3)  # open accounts: no closing date
    price = np.round(rng.lognormal(3, 0.8, n), 2)
    qty = rng.integers(1, 12, n)
    disc = np.round(price * rng.uniform(0, 0.3, n), 2)
    low = np.round(rng.normal(10, 6, n), 1)
    return pd.DataFrame({
        "signup_at": signup, "opened_at": opened, "closed_at": closed,
        "price": price, "quantity": qty.astype("int64"), "discount": disc,
        "total": np.round(price * qty, 2), "net": np.round((price - disc) * qty, 2),
        "min_temp": low, "max_temp": np.round(low + 0.1 + rng.gamma(2, 3, n), 1),
        "balance": np.round(rng.normal(20000, 15000, n).clip(0, 50000), 2),
        "segment": rng.choice(["a", "b", "c"], n),
    })


def table_config(constraints=CONSTRAINTS, **extra):
    cat = parse_catalog({"tables": {"orders": {"primary_key": "id", "constraints": constraints,
                                               **extra}}})
    return cat, cat.table("orders")


@pytest.mark.parametrize("name", ["gaussian_copula", "sequential_tree", "auto"])
def test_every_constraint_holds_on_every_row(name):
    df = orders()
    assert sum(violations(df, table_config()[1].constraints).values()) == 0  # consistent source
    gen = Pipeline(make_generator(name), [ConstraintStep(table_config()[1].constraints)])
    out = gen.fit(df, TableMeta(table="orders"), seed=0).sample(5000, seed=1)
    assert list(out.columns) == list(df.columns)
    for c in df.columns:
        assert str(out[c].dtype) == str(df[c].dtype), c
    bad = violations(out, table_config()[1].constraints)
    assert len(bad) == len(CONSTRAINTS)
    assert sum(bad.values()) == 0, bad
    # derived columns follow their formula exactly (to the cent)
    assert np.allclose(out["total"], (out["price"] * out["quantity"]).round(2), atol=0.005)
    # the chain and the nulls of its last member are kept
    assert (out["opened_at"] >= out["signup_at"]).all()
    assert out["closed_at"].isna().mean() == pytest.approx(df["closed_at"].isna().mean(), abs=0.03)
    assert ((out["closed_at"] >= out["opened_at"]) | out["closed_at"].isna()).all()
    assert (out["max_temp"] > out["min_temp"]).all()
    assert out["balance"].between(0, 50000).all()
    assert (out["signup_at"] >= pd.Timestamp("2019-01-01")).all()
    # dates stay dates (no time of day introduced by the gap arithmetic)
    assert (out["opened_at"].dt.normalize() == out["opened_at"]).all()


def test_gaps_keep_their_distribution():
    df = orders()
    gen = Pipeline(make_generator("sequential_tree"),
                   [ConstraintStep(table_config()[1].constraints)])
    out = gen.fit(df, seed=0).sample(4000, seed=2)
    real = (df["opened_at"] - df["signup_at"]).dt.days
    syn = (out["opened_at"] - out["signup_at"]).dt.days
    assert abs(real.median() - syn.median()) < 25
    assert syn.max() <= real.max()


def test_tz_aware_inequality():
    rng = np.random.default_rng(3)
    n = 1500
    start = pd.Timestamp("2024-01-01", tz="Europe/Prague") + pd.to_timedelta(
        rng.integers(0, 10**7, n), "s")
    df = pd.DataFrame({"start": start, "end": start + pd.to_timedelta(rng.integers(0, 10**5, n), "s")})
    cons = table_config([{"kind": "inequality", "low": "start", "high": "end"}])[1].constraints
    gen = Pipeline(make_generator("gaussian_copula"), [ConstraintStep(cons)])
    out = gen.fit(df).sample(2000, seed=1)
    assert str(out["end"].dtype) == str(df["end"].dtype)
    assert (out["end"] >= out["start"]).all()


def test_violations_count_broken_rows():
    df = orders(200)
    cons = table_config()[1].constraints
    broken = df.copy()
    broken.loc[:9, "opened_at"] = broken.loc[:9, "signup_at"] - pd.Timedelta(days=1)
    broken.loc[:4, "total"] += 1.0
    broken.loc[:2, "balance"] = -5.0
    bad = violations(broken, cons)
    assert bad["opened_at >= signup_at"] == 10
    assert bad["total = price * quantity"] == 5
    assert bad["balance in [0.0, 50000.0]"] == 3
    assert sum(violations(df, cons).values()) == 0


def test_formula_is_arithmetic_only():
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, None]})
    assert evaluate_formula("a * b + 1", df).tolist()[0] == 4.0
    assert pd.isna(evaluate_formula("a * b", df).iloc[1])


@pytest.mark.parametrize("constraint, message", [
    ({"kind": "formula", "column": "t", "expression": "__import__('os').system('x')"}, "only column"),
    ({"kind": "formula", "column": "t", "expression": "t * 2"}, "its own column"),
    ({"kind": "range", "column": "x"}, "min, max or both"),
    ({"kind": "range", "column": "x", "min": 5, "max": 1}, "above max"),
    ({"kind": "range", "column": "x", "min": "not a date"}, "ISO dates"),
    ({"kind": "inequality", "low": "x", "high": "x"}, "same column"),
    ({"kind": "inequality", "low": "id", "high": "x"}, "keys are generated fresh"),
    ({"kind": "between", "column": "x"}, "kind"),
])
def test_bad_constraints_fail_at_load_naming_the_table(constraint, message):
    with pytest.raises(ConfigError, match=message) as err:
        table_config([constraint])
    assert "orders" in str(err.value)


def test_inequality_cycles_and_double_uppers_are_rejected():
    with pytest.raises(ConfigError, match="cycle"):
        table_config([{"kind": "inequality", "low": "a", "high": "b"},
                      {"kind": "inequality", "low": "b", "high": "a"}])
    with pytest.raises(ConfigError, match="upper side of two"):
        table_config([{"kind": "inequality", "low": "a", "high": "c"},
                      {"kind": "inequality", "low": "b", "high": "c"}])
    with pytest.raises(ConfigError, match="derived"):
        table_config([{"kind": "formula", "column": "t", "expression": "a * b"},
                      {"kind": "range", "column": "t", "min": 0}])


def test_constraint_on_a_missing_column_names_the_field():
    cat, _ = table_config([{"kind": "range", "column": "balance", "min": 0}])
    with pytest.raises(ConfigError, match=r"constraints\[0\]") as err:
        check_columns(cat, "orders", ["id", "amount"])
    assert "balance" in str(err.value)
