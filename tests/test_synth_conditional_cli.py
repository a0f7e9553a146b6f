"""`tabletwin synth --rebalance` and `--seed-table` through the whole in-memory chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.cli import main


@pytest.fixture(scope="module")
def loans(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 20000
    fraud = rng.random(n) < 0.03
    age = rng.integers(18, 80, n)
    amount = np.round(np.exp(rng.normal(4 + 0.4 * fraud + 0.01 * age, 0.8)), 2)
    channel = np.where(fraud, rng.choice(["web", "app", "branch"], n, p=[0.6, 0.3, 0.1]),
                       rng.choice(["web", "app", "branch"], n, p=[0.3, 0.3, 0.4]))
    df = pd.DataFrame({"age": age, "amount": amount, "channel": channel, "is_fraud": fraud})
    path = tmp_path_factory.mktemp("loans") / "loans.parquet"
    df.to_parquet(path, index=False)
    return df, path


def test_rebalance_hits_the_share_and_keeps_the_conditionals(loans, tmp_path, capsys):
    df, path = loans
    out = tmp_path / "syn.parquet"
    assert main(["synth", str(path), "-o", str(out), "--rebalance", "is_fraud=True:0.5",
                 "--rows", "10000"]) == 0
    syn = pd.read_parquet(out)
    assert len(syn) == 10000 and list(syn.columns) == list(df.columns)
    assert syn["is_fraud"].mean() == pytest.approx(0.5, abs=0.01)
    # channel given fraud follows the source
    for v in (True, False):
        real = df.loc[df["is_fraud"] == v, "channel"].value_counts(normalize=True)
        got = syn.loc[syn["is_fraud"] == v, "channel"].value_counts(normalize=True)
        assert (real - got.reindex(real.index, fill_value=0)).abs().max() < 0.05
    assert "rebalanced is_fraud" in capsys.readouterr().out


def test_seed_table_fixes_values(loans, tmp_path):
    df, path = loans
    seeds = pd.DataFrame({"age": np.repeat([20, 70], 500)})
    seed_path = tmp_path / "seeds.csv"
    seeds.to_csv(seed_path, index=False)
    out = tmp_path / "seeded.parquet"
    assert main(["synth", str(path), "-o", str(out), "--seed-table", str(seed_path)]) == 0
    syn = pd.read_parquet(out)
    assert len(syn) == 1000 and syn["age"].tolist() == seeds["age"].tolist()
    # amount rises with age in the source; the seeded rows keep that
    assert syn.loc[syn["age"] == 70, "amount"].median() > syn.loc[syn["age"] == 20, "amount"].median()


def test_bad_rebalance_specs_exit_2(loans, tmp_path):
    _, path = loans
    out = str(tmp_path / "x.parquet")
    assert main(["synth", str(path), "-o", out, "--rebalance", "nope"]) == 2
    assert main(["synth", str(path), "-o", out, "--rebalance", "ghost=a:0.5"]) == 2
    assert main(["synth", str(path), "-o", out, "--rebalance", "is_fraud=True:1.5"]) == 2
