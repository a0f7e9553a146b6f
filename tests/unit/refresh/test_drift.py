"""Drift of today's source against a model's fit rows (tabletwin.metrics.drift)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from tabletwin.metrics.drift import DriftReference


def frame(n: int, seed: int, *, shift: float = 0.0, new_share: float = 0.0, start: int = 0):
    rng = np.random.default_rng(seed)
    cats = np.array(["a", "b", "c", "d"])
    p = np.array([0.4, 0.3, 0.2, 0.1])
    if new_share:
        cats = np.append(cats, "e")
        p = np.append(p * (1 - new_share), new_share)
    return pd.DataFrame({
        "id": np.arange(start, start + n),
        "amount": rng.lognormal(3 + shift, 1, n),
        "kind": rng.choice(cats, n, p=p),
        "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
    })


def test_same_distribution_has_small_psi():
    ref = DriftReference.of(frame(3000, 0), key="id")
    d = ref.drift(frame(3000, 1), key="id")
    assert d.worst().psi < 0.05
    assert {c.column for c in d.columns} == {"amount", "kind", "day"}


@pytest.mark.parametrize("shift,column", [(0.7, "amount")])
def test_a_shifted_column_is_the_worst(shift, column):
    ref = DriftReference.of(frame(3000, 0), key="id")
    d = ref.drift(frame(3000, 1, shift=shift), key="id")
    assert d.worst().column == column and d.worst().psi > 0.2


def test_a_new_category_counts_as_drift():
    ref = DriftReference.of(frame(3000, 0), key="id")
    d = ref.drift(frame(3000, 1, new_share=0.3), key="id")
    kind = next(c for c in d.columns if c.column == "kind")
    assert kind.psi > 0.1 and kind.tvd > 0.2


def test_new_keys_and_row_change():
    ref = DriftReference.of(frame(1000, 0), key="id")
    d = ref.drift(frame(1050, 0, start=0), key="id")
    assert d.new_key_share == pytest.approx(50 / 1050, abs=1e-3)
    assert d.row_change == pytest.approx(0.05)


def test_reference_holds_no_rare_level():
    df = frame(500, 0)
    df.loc[0, "kind"] = "Jane Q. Rare"
    ref = DriftReference.of(df, key="id")
    kind = next(c for c in ref.columns if c.name == "kind")
    assert "jane q. rare" not in " ".join(kind.levels).lower()
    assert sum(kind.shares) == pytest.approx(1.0)


def test_added_and_missing_columns_are_listed():
    ref = DriftReference.of(frame(500, 0), key="id")
    today = frame(500, 1).drop(columns=["day"]).assign(extra=1)
    d = ref.drift(today, key="id")
    assert d.added == ("extra",) and d.missing == ("day",)


def test_keys_are_keyed_digests():
    a = DriftReference.of(frame(100, 0), key="id", salt=b"k1")
    b = DriftReference.of(frame(100, 0), key="id", salt=b"k2")
    assert not np.array_equal(a.key_digests, b.key_digests)


def test_the_salt_is_not_stored_and_must_be_given_again():
    ref = DriftReference.of(frame(100, 0), key="id", salt=b"secret")
    assert b"secret" not in pickle.dumps(ref)
    assert ref.drift(frame(100, 0), key="id", salt=b"secret").new_key_share == 0.0
    assert ref.drift(frame(100, 0), key="id", salt=b"other").new_key_share == 1.0


def test_a_sampled_table_compares_every_key_not_its_samples():
    full = frame(5000, 0)
    ref = DriftReference.of(full.sample(500, random_state=1), key="id", keys=full["id"],
                            rows=len(full))
    d = ref.drift(full.sample(500, random_state=2), key="id", keys=full["id"], rows=len(full))
    assert d.new_key_share == 0.0 and d.gone_keys == 0 and d.row_change == 0
    shrunk = full.iloc[7:]
    d = ref.drift(shrunk.sample(500, random_state=3), key="id", keys=shrunk["id"],
                  rows=len(shrunk))
    assert d.gone_keys == 7
