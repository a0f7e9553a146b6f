"""no_rare_values_copied: rare training values in synthetic cells, against the holdout's chance rate."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest

from tabletwin.metrics.rare_values import RareValueCounter, cell_keys, rare_value_copies


def frames(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "name": [f"Person{i:05d}" for i in range(n)],            # unique: every value rare
        "age": rng.integers(18, 80, n),                           # small domain: chance matches
        "segment": rng.choice(["a", "b", "c"], n),                # nothing rare
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "price": [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 10**5, n)],
    })
    return df.iloc[: n * 4 // 5].reset_index(drop=True), df.iloc[n * 4 // 5:].reset_index(drop=True)


def fresh(n: int, seed: int) -> pd.DataFrame:
    """Rows from the same distribution as frames(), none of them copied."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "name": [f"Other{i:05d}" for i in range(n)],
        "age": rng.integers(18, 80, n),
        "segment": rng.choice(["a", "b", "c"], n),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
        "price": [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 10**5, n)],
    })


def test_fresh_rows_pass_and_small_domains_are_chance():
    train, hold = frames()
    r = rare_value_copies(train, hold, fresh(1600, 1))
    assert r.measured and r.failing(0.0) == []
    assert r.columns["name"].synthetic_rare == 0 and r.columns["segment"].synthetic_rare == 0


@pytest.mark.parametrize("column", ["name", "when", "price"])
@pytest.mark.parametrize("share", [1.0, 0.1])
def test_copied_values_fail_in_any_column(column, share):
    train, hold = frames()
    syn = fresh(1600, 2)
    k = int(len(syn) * share)
    syn.loc[: k - 1, column] = train[column].iloc[:k].to_numpy()
    r = rare_value_copies(train, hold, syn)
    assert r.failing(0.0) == [column]
    assert r.columns[column].synthetic_rare >= k


def test_text_is_folded_and_numbers_compare_by_value():
    train, hold = frames()
    syn = fresh(1600, 3)
    syn.loc[:199, "name"] = ["  " + v.upper() for v in train["name"].iloc[:200]]
    assert "name" in rare_value_copies(train, hold, syn).failing(0.0)
    assert (cell_keys(pd.Series([1, 2])) == cell_keys(pd.Series([1.0, 2.0]))).all()
    assert (cell_keys(pd.Series([decimal.Decimal("1.50")])) == cell_keys(pd.Series([1.5]))).all()
    utc = pd.Series(pd.to_datetime(["2024-01-01 12:00"]).tz_localize("UTC"))
    assert (cell_keys(utc) == cell_keys(utc.dt.tz_convert("Europe/Prague"))).all()


def test_no_holdout_is_not_measured():
    train, _ = frames()
    r = rare_value_copies(train, train.iloc[:0], fresh(100, 4))
    assert not r.measured and r.failing(0.0) == []


def test_streamed_counts_equal_in_memory():
    train, hold = frames()
    syn = fresh(1600, 5)
    syn.loc[:99, "name"] = train["name"].iloc[:100].to_numpy()
    counter = RareValueCounter(train, hold)
    for start in range(0, len(syn), 300):
        counter.add(syn.iloc[start:start + 300])
    assert counter.result() == rare_value_copies(train, hold, syn)


def test_details_hold_no_value():
    train, hold = frames()
    syn = fresh(1600, 6)
    syn.loc[:99, "name"] = train["name"].iloc[:100].to_numpy()
    text = repr(rare_value_copies(train, hold, syn).details(0.0))
    assert "Person" not in text and "name" in text
