"""The fit/holdout split follows the rows, not the day (tabletwin.config.roles.split_source): a
model fitted on an earlier day and reused never saw a row of today's holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.catalog import TableConfig
from tabletwin.config.roles import split_source
from tabletwin.metrics.privacy import holdout_rows


def frame(n=2000, start=0, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(start, start + n), "x": rng.normal(size=n),
                         "kind": rng.choice(list("abc"), n)})


@pytest.mark.parametrize("key", ["id", None])
def test_a_row_stays_on_its_side_when_the_table_changes(key):
    table = TableConfig(name="t", primary_key=key)
    day1 = frame()
    fit1, hold1 = split_source(day1, table)
    # the next day: 5% new rows, 2% deleted, shuffled
    day2 = pd.concat([day1.iloc[40:], frame(100, start=10_000, seed=1)]).sample(
        frac=1, random_state=3).reset_index(drop=True)
    fit2, hold2 = split_source(day2, table)
    assert not set(hold2["id"]) & set(fit1["id"])  # nothing the day-1 model learned is held out
    assert set(hold1["id"]) & set(day2["id"]) <= set(hold2["id"])
    assert 0.15 < len(hold2) / len(day2) < 0.25


def test_the_raw_rows_split_as_their_masked_rows():
    table = TableConfig(name="t")  # no key: each row's values decide
    raw = frame().assign(name=[f"person {i}" for i in range(2000)])
    masked = raw.assign(name=[f"fake {i % 7}" for i in range(2000)])
    _, hold_masked = split_source(masked, table)
    _, hold_raw = split_source(raw, table, identity=masked)
    assert hold_raw["id"].tolist() == hold_masked["id"].tolist()


def test_tables_name_the_split_and_tiny_tables_keep_both_sides():
    a = holdout_rows(frame(), 0.2, by=["id"], salt="orders")
    b = holdout_rows(frame(), 0.2, by=["id"], salt="customers")
    assert (a != b).any()  # another table's holdout is another draw
    tiny = holdout_rows(frame(2), 0.01, by=["id"])
    assert tiny.sum() == 1
    assert not holdout_rows(frame(50), 0.0).any()
    with pytest.raises(ValueError):
        holdout_rows(frame(), 1.0)
