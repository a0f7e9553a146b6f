"""The quality gate's scores and verdicts: associations, TSTR, holdout privacy, severities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.loader import parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.metrics.fidelity import associations, utility
from tabletwin.pii.detect import detect_pii
from tabletwin.quality.profile import profile_table
from tabletwin.quality.gate import evaluate
from tabletwin.config.roles import split_source


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
    fit, hold = split_source(df, table)
    # about the share: each row's side is a keyed hash of the row (4 binomial deviations)
    assert len(hold) == pytest.approx(0.2 * len(df), abs=4 * (len(df) * 0.2 * 0.8) ** 0.5)
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


def test_no_holdout_means_not_measured_never_passed():
    df = people(500)
    rep = gate(df, people(500, seed=4), table_cfg({"holdout_share": 0.0}))
    assert rep.distances is None and rep.holdout_rows == 0
    out = {o.name: o for o in rep.outcomes()}
    for name in ("not_closer_to_training", "no_copied_rows"):
        o = out[name]
        assert o.status == "not_measured" and not o.passed and o.value is None
        assert o.severity == "warn" and "holdout_share is 0" in o.details["note"]
        assert name in rep.warnings and name in rep.not_measured
    # unmeasured checks warn by default: they do not block
    assert not {"not_closer_to_training", "no_copied_rows"} & set(rep.failed_checks)
    # the catalog can make an unmeasured (error-severity) check block publication
    strict = gate(df, people(500, seed=4),
                  table_cfg({"holdout_share": 0.0, "not_measured": "error"}))
    assert {"not_closer_to_training", "no_copied_rows"} <= set(strict.failed_checks)
    assert not strict.passed and strict.outcomes()[6].severity == "error"
    # ... but not a warn-severity one
    assert "correlations_preserved" not in strict.failed_checks


def test_a_tiny_table_has_no_holdout_and_says_so():
    df = people(4)
    rep = gate(df, people(4, seed=2), table_cfg(target="rich"))
    out = {o.name: o for o in rep.outcomes()}
    for name in ("not_closer_to_training", "no_copied_rows", "useful_for_ml"):
        assert out[name].status == "not_measured", (name, out[name])
        assert "too small" in out[name].details["note"]


def test_checks_that_do_not_apply_are_not_applicable_never_passed():
    df = people(600)
    rep = gate(df, people(600, seed=4), table_cfg())
    out = {o.name: o for o in rep.outcomes()}
    # this table has no foreign key, no target, no rebalance and no constraint
    expected = {"no_orphan_keys": "foreign key", "children_per_parent_match": "foreign key",
                "joins_like_source": "foreign key", "useful_for_ml": "target",
                "minority_not_copied": "rebalanced", "constraints_hold": "constraints"}
    for name, why in expected.items():
        o = out[name]
        assert o.status == "not_applicable" and not o.passed and o.value is None, o
        assert why in o.details["note"]
        assert name not in rep.scores() and name not in rep.warnings + rep.failed_checks
    measured = {n for n, o in out.items() if o.status in ("passed", "failed")}
    assert measured == {"schema_matches_source", "row_count_matches", "no_pii_in_synthetic",
                        "expectations_pass", "fidelity_above_threshold",
                        "not_closer_to_training", "no_copied_rows", "correlations_preserved",
                        "no_rare_values_copied"}
    # the same table with a target and a constraint: those checks apply and are measured
    rep2 = gate(df, people(600, seed=4), table_cfg(
        target="rich", constraints=[{"kind": "range", "column": "age", "min": 0}]))
    out2 = {o.name: o for o in rep2.outcomes()}
    assert out2["useful_for_ml"].status in ("passed", "failed")
    assert out2["useful_for_ml"].value is not None
    assert out2["constraints_hold"].status == "passed" and out2["constraints_hold"].value == 0


def test_the_registry_is_the_one_list_of_checks():
    from tabletwin.config import checks
    from tabletwin.config.catalog import CheckThresholds

    rep = gate(people(300), people(300, seed=1), table_cfg())
    assert [o.name for o in rep.outcomes()] == list(checks.CHECK_NAMES)
    # every threshold field names a registered check, and every check's thresholds exist
    fields = set(CheckThresholds.model_fields) - {"severity", "not_measured"}
    assert set(checks.THRESHOLD_CHECKS) == fields
    assert set(checks.THRESHOLD_CHECKS.values()) <= set(checks.CHECK_NAMES)
    with pytest.raises(ConfigError, match="not_measured"):
        table_cfg({"not_measured": "pass"})


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


def test_quasi_identifier_uniqueness_real_vs_synthetic():
    """Flagged quasi-identifiers (date of birth, ZIP, sex): the share of rows they single out, real
    vs synthetic, on samples of one size; none flagged: nothing reported."""
    from tabletwin.pii.plan import ColumnDecision, PiiPlan
    from tabletwin.quality.gate import quasi_uniqueness

    rng = np.random.default_rng(0)
    n = 1000
    real = pd.DataFrame({"birth_year": rng.integers(1940, 2005, n),
                         "zip": rng.choice([f"{z:05d}" for z in range(10000, 10400)], n),
                         "sex": rng.choice(["F", "M"], n), "spend": rng.gamma(2.0, 10.0, n)})
    coarse = real.assign(zip=real["zip"].str[:3])  # fewer combinations: fewer unique rows
    plan = PiiPlan("t", [ColumnDecision("birth_year", None, 0.0, "keep", quasi_identifier=True),
                         ColumnDecision("zip", None, 0.0, "keep", quasi_identifier=True),
                         ColumnDecision("sex", None, 0.0, "keep", quasi_identifier=True),
                         ColumnDecision("spend", None, 0.0, "keep")])
    q = quasi_uniqueness(real, pd.concat([coarse, coarse]), plan, seed=1)
    assert q.columns == ("birth_year", "zip", "sex") and q.rows == n
    assert q.real > 0.8 and q.synthetic < 0.2  # the coarse copy singles out far fewer rows
    none = PiiPlan("t", [ColumnDecision(c, None, 0.0, "keep") for c in real.columns])
    assert quasi_uniqueness(real, real, none) is None
