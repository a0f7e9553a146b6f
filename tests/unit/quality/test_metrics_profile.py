"""Fidelity metric, profile and the expectation suite: pure functions, no values of sensitive columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.quality.expectations import build_suite, run_suite
from tabletwin.metrics.fidelity import fidelity
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.quality.profile import profile_table


def frame(n=2000, seed=0, shift=0.0):
    rng = np.random.default_rng(seed)
    a = rng.normal(shift, 1, n)
    return pd.DataFrame({"a": a, "b": a * 2 + rng.normal(0, 0.5, n),
                         "c": rng.choice(["x", "y", "z"], n), "d": rng.random(n) < 0.3})


def test_fidelity_identical_is_one_and_bounded():
    df = frame()
    s = fidelity(df, df)
    assert s.accuracy == pytest.approx(1.0)
    other = frame(seed=1)
    s2 = fidelity(df, other)
    assert 0.9 < s2.accuracy < 1.0
    shifted = fidelity(df, frame(seed=1, shift=2.0))
    assert 0.0 <= shifted.accuracy < s2.accuracy


def test_fidelity_sees_broken_dependence():
    df = frame()
    broken = df.copy()
    broken["b"] = np.random.default_rng(3).permutation(broken["b"].to_numpy())
    s = fidelity(df, broken)
    assert s.univariate == pytest.approx(1.0)
    assert s.bivariate < 0.95


def plan_for(df, sensitive=()):
    return PiiPlan("t", [ColumnDecision(c, "PERSON" if c in sensitive else None, 0.9,
                                        "fake" if c in sensitive else "keep") for c in df.columns])


def test_profile_withholds_sensitive_values():
    df = frame(300)
    df["name"] = [f"MARKER{i}" for i in range(len(df))]
    prof = profile_table(df, plan_for(df, sensitive=("name",)))
    text = repr(prof.to_dict()) + prof.to_markdown()
    assert "MARKER" not in text
    assert prof["name"].sensitive and prof["name"].top == [] and prof["name"].distinct == 300
    assert prof["c"].domain == ["x", "y", "z"]
    q = prof["a"].quantiles
    assert q["p1"] <= q["p50"] <= q["p99"] and "p0" not in q and "p100" not in q
    # the protected range: the raw extremes are single people's values and are never profiled
    xs = np.sort(df["a"].to_numpy(dtype=float))
    assert xs[5] <= q["p1"] and q["p99"] <= xs[-6]


def test_profile_edge_columns():
    df = pd.DataFrame({"empty": [None, None], "const": [1, 1], "mixed": [1, "a"]})
    prof = profile_table(df, plan_for(df))
    assert prof["empty"].kind == "empty" and prof["empty"].null_rate == 1.0
    assert prof["const"].distinct == 1
    assert prof["mixed"].distinct == 2


def test_expectation_suite_passes_on_source_and_fails_on_garbage():
    df = frame(500)
    prof = profile_table(df, plan_for(df))
    specs = build_suite(prof, list(df.columns))
    assert run_suite(df, specs).share == 1.0
    bad = df.copy()
    bad["c"] = "w"
    bad["a"] = bad["a"] * 100
    res = run_suite(bad, specs)
    failed = {(f.type, f.column) for f in res.failures}
    assert ("expect_column_values_to_be_in_set", "c") in failed
    assert ("expect_column_values_to_be_between", "a") in failed
    assert res.share < 1.0
    assert "w" not in repr(res.failures).replace("between", "").replace("_in_set", "")
