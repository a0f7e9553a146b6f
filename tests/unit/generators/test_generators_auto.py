"""The `auto` generator and the distance-based privacy scores it (and the quality gate) rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import GeneratorError
from tabletwin.synth.generators import REGISTRY, TableMeta, make_generator
from tabletwin.metrics.privacy import distance_scores, split_holdout


def population(n: int, seed: int) -> pd.DataFrame:
    """A table a copula cannot describe: a category switches the sign and scale of an amount."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["loan", "savings", "checking"], n, p=[0.2, 0.3, 0.5])
    amount = np.where(kind == "loan", -rng.lognormal(10, 1, n), rng.lognormal(7, 1.2, n))
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), "D")
    return pd.DataFrame({"kind": kind, "amount": np.round(amount, 2), "day": day,
                         "score": rng.integers(300, 850, n)})


def test_auto_is_registered_and_default_in_the_catalog():
    from tabletwin.config.catalog import GeneratorConfig

    assert "auto" in REGISTRY
    assert GeneratorConfig().name == "auto"


def test_auto_picks_by_trial_score_and_records_it():
    df = population(6000, 0)
    gen = make_generator("auto").fit(df, seed=3)
    assert gen.chosen_ in ("sequential_tree", "gaussian_copula")
    scores = gen.trial_scores_
    assert set(scores) == {"sequential_tree", "gaussian_copula"}
    for s in scores.values():
        assert 0.0 <= s["accuracy"] <= 1.0 and 0.0 <= s["dcr_share"] <= 1.0
    # the choice is the best accuracy among candidates within the DCR bound
    ok = [n for n, s in scores.items() if s["dcr_share"] <= gen.max_dcr_share]
    assert gen.chosen_ == max(ok, key=lambda n: scores[n]["accuracy"])
    # here the sign of the amount follows the category: the tree must win
    assert gen.chosen_ == "sequential_tree"
    assert gen.describe() == "auto: sequential_tree"
    out = gen.sample(500, seed=1)
    assert list(out.columns) == list(df.columns)
    assert (out.loc[out["kind"] == "loan", "amount"] < 0).mean() > 0.95


def test_auto_repeats_with_the_same_seed():
    df = population(1500, 1)
    a = make_generator("auto").fit(df, seed=5).sample(300, seed=2)
    b = make_generator("auto").fit(df, seed=5).sample(300, seed=2)
    pd.testing.assert_frame_equal(a, b)


def test_auto_small_and_wide_tables_skip_the_trial():
    small = population(50, 2)
    gen = make_generator("auto").fit(small, seed=0)
    assert gen.trial_scores_ == {} and "small table" in gen.reason_
    wide = make_generator("auto", {"wide_columns": 3}).fit(population(400, 3), seed=0)
    assert wide.chosen_ == "gaussian_copula" and "wide" in wide.reason_


@pytest.mark.parametrize("params, message", [
    ({"candidates": []}, "at least one"),
    ({"candidates": ["nope"]}, "unknown candidate"),
    ({"candidates": ["auto"]}, "unknown candidate"),
    ({"holdout_share": 0.9}, "holdout_share"),
])
def test_auto_bad_parameters_name_the_table(params, message):
    with pytest.raises(GeneratorError, match=message) as err:
        make_generator("auto", params).fit(population(300, 4), TableMeta(table="orders"))
    assert "orders" in str(err.value)


def test_distance_scores_tell_copies_from_fresh_rows():
    df = population(6000, 5)
    train, hold = split_holdout(df, 0.5, 0)
    copies = distance_scores(train, hold, train.sample(frac=1.0, random_state=0))
    assert copies.dcr_share > 0.95 and copies.ims_training > 0.95
    assert copies.nndr_training < copies.nndr_holdout
    fresh = distance_scores(train, hold, population(3000, 99))
    assert 0.4 < fresh.dcr_share < 0.6
    assert fresh.ims_training < 0.05
    assert fresh.rows == 3000 and len(fresh.dcr_training) == 3000


@pytest.mark.parametrize("n, share, expect", [(10, 0.3, 3), (2, 0.3, 1), (1, 0.3, 0), (100, 0.0, 0)])
def test_split_holdout_sizes(n, share, expect):
    df = pd.DataFrame({"x": range(n)})
    fit, hold = split_holdout(df, share, seed=0)
    assert len(hold) == expect and len(fit) + len(hold) == n
    assert set(fit["x"]) | set(hold["x"]) == set(range(n))
