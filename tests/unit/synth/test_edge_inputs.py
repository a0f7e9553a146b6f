"""Bad or unusual input gives correct output or a clear error naming the table and column."""

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.catalog import TableConfig
from tabletwin.errors import InputError
from tabletwin.chain.memory import synth_frame
from tabletwin.seeds import stable_seed
from tabletwin.config.roles import split_source

KEY = b"edge-test-key"


def base(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n)})


CASES = {
    "all_null": lambda df: df.assign(z=pd.Series([None] * len(df), dtype=object)),
    "constant": lambda df: df.assign(z=7),
    "mixed_types": lambda df: df.assign(z=[1 if i % 2 else "one" for i in range(len(df))]),
    "unicode": lambda df: df.assign(z=np.resize(["Zoë", "Łódź", "東京", "naïve ☃"], len(df))),
    "many_levels": lambda df: df.assign(z=[f"lvl{i % 5000}" for i in range(len(df))]),
    "dates_tz": lambda df: df.assign(z=pd.date_range("2024-01-01", periods=len(df), freq="h",
                                                       tz="America/New_York")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unusual_columns_give_correct_output(case):
    df = CASES[case](base(6000 if case == "many_levels" else 300))
    res = synth_frame(df, TableConfig(name=f"edge_{case}"), rows=200, seed=1, key=KEY)
    syn = res.synthetic
    assert list(syn.columns) == list(df.columns) and len(syn) == 200
    if "z" in df:
        if df["z"].isna().all():
            assert syn["z"].isna().all()
        else:
            if case == "many_levels":  # every level is rare: fresh codes of the same shape
                table = TableConfig(name=f"edge_{case}")  # the rows the generator learned from:
                fit_part = split_source(df, table)[0]
                counts = fit_part["z"].value_counts()
                assert not syn["z"].isin(set(counts[counts < 5].index)).any()
                assert syn["z"].str.fullmatch(r"lvl\d{1,6}").mean() > 0.9
            else:
                assert syn["z"].dropna().isin(set(df["z"])).all() or case == "dates_tz"
            assert str(syn["z"].dtype) == str(df["z"].dtype)
    assert res.report.pii_leaks == {} or sum(res.report.pii_leaks.values()) == 0


@pytest.mark.parametrize("rows", [1, 5])
def test_tiny_table_is_refused_not_copied(rows):
    with pytest.raises(InputError, match="'edge_tiny'.*at least"):
        synth_frame(base().head(rows), TableConfig(name="edge_tiny"), key=KEY)


def test_empty_table_names_the_table():
    with pytest.raises(InputError, match="'edge_empty'"):
        synth_frame(base().head(0), TableConfig(name="edge_empty"), key=KEY)


def test_infinite_values_name_the_column():
    df = base().assign(bad=np.r_[np.inf, np.arange(299.0)])
    with pytest.raises(Exception) as exc:
        synth_frame(df, TableConfig(name="edge_inf"), key=KEY)
    assert "'edge_inf'" in str(exc.value) and "'bad'" in str(exc.value)
