"""The Gaussian copula: dtypes round-trip, nulls keep their rate, seeds repeat, edge cases work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import ConfigError, GeneratorError, InputError
from tabletwin.synth.generators import REGISTRY, GaussianCopula, Generator, make_generator
from tabletwin.synth.generators.base import TableMeta


def mixed_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    income = np.round(20000 + age * 900 + rng.normal(0, 8000, n), 2)
    df = pd.DataFrame({
        "age": age.astype("int64"),
        "income": income,
        "score": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(300, 850, n)),
                          dtype="Int32"),
        "segment": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        "flag": rng.random(n) < 0.2,
        "joined": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), "D"),
        "seen_at": pd.Timestamp("2024-01-01", tz="Europe/Prague")
        + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
        "zip": [f"{z:05d}" for z in rng.integers(0, 99999, n)],
        "const": "same",
        "empty": pd.Series([None] * n, dtype=object),
        "many": [f"cat{v}" for v in rng.integers(0, 5000, n)],
    })
    df.loc[rng.random(n) < 0.05, "segment"] = None
    return df


@pytest.fixture(scope="module")
def fitted():
    df = mixed_frame()
    return df, GaussianCopula().fit(df)


def test_dtypes_round_trip(fitted):
    df, gen = fitted
    out = gen.sample(2000, seed=1)
    assert list(out.columns) == list(df.columns)
    for c in df.columns:
        assert str(out[c].dtype) == str(df[c].dtype), c
    assert out["zip"].str.fullmatch(r"\d{5}").all()
    assert (out["const"] == "same").all()
    assert out["empty"].isna().all()
    assert out["joined"].dt.normalize().eq(out["joined"]).all()  # dates stay dates


def test_null_rates_within_one_point(fitted):
    df, gen = fitted
    out = gen.sample(20000, seed=2)
    for c in ("score", "segment"):
        assert abs(out[c].isna().mean() - df[c].isna().mean()) < 0.01, c


def test_same_seed_same_rows_other_seed_differs(fitted):
    _, gen = fitted
    a, b, c = gen.sample(500, seed=7), gen.sample(500, seed=7), gen.sample(500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_dependence_is_kept(fitted):
    df, gen = fitted
    out = gen.sample(5000, seed=3)
    real = np.corrcoef(df["age"], df["income"])[0, 1]
    syn = np.corrcoef(out["age"], out["income"])[0, 1]
    assert abs(real - syn) < 0.1


def test_values_stay_inside_protected_range(fitted):
    df, gen = fitted
    out = gen.sample(20000, seed=4)
    xs = np.sort(df["income"].to_numpy())
    assert out["income"].min() >= xs[5] and out["income"].max() <= xs[-6]
    # floats keep their precision (2 decimals)
    assert np.allclose(out["income"], out["income"].round(2))
    # continuous values are interpolated, not copied row by row
    assert out["income"].isin(set(df["income"])).mean() < 0.5


@pytest.mark.parametrize("rows", [1, 5, 11])
def test_tiny_table_is_refused_not_copied(rows):
    df = pd.DataFrame({"a": range(rows), "b": [f"name{i}" for i in range(rows)],
                       "c": [2.5 + i for i in range(rows)]})
    with pytest.raises(InputError, match="at least 12"):
        GaussianCopula().fit(df, TableMeta(table="tiny"))


def test_chunked_sampling_matches_size():
    df = mixed_frame(500)
    gen = GaussianCopula(chunk_rows=300).fit(df)
    assert len(gen.sample(1000, seed=0)) == 1000
    assert len(gen.sample(0, seed=0)) == 0


def test_errors_are_clear():
    with pytest.raises(InputError, match="empty"):
        GaussianCopula().fit(pd.DataFrame({"a": []}))
    with pytest.raises(GeneratorError, match="not fitted"):
        GaussianCopula().sample(3)
    with pytest.raises(GeneratorError, match="'bad'"):
        GaussianCopula().fit(pd.DataFrame({"bad": [[1], [2]] * 10}))
    with pytest.raises(GeneratorError, match="'inf'"):
        GaussianCopula().fit(pd.DataFrame({"inf": [1.0, np.inf] * 20 + list(range(40))}))


def test_registry_and_contract(tmp_path):
    assert REGISTRY["gaussian_copula"] is GaussianCopula
    gen = make_generator("gaussian_copula", {"shrinkage": 0.05})
    assert gen.get_params() == {"shrinkage": 0.05, "chunk_rows": 100_000, "rare_k": 5}
    assert not any(k.endswith("_") for k in vars(gen))  # __init__ stores parameters only
    with pytest.raises(ConfigError, match="unknown generator"):
        make_generator("gan9000")
    with pytest.raises(ConfigError, match="bad parameters"):
        make_generator("gaussian_copula", {"nope": 1})
    df = mixed_frame(300)
    gen.fit(df)
    gen.save(tmp_path / "g.pkl")
    again = Generator.load(tmp_path / "g.pkl")
    pd.testing.assert_frame_equal(gen.sample(50, seed=1), again.sample(50, seed=1))
