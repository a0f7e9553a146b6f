"""The generator contract, for every registered generator: scikit-learn conventions (``__init__``
stores parameters, ``fit`` returns self, learned state ends in ``_``), dtypes round-trip, nulls keep
their rate, the same seed gives the same rows, dependence is kept, values stay inside the protected
range, rare values are never emitted, rows are not copied, ``conditions`` are honoured, edge cases
give clear errors, and a fitted generator persists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import ConfigError, GeneratorError, InputError
from tabletwin.synth.generators import (REGISTRY, GaussianCopula, Generator, SequentialTree,
                                        make_generator)
from tabletwin.synth.generators.base import TableMeta

NAMES = sorted(REGISTRY)


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


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    df = mixed_frame()
    return df, make_generator(request.param).fit(df, seed=0)


# ---- scikit-learn conventions --------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_learned_state_ends_in_underscore(name):
    gen = make_generator(name)
    params = dict(vars(gen))
    assert not any(k.endswith("_") for k in params)  # __init__ stores parameters only
    assert set(gen.get_params()) == set(params)
    assert gen.fit(mixed_frame(400), seed=0) is gen
    learned = set(vars(gen)) - set(params)
    assert learned and all(k.endswith("_") for k in learned), learned
    assert {k: v for k, v in vars(gen).items() if k in params} == params  # parameters untouched
    assert isinstance(gen.describe(), str) and gen.describe().startswith(name)
    assert set(gen.choice()) == {"reason", "trial_scores"}


@pytest.mark.parametrize("name, params, expected", [
    ("gaussian_copula", {"shrinkage": 0.05},
     {"shrinkage": 0.05, "chunk_rows": 100_000, "rare_k": 5}),
    ("sequential_tree", {"min_samples_leaf": 25}, {"min_samples_leaf": 25}),
    ("auto", {"trial_rows": 1000}, {"trial_rows": 1000}),
])
def test_registry_params_and_save_load(name, params, expected, tmp_path):
    assert set(NAMES) == {"auto", "gaussian_copula", "sequential_tree"}  # a new one: add it here
    assert REGISTRY["gaussian_copula"] is GaussianCopula
    assert REGISTRY["sequential_tree"] is SequentialTree
    gen = make_generator(name, params)
    got = gen.get_params()
    assert (got == expected) if name == "gaussian_copula" else \
        {k: got[k] for k in expected} == expected
    with pytest.raises(ConfigError, match="unknown generator"):
        make_generator("gan9000")
    with pytest.raises(ConfigError, match="bad parameters"):
        make_generator(name, {"nope": 1})
    df = mixed_frame(400)
    gen.fit(df)
    gen.save(tmp_path / "g.pkl")
    again = Generator.load(tmp_path / "g.pkl")
    pd.testing.assert_frame_equal(gen.sample(50, seed=1), again.sample(50, seed=1))


# ---- what the samples look like ------------------------------------------------------------------
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
    pd.testing.assert_frame_equal(make_generator(gen.name).fit(df, seed=3).sample(300, seed=1),
                                  make_generator(gen.name).fit(df, seed=3).sample(300, seed=1))


def test_dependence_is_kept(fitted):
    df, gen = fitted
    out = gen.sample(5000, seed=3)
    real = np.corrcoef(df["age"], df["income"])[0, 1]
    syn = np.corrcoef(out["age"], out["income"])[0, 1]
    assert abs(real - syn) < 0.1
    # categorical -> numeric: the income gap between segments survives (most of it in the tree;
    # the copula, linear in normal scores, keeps about half: auto may choose either here)
    gap_real = df.groupby("segment")["income"].mean()
    gap_syn = out.groupby("segment")["income"].mean()
    kept = 0.7 if gen.name == "sequential_tree" else 0.4
    assert gap_syn["c"] - gap_syn["a"] > kept * (gap_real["c"] - gap_real["a"])


def test_values_stay_inside_protected_range(fitted):
    df, gen = fitted
    out = gen.sample(20000, seed=4)
    xs = np.sort(df["income"].to_numpy())
    assert out["income"].min() >= xs[5] and out["income"].max() <= xs[-6]
    # floats keep their precision (2 decimals)
    assert np.allclose(out["income"], out["income"].round(2))
    # continuous values are interpolated, not copied row by row
    assert out["income"].isin(set(df["income"])).mean() < 0.5


@pytest.mark.parametrize("name", NAMES)
def test_rare_categories_are_not_emitted(name):
    rng = np.random.default_rng(0)
    n = 2000
    cat = rng.choice(["x", "y", "z"], n).astype(object)
    cat[:3] = ["only-one", "only-two", "only-two"]  # seen fewer than rare_k = 5 times
    df = pd.DataFrame({"cat": cat, "v": rng.normal(size=n)})
    gen = make_generator(name).fit(df)
    out = gen.sample(20000, seed=0)
    assert set(out["cat"]) == {"x", "y", "z"}
    # a condition is the caller's value: a model conditioning natively copies it as given; one
    # that conditions by rejection never draws a rare value, so it says so (naming no value)
    try:
        fixed = gen.sample(seed=0, conditions=pd.DataFrame({"cat": ["only-two"] * 3}))
    except GeneratorError as err:
        assert "cat" in str(err) and "only-two" not in str(err)
    else:
        assert (fixed["cat"] == "only-two").all()
    with pytest.raises(GeneratorError, match="cat") as err:  # the copula conditions by rejection
        make_generator("gaussian_copula").fit(df).sample(
            seed=0, conditions=pd.DataFrame({"cat": ["only-two"] * 3}))
    assert "only-two" not in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_rows_are_not_copied(name):
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": np.round(x, 5), "y": np.round(0.8 * x + rng.normal(0, 0.6, n), 5),
                       "z": np.round(rng.gamma(2.0, 10.0, n), 2)})
    out = make_generator(name).fit(df).sample(3000, seed=0)
    identical = out.merge(df.drop_duplicates(), how="inner")
    assert len(identical) / len(out) < 0.01
    assert out["x"].isin(set(df["x"])).mean() < 0.5  # values are interpolated, not copied


# ---- conditions ----------------------------------------------------------------------------------
def test_conditions_are_honoured(fitted):
    df, gen = fitted
    cond = pd.DataFrame({"segment": ["a", "c", None, "b"] * 50, "flag": [True, False] * 100})
    out = gen.sample(seed=5, conditions=cond)
    assert list(out.columns) == list(df.columns) and len(out) == len(cond)
    assert out["segment"].astype(object).where(out["segment"].notna(), None).tolist() \
        == cond["segment"].tolist()
    assert out["flag"].tolist() == cond["flag"].tolist()
    for c in df.columns:
        assert str(out[c].dtype) == str(df[c].dtype), c
    pd.testing.assert_frame_equal(out, gen.sample(len(cond), seed=5, conditions=cond))
    # the other columns are drawn given the fixed ones: the segments' income gap survives
    means = out.groupby("segment")["income"].mean()
    assert means["c"] > means["a"] + 20_000
    # conditions without columns fix nothing: the same draws as without conditions
    pd.testing.assert_frame_equal(gen.sample(seed=9, conditions=pd.DataFrame(index=range(300))),
                                  gen.sample(300, seed=9))


def test_bad_conditions_are_refused_the_same_way(fitted):
    _, gen = fitted
    with pytest.raises(GeneratorError, match="not fitted on"):
        gen.sample(seed=0, conditions=pd.DataFrame({"zzz": [1]}))
    with pytest.raises(GeneratorError, match="differs"):
        gen.sample(3, seed=0, conditions=pd.DataFrame({"segment": ["a", "b"]}))
    with pytest.raises(GeneratorError, match="DataFrame"):
        gen.sample(seed=0, conditions={"segment": ["a"]})  # type: ignore[arg-type]
    with pytest.raises(GeneratorError, match="needs n"):
        gen.sample(seed=0)
    with pytest.raises(GeneratorError, match="negative"):
        gen.sample(-1, seed=0)


# ---- sizes and edge cases ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rows", [1, 5, 11])
def test_tiny_table_is_refused_not_copied(name, rows):
    df = pd.DataFrame({"a": range(rows), "b": [f"name{i}" for i in range(rows)],
                       "c": [2.5 + i for i in range(rows)]})
    with pytest.raises(InputError, match="at least 12"):
        make_generator(name).fit(df, TableMeta(table="tiny"))


@pytest.mark.parametrize("name", ["gaussian_copula", "sequential_tree"])
def test_chunked_sampling_and_sizes(name):
    df = mixed_frame(500)
    gen = make_generator(name, {"chunk_rows": 300}).fit(df)
    assert len(gen.sample(1000, seed=0)) == 1000
    empty = gen.sample(0, seed=0)
    assert len(empty) == 0 and list(empty.columns) == list(df.columns)


@pytest.mark.parametrize("name", NAMES)
def test_errors_are_clear(name):
    with pytest.raises(InputError, match="empty"):
        make_generator(name).fit(pd.DataFrame({"a": []}))
    with pytest.raises(GeneratorError, match="not fitted"):
        make_generator(name).sample(3)
    with pytest.raises(GeneratorError, match="'bad'"):
        make_generator(name).fit(pd.DataFrame({"bad": [[1], [2]] * 10}))
    with pytest.raises(GeneratorError, match="'inf'"):
        make_generator(name).fit(pd.DataFrame({"inf": [1.0, np.inf] * 20 + list(range(40))}))


@pytest.mark.parametrize("name, params, message", [
    ("sequential_tree", {"min_samples_leaf": 0}, "min_samples_leaf"),
    ("gaussian_copula", {"shrinkage": 1.0}, "shrinkage"),
    ("auto", {"holdout_share": 0.9}, "holdout_share"),
])
def test_bad_parameters_are_named(name, params, message):
    with pytest.raises(GeneratorError, match=message):
        make_generator(name, params).fit(pd.DataFrame({"a": [1, 2] * 10}))


def test_a_fixed_column_whose_levels_are_all_rare_conditions_as_other():
    """A parent column of unique names (every level rare, none modelled) fixed at sampling time:
    Berka's client table, conditioned on district names, failed with an IndexError."""
    from tabletwin.synth.generators import TableMeta, make_generator

    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"district": [f"D{i}" for i in range(n)],
                       "amount": rng.normal(100, 10, n).round(2)})
    gen = make_generator("sequential_tree").fit(df, TableMeta(fixed=("district",)), seed=0)
    cond = pd.DataFrame({"district": [f"X{i}" for i in range(50)]})
    out = gen.sample(seed=1, conditions=cond)
    assert len(out) == 50 and out["district"].tolist() == cond["district"].tolist()
    assert out["amount"].notna().all()
