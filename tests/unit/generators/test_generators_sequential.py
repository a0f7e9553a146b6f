"""The sequential tree generator: dtypes round-trip, nulls keep their rate, seeds repeat, dependence is
kept, rows are not copied, edge cases work, and it is a registered, persistable generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import GeneratorError, InputError
from tabletwin.synth.generators import REGISTRY, Generator, SequentialTree, make_generator
from tabletwin.synth.generators.base import TableMeta


def mixed_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    segment = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    bonus = {"a": 0.0, "b": 15000.0, "c": 40000.0}
    income = np.round(20000 + age * 900 + pd.Series(segment).map(bonus).to_numpy()
                      + rng.normal(0, 8000, n), 2)
    df = pd.DataFrame({
        "age": age.astype("int64"),
        "income": income,
        "score": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(300, 850, n)),
                          dtype="Int32"),
        "segment": segment,
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
    return df, SequentialTree().fit(df, seed=0)


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
    assert str(out["seen_at"].dt.tz) == "Europe/Prague"
    assert np.allclose(out["income"], out["income"].round(2))  # floats keep their precision
    assert set(out["segment"].dropna()) <= {"a", "b", "c"}
    # every level of "many" is rare (3,000 rows over 5,000 codes): fresh codes of the same shape,
    # never a source value
    counts = df["many"].value_counts()
    assert not out["many"].isin(set(counts[counts < 5].index)).any()
    assert out["many"].str.fullmatch(r"cat\d{1,6}").mean() > 0.95


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
    # refitting with the same seed gives the same model
    df = mixed_frame(800)
    pd.testing.assert_frame_equal(SequentialTree().fit(df, seed=3).sample(300, seed=1),
                                  SequentialTree().fit(df, seed=3).sample(300, seed=1))


def test_dependence_is_kept(fitted):
    df, gen = fitted
    out = gen.sample(5000, seed=3)
    real = np.corrcoef(df["age"], df["income"])[0, 1]
    syn = np.corrcoef(out["age"], out["income"])[0, 1]
    assert abs(real - syn) < 0.1
    # categorical -> numeric: the income gap between segments survives
    gap_real = df.groupby("segment")["income"].mean()
    gap_syn = out.groupby("segment")["income"].mean()
    assert gap_syn["c"] - gap_syn["a"] > 0.7 * (gap_real["c"] - gap_real["a"])


def test_values_stay_inside_protected_range(fitted):
    df, gen = fitted
    out = gen.sample(20000, seed=4)
    xs = np.sort(df["income"].to_numpy())
    assert out["income"].min() >= xs[5] and out["income"].max() <= xs[-6]


def test_rare_categories_are_not_emitted():
    rng = np.random.default_rng(0)
    n = 2000
    cat = rng.choice(["x", "y", "z"], n).astype(object)
    cat[:3] = ["only-one", "only-two", "only-two"]  # seen fewer than rare_k = 5 times
    df = pd.DataFrame({"cat": cat, "v": rng.normal(size=n)})
    out = SequentialTree().fit(df).sample(20000, seed=0)
    assert set(out["cat"]) == {"x", "y", "z"}


def test_rows_are_not_copied():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": np.round(x, 5), "y": np.round(0.8 * x + rng.normal(0, 0.6, n), 5),
                       "z": np.round(rng.gamma(2.0, 10.0, n), 2)})
    out = SequentialTree().fit(df).sample(3000, seed=0)
    identical = out.merge(df.drop_duplicates(), how="inner")
    assert len(identical) / len(out) < 0.01
    assert out["x"].isin(set(df["x"])).mean() < 0.5  # values are interpolated, not copied


@pytest.mark.parametrize("rows", [1, 5, 11])
def test_tiny_table_is_refused_not_copied(rows):
    df = pd.DataFrame({"a": range(rows), "b": [f"name{i}" for i in range(rows)],
                       "c": [2.5 + i for i in range(rows)]})
    with pytest.raises(InputError, match="at least 12"):
        SequentialTree().fit(df, TableMeta(table="tiny"))


def test_chunked_sampling_and_sizes():
    df = mixed_frame(500)
    gen = SequentialTree(chunk_rows=300).fit(df)
    assert len(gen.sample(1000, seed=0)) == 1000
    empty = gen.sample(0, seed=0)
    assert len(empty) == 0 and list(empty.columns) == list(df.columns)


def test_errors_are_clear():
    with pytest.raises(InputError, match="empty"):
        SequentialTree().fit(pd.DataFrame({"a": []}))
    with pytest.raises(GeneratorError, match="not fitted"):
        SequentialTree().sample(3)
    with pytest.raises(GeneratorError, match="'bad'"):
        SequentialTree().fit(pd.DataFrame({"bad": [[1], [2]] * 10}))
    with pytest.raises(GeneratorError, match="min_samples_leaf"):
        SequentialTree(min_samples_leaf=0).fit(pd.DataFrame({"a": [1, 2]}))


def test_registry_and_save_load(tmp_path):
    assert REGISTRY["sequential_tree"] is SequentialTree
    gen = make_generator("sequential_tree", {"min_samples_leaf": 25})
    assert gen.get_params()["min_samples_leaf"] == 25
    assert not any(k.endswith("_") for k in vars(gen))  # __init__ stores parameters only
    df = mixed_frame(400)
    gen.fit(df)
    gen.save(tmp_path / "g.pkl")
    again = Generator.load(tmp_path / "g.pkl")
    pd.testing.assert_frame_equal(gen.sample(50, seed=1), again.sample(50, seed=1))
