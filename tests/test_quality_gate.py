"""The quality gate's scores and verdicts: associations, TSTR, holdout privacy, severities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.catalog import parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.metrics import associations, utility
from tabletwin.pii.detect import detect_pii
from tabletwin.profile import profile_table
from tabletwin.quality import evaluate
from tabletwin.synthesis import split_source


def people(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    seg = rng.choice(["a", "b", "c"], n)
    income = 15000 + age * 700 + np.where(seg == "c", 30000, 0) + rng.normal(0, 5000, n)
    rich = np.where(income > np.quantile(income, 0.75), "yes", "no")
    return pd.DataFrame({"age": age, "segment": seg, "income": np.round(income, 2), "rich": rich})


def shuffled(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Same marginals, every dependence destroyed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.permutation(df[c].to_numpy()) for c in df.columns})


def test_associations_see_lost_dependence():
    df = people()
    same = associations(df, df)
    assert same.diff == pytest.approx(0.0, abs=1e-9)
    lost = associations(df, shuffled(df))
    assert lost.diff > 0.1
    k = len(df.columns)
    assert len(lost.real) == k and all(len(r) == k for r in lost.synthetic)
    assert all(0.0 <= v <= 1.0 for row in lost.real for v in row)


@pytest.mark.parametrize("target", ["rich", "income"])
def test_utility_tells_useful_from_useless(target):
    df = people(4000)
    fit, hold = df.iloc[:3000], df.iloc[3000:]
    good = utility(fit, hold, people(3000, seed=5), target)
    bad = utility(fit, hold, shuffled(fit), target)
    assert good.task == ("classification" if target == "rich" else "regression")
    assert good.gap < 0.05
    assert bad.gap > 0.2


def table_cfg(checks: dict | None = None, **extra):
    cat = parse_catalog({"tables": {"people": {"checks": checks or {}, **extra}}})
    return cat.table("people")


def gate(df: pd.DataFrame, syn: pd.DataFrame, table):
    plan = detect_pii(df, table="people")
    profile = profile_table(df, plan)
    return evaluate(source=df, masked=df, synthetic=syn, plan=plan, profile=profile, table=table,
                    rows_expected=len(syn), seed=3)


def test_copies_of_training_rows_fail_the_privacy_checks():
    df = people()
    table = table_cfg()
    fit, hold = split_source(df, table, 3)
    assert len(hold) == pytest.approx(0.2 * len(df), abs=1)
    copies = gate(df, fit.sample(len(df), replace=True, random_state=0).reset_index(drop=True),
                  table)
    assert set(copies.failed_checks) >= {"not_closer_to_training", "no_copied_rows"}
    fresh = gate(df, people(len(df), seed=9), table)
    assert "not_closer_to_training" not in fresh.failed_checks
    assert "no_copied_rows" not in fresh.failed_checks
    assert fresh.distances is not None and 0.35 < fresh.distances.dcr_share < 0.65


def test_warnings_do_not_block_unless_made_errors():
    df = people()
    syn = shuffled(df)
    warn = gate(df, syn, table_cfg({"fidelity_min": 0.0}, target="rich"))
    assert "correlations_preserved" in warn.warnings and "useful_for_ml" in warn.warnings
    assert "correlations_preserved" not in warn.failed_checks
    strict = gate(df, syn, table_cfg({"fidelity_min": 0.0, "severity": {
        "correlations_preserved": "error", "not_closer_to_training": "warn"}}, target="rich"))
    assert "correlations_preserved" in strict.failed_checks and not strict.passed
    sev = {o.name: o.severity for o in strict.outcomes()}
    assert sev["not_closer_to_training"] == "warn" and sev["fidelity_above_threshold"] == "error"


def test_no_holdout_means_not_measured_not_failed():
    df = people(500)
    rep = gate(df, people(500, seed=4), table_cfg({"holdout_share": 0.0}))
    assert rep.distances is None and rep.holdout_rows == 0
    out = {o.name: o for o in rep.outcomes()}
    assert out["not_closer_to_training"].passed and "not measured" in \
        out["not_closer_to_training"].details["note"]


@pytest.mark.parametrize("checks, field", [
    ({"fidelity_min": 1.2}, "checks.fidelity_min"),
    ({"dcr_share_max": -0.1}, "checks.dcr_share_max"),
    ({"holdout_share": 0.9}, "checks.holdout_share"),
    ({"severity": {"no_such_check": "warn"}}, "checks.severity"),
    ({"severity": {"fidelity_above_threshold": "maybe"}}, "checks.severity"),
])
def test_bad_thresholds_fail_at_load_naming_table_and_field(checks, field):
    with pytest.raises(ConfigError) as err:
        table_cfg(checks)
    assert "people" in str(err.value) and field in str(err.value)


def test_target_must_not_be_a_key():
    with pytest.raises(ConfigError, match="target"):
        table_cfg(primary_key="age", target="age")


def test_a_threshold_above_one_names_table_field_and_check():
    with pytest.raises(ConfigError) as err:
        parse_catalog({"tables": {"customers": {"checks": {"fidelity_min": 1.5}}}}, "tabletwin.yaml")
    msg = str(err.value)
    assert "customers" in msg and "checks.fidelity_min" in msg
    assert "fidelity_above_threshold" in msg and "tabletwin.yaml" in msg
