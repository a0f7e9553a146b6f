"""Conditional generation (seeding) and rebalancing with the sequential tree generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import ConfigError, GeneratorError
from tabletwin.synth.generators.sequential import SequentialTree
from tabletwin.metrics.fidelity import fidelity
from tabletwin.synth.rebalance import parse_rebalance, rebalance, rebalanced_conditions

SEGMENTS = ["retail", "business", "premium"]
SEG_BONUS = {"retail": 0.0, "business": 15_000.0, "premium": 40_000.0}


def people(n: int, seed: int, *, young: bool = False) -> pd.DataFrame:
    """income depends on age (linear) and segment (level shift)."""
    r = np.random.default_rng(seed)
    age = r.integers(18, 36, n) if young else r.integers(18, 80, n)
    seg = r.choice(SEGMENTS, n, p=[0.6, 0.3, 0.1])
    bonus = pd.Series(seg).map(SEG_BONUS).to_numpy()
    income = np.round(20_000 + 800 * (age - 18) + bonus + r.normal(0, 4_000, n), 2)
    return pd.DataFrame({"age": age, "segment": seg, "income": income})


def transactions(n: int, seed: int) -> pd.DataFrame:
    """A rare fraud flag (~2%) that shifts segment, channel and amount."""
    r = np.random.default_rng(seed)
    fraud = r.random(n) < 0.02
    seg = r.choice(SEGMENTS, n, p=[0.6, 0.3, 0.1])
    seg = np.where(fraud & (r.random(n) < 0.5), "premium", seg)
    channel = np.where(r.random(n) < np.where(fraud, 0.8, 0.3), "online", "store")
    amount = np.round(np.exp(r.normal(3 + 0.4 * fraud + 0.5 * (seg == "premium"), 0.5, n)), 2)
    return pd.DataFrame({"segment": seg, "channel": channel, "amount": amount, "is_fraud": fraud})


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    return people(30_000, 0)


@pytest.fixture(scope="module")
def seeded_gen(source: pd.DataFrame) -> SequentialTree:
    return SequentialTree(first=("age", "segment")).fit(source, seed=0)


# ---- the first= parameter ----------------------------------------------------------------------
def test_first_leads_the_order_and_is_a_param(seeded_gen: SequentialTree) -> None:
    assert seeded_gen.order_[:2] == ["age", "segment"]
    assert seeded_gen.get_params()["first"] == ("age", "segment")
    assert SequentialTree().get_params()["first"] == ()


def test_first_must_name_table_columns(source: pd.DataFrame) -> None:
    with pytest.raises(GeneratorError, match="nope"):
        SequentialTree(first=("nope",)).fit(source)
    with pytest.raises(GeneratorError, match="first"):
        SequentialTree(first="age").fit(source)  # type: ignore[arg-type]


# ---- seeding -----------------------------------------------------------------------------------
def _band(age: pd.Series) -> pd.Series:
    return pd.cut(age, [17, 23, 29, 35])  # ages above 35: NaN, left out of the groups


def test_seeded_values_are_kept_and_dependence_follows(source: pd.DataFrame,
                                                       seeded_gen: SequentialTree) -> None:
    fixed = people(8_000, 1)[["age", "segment"]]
    out = seeded_gen.sample(seed=3, conditions=fixed)
    assert list(out.columns) == list(source.columns)
    assert (out.dtypes == source.dtypes).all()
    pd.testing.assert_frame_equal(out[["age", "segment"]], fixed)
    assert abs(out["age"].corr(out["income"]) - source["age"].corr(source["income"])) < 0.05
    src_means = source.groupby("segment")["income"].mean()
    syn_means = out.groupby("segment")["income"].mean()
    assert ((syn_means - src_means).abs() / src_means).max() < 0.04


def test_seeding_a_skewed_mix(source: pd.DataFrame, seeded_gen: SequentialTree) -> None:
    fixed = people(6_000, 2, young=True)[["age", "segment"]]  # ages 18-35 only
    out = seeded_gen.sample(len(fixed), seed=4, conditions=fixed)
    pd.testing.assert_frame_equal(out[["age", "segment"]], fixed)
    # the generated income follows the fixed columns: lower than the source's, and per
    # (age band, segment) as in the source
    assert out["income"].mean() < source["income"].mean() - 10_000
    keys = [_band(source["age"]), source["segment"]]
    src_means = source.groupby(keys, observed=True)["income"].mean()
    syn_means = out.groupby([_band(out["age"]), out["segment"]], observed=True)["income"].mean()
    common = syn_means.index.intersection(src_means.index)
    assert len(common) == 9
    rel = ((syn_means[common] - src_means[common]).abs() / src_means[common])
    assert rel.max() < 0.05
    assert out["income"].notna().all()


def test_seeding_copies_nulls_and_unseen_values(seeded_gen: SequentialTree) -> None:
    fixed = pd.DataFrame({"age": [20, 70, 40, 33] * 50,
                          "segment": ["retail", None, "unheard-of", "premium"] * 50})
    out = seeded_gen.sample(seed=0, conditions=fixed)
    assert out["segment"].tolist() == fixed["segment"].tolist()
    assert out["age"].tolist() == fixed["age"].tolist()
    assert out["income"].notna().all()


def test_seeding_a_datetime_column() -> None:
    r = np.random.default_rng(0)
    n = 3_000
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(r.integers(0, 700, n), unit="D")
    df = pd.DataFrame({"day": day, "x": (day - day.min()).days + r.normal(0, 5, n)})
    gen = SequentialTree(first=("day",)).fit(df)
    fixed = df[["day"]].iloc[:500].reset_index(drop=True)
    out = gen.sample(seed=1, conditions=fixed)
    pd.testing.assert_series_equal(out["day"], fixed["day"])
    assert out["day"].dtype == df["day"].dtype
    assert out["x"].corr((out["day"] - day.min()).dt.days) > 0.9


def test_conditioning_on_a_later_column_fails(seeded_gen: SequentialTree) -> None:
    with pytest.raises(GeneratorError, match="income.*first="):
        seeded_gen.sample(seed=0, conditions=pd.DataFrame({"income": [30_000.0] * 5}))
    with pytest.raises(GeneratorError, match="not fitted on"):
        seeded_gen.sample(seed=0, conditions=pd.DataFrame({"zzz": [1]}))
    with pytest.raises(GeneratorError, match="differs"):
        seeded_gen.sample(3, seed=0, conditions=pd.DataFrame({"age": [30, 40]}))


# ---- unchanged behaviour -----------------------------------------------------------------------
def test_unconditioned_sampling_is_unchanged(source: pd.DataFrame) -> None:
    frame = source.iloc[:4_000].copy()
    frame.loc[frame.index % 7 == 0, "segment"] = None
    base = SequentialTree().fit(frame, seed=5)
    same = SequentialTree(first=()).fit(frame, seed=5)
    assert base.order_ == same.order_
    expected = base.sample(1_500, seed=9)
    pd.testing.assert_frame_equal(same.sample(1_500, seed=9), expected)
    pd.testing.assert_frame_equal(base.sample(1_500, 9, None), expected)
    # conditions without columns fix nothing: the same draws
    pd.testing.assert_frame_equal(base.sample(seed=9, conditions=pd.DataFrame(index=range(1_500))),
                                  expected)


# ---- rebalancing -------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 3])
def test_rebalance_rare_class(seed: int) -> None:
    src = transactions(200_000, seed)
    assert src["is_fraud"].mean() < 0.03
    syn = rebalance(src, "is_fraud", {True: 0.5}, 40_000, seed)
    assert len(syn) == 40_000
    assert (syn.dtypes == src.dtypes).all()
    assert abs(syn["is_fraud"].mean() - 0.5) <= 0.01
    others = ["segment", "channel", "amount"]
    for v in (True, False):
        score = fidelity(src.loc[src["is_fraud"] == v, others],
                         syn.loc[syn["is_fraud"] == v, others])
        assert score.accuracy >= 0.95, (v, score)


def test_rebalanced_conditions_counts_and_proportions() -> None:
    src = transactions(20_000, 1)
    gen = SequentialTree(first=("segment",)).fit(src)
    cond = rebalanced_conditions(gen, "segment", {"premium": 0.5}, 1_001, seed=2)
    assert list(cond.columns) == ["segment"] and len(cond) == 1_001
    counts = cond["segment"].value_counts()
    assert counts["premium"] == round(0.5 * 1_001)
    src_share = src["segment"].value_counts(normalize=True)
    ratio = counts["retail"] / counts["business"]
    assert abs(ratio - src_share["retail"] / src_share["business"]) < 0.05
    # a different seed shuffles the same counts
    other = rebalanced_conditions(gen, "segment", {"premium": 0.5}, 1_001, seed=3)
    assert other["segment"].value_counts().equals(counts)


def test_rebalance_validation() -> None:
    src = transactions(5_000, 0)
    with pytest.raises(GeneratorError, match="'missing'"):
        rebalance(src, "missing", {True: 0.5}, 100, 0, table_name="tx")
    with pytest.raises(GeneratorError, match="'tx'.*'amount'.*categorical"):
        rebalance(src, "amount", {1.0: 0.5}, 100, 0, table_name="tx")
    with pytest.raises(GeneratorError, match="does not occur"):
        rebalance(src, "segment", {"gold": 0.5}, 100, 0)
    with pytest.raises(GeneratorError, match="between 0 and 1"):
        rebalance(src, "segment", {"premium": 1.5}, 100, 0)
    with pytest.raises(GeneratorError, match="sum"):
        rebalance(src, "segment", {"premium": 0.6, "retail": 0.6}, 100, 0)
    rare = src.copy()
    rare.loc[:1, "segment"] = "tiny"  # 2 rows: never generated, so not rebalanceable
    with pytest.raises(GeneratorError, match="rare_k"):
        rebalance(rare, "segment", {"tiny": 0.5}, 100, 0)


def test_rebalance_matches_values_by_string() -> None:
    src = transactions(20_000, 4)
    column, shares = parse_rebalance("is_fraud=True:0.3")
    assert (column, shares) == ("is_fraud", {"True": 0.3})
    syn = rebalance(src, column, shares, 2_000, 0)
    assert syn["is_fraud"].dtype == bool
    assert syn["is_fraud"].sum() == 600


def test_parse_rebalance() -> None:
    assert parse_rebalance("segment = a:0.3, b c:25%") == ("segment", {"a": 0.3, "b c": 0.25})
    assert parse_rebalance("t=12:30:0.1") == ("t", {"12:30": 0.1})
    for bad in ["is_fraud", "=a:0.5", "x=a", "x=a:abc", "x=a:1.5", "x=a:0.6,b:0.6", "x=a:0.1,a:0.2"]:
        with pytest.raises(ConfigError):
            parse_rebalance(bad)
