"""A scenario that follows a drifting column: the target mix, the seed table, the catalog entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.chain.drift_scenario import allocate, drift_seed_table, target_mix
from tabletwin.config.catalog import TableConfig
from tabletwin.config.loader import check_columns, parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.metrics.drift import DriftReference
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.protection import RARE_K

TABLE = TableConfig(name="subs", primary_key="id")


def _plan(df: pd.DataFrame, pii: tuple[str, ...] = ()) -> PiiPlan:
    return PiiPlan("subs", [ColumnDecision(c, "PERSON" if c in pii else None, 0.9,
                                           "generalize" if c in pii else "keep")
                            for c in df.columns])


def _subs(n: int, mix: dict[str, float], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n),
                         "plan": rng.choice(list(mix), n, p=list(mix.values())),
                         "fee": rng.gamma(2.0, 10.0, n).round(2),
                         "owner": [f"p{i}" for i in range(n)]})


def _shares(s: pd.Series) -> dict:
    return s.value_counts(normalize=True).to_dict()


# ---- the maths -----------------------------------------------------------------------------------
def test_target_mix_extends_the_move_by_factor():
    then, now = {"old": 0.8, "new": 0.2}, {"old": 0.6, "new": 0.4}
    assert target_mix(then, now, 2.0) == pytest.approx({"old": 0.4, "new": 0.6})
    assert target_mix(then, now, 3.0) == pytest.approx({"old": 0.2, "new": 0.8})
    assert target_mix(then, now, 1.0) == pytest.approx(now)  # factor 1: today's mix
    assert target_mix(then, now, 0.0) == pytest.approx(then)  # factor 0: the mix then
    # a level that did not exist then (pooled or unseen: 0) grows by its whole share again
    assert target_mix({"a": 1.0}, {"a": 0.9, "b": 0.1}, 2.0) == pytest.approx({"a": 0.8, "b": 0.2})


def test_target_mix_clips_at_zero_and_renormalises():
    out = target_mix({"a": 0.3, "b": 0.5}, {"a": 0.1, "b": 0.5}, 3.0)  # a: 0.1 - 2 * 0.2 < 0
    assert out["a"] == 0.0 and out["b"] == pytest.approx(1.0)
    # shares of a part of the rows (the rest rare) are renormalised over the levels given
    out = target_mix({"a": 0.5, "b": 0.3}, {"a": 0.4, "b": 0.4}, 1.0)
    assert out == pytest.approx({"a": 0.5, "b": 0.5})
    assert sum(target_mix({"a": 0.9}, {"a": 0.1}, 10.0).values()) == pytest.approx(1.0)


def test_allocate_sums_to_n_and_follows_shares():
    counts = allocate({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 100)
    assert sum(counts.values()) == 100 and sorted(counts.values()) == [33, 33, 34]
    assert allocate({"a": 0.625, "b": 0.375}, 8) == {"a": 5, "b": 3}
    assert allocate({"a": 0.0, "b": 1.0}, 7) == {"a": 0, "b": 7}


# ---- the seed table ------------------------------------------------------------------------------
def test_a_growing_category_grows_further_in_the_seed():
    then_rows = _subs(1000, {"basic": 0.8, "plus": 0.2}, seed=1)
    today = _subs(1000, {"basic": 0.55, "plus": 0.3, "max": 0.15}, seed=2)
    ref = DriftReference.of(then_rows, key="id", columns=["plan", "fee"])
    out = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=2.0, rows=600,
                           seed=7, reference=ref, then_day="2026-03-01")
    seed = out.seed_table
    assert list(seed.columns) == ["plan"] and len(seed) == 600
    got, now = _shares(seed["plan"]), _shares(today["plan"])
    # "max" was unseen then (0), so it doubles its share; "basic" shrank, so it shrinks again
    assert got["max"] > 1.6 * now["max"]
    assert got["basic"] < now["basic"] - 0.15
    levels = out.explanation()["levels"]
    assert levels["max"]["then"] == 0.0
    assert levels["basic"]["then"] == pytest.approx(_shares(then_rows["plan"])["basic"], abs=1e-4)
    assert levels["max"]["target"] == pytest.approx(got["max"], abs=2 / 600)
    assert out.explanation()["then"] == "rows the model of 2026-03-01 was fitted on"
    # the day's seed shuffles (same counts, another order on another day)
    again = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=2.0, rows=600,
                             seed=8, reference=ref, then_day="2026-03-01").seed_table
    assert _shares(again["plan"]) == got and again["plan"].tolist() != seed["plan"].tolist()


def test_factor_one_is_todays_mix():
    then_rows = _subs(800, {"basic": 0.8, "plus": 0.2}, seed=1)
    today = _subs(800, {"basic": 0.5, "plus": 0.5}, seed=2)
    out = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=1.0, rows=800,
                           seed=3, reference=DriftReference.of(then_rows, key="id"),
                           then_day="2026-03-01")
    assert out.seed_table["plan"].value_counts().to_dict() == today["plan"].value_counts().to_dict()


def test_rare_levels_never_appear_not_even_in_the_explanation():
    today = _subs(500, {"basic": 0.7, "plus": 0.3}, seed=2)
    today.loc[:RARE_K - 2, "plan"] = "vip_secret"  # RARE_K - 1 rows: rare
    out = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=3.0, rows=500,
                           seed=3, reference=DriftReference.of(_subs(500, {"basic": 1.0}, 1),
                                                               key="id"), then_day="2026-03-01")
    assert "vip_secret" not in set(out.seed_table["plan"])
    assert "vip_secret" not in repr(out.explanation())
    assert out.explanation()["rare_left_out"] == pytest.approx((RARE_K - 1) / 500)


def test_first_day_is_todays_mix_and_says_so():
    today = _subs(400, {"basic": 0.6, "plus": 0.4}, seed=2)
    today.loc[::10, "plan"] = None  # nulls are a level of their own
    out = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=2.0, rows=400,
                           seed=3, reference=None)
    info = out.explanation()
    assert info["then"] is None and "first day" in info["note"]
    assert all(v["then"] is None for v in info["levels"].values())
    assert out.seed_table["plan"].isna().sum() == today["plan"].isna().sum() == 40
    assert (out.seed_table["plan"].value_counts().to_dict()
            == today["plan"].value_counts().to_dict())


def test_refused_columns_name_the_field():
    today = _subs(200, {"basic": 0.6, "plus": 0.4}, seed=2)
    plan = _plan(today, pii=("owner",))
    for column, why in (("fee", "not categorical"), ("id", "can only fix a modelled column"),
                        ("owner", "PII column"), ("ghost", "not in the table")):
        with pytest.raises(ConfigError, match=why) as err:
            drift_seed_table(today, plan, TABLE, column=column, factor=2.0, rows=10, seed=1,
                             field="scenarios.s.follow_drift.column")
        assert err.value.field == "scenarios.s.follow_drift.column" and err.value.table == "subs"


# ---- the catalog ---------------------------------------------------------------------------------
def _catalog(scenario: dict, **table):
    data = {"tables": {"subs": {"primary_key": "id", "foreign_keys": {}, **table}},
            "scenarios": {"more_max": {"table": "subs", **scenario}}}
    return parse_catalog(data, "cat.yaml")


def test_catalog_takes_follow_drift_with_a_default_factor():
    sc = _catalog({"follow_drift": {"column": "plan"}}).scenarios["more_max"]
    assert sc.seed_table is None and sc.follow_drift.column == "plan"
    assert sc.follow_drift.factor == 2.0


@pytest.mark.parametrize("scenario, field, why", [
    ({}, "scenarios.more_max", "exactly one of seed_table and follow_drift"),
    ({"seed_table": "a.csv", "follow_drift": {"column": "plan"}}, "scenarios.more_max",
     "exactly one"),
    ({"follow_drift": {"column": "plan", "factor": -1}}, "scenarios.more_max.follow_drift.factor",
     "greater than or equal to 0"),
    ({"follow_drift": {"colum": "plan"}}, "scenarios.more_max.follow_drift", "colum"),
    ({"follow_drift": {"column": "id"}}, "scenarios.more_max.follow_drift.column", "is a key"),
    ({"follow_drift": {"column": "owner"}}, "scenarios.more_max.follow_drift.column", "PII"),
])
def test_catalog_refusals_are_one_line_naming_file_table_field(scenario, field, why):
    with pytest.raises(ConfigError) as err:
        _catalog(scenario, columns={"owner": {"entity": "PERSON"}})
    msg = str(err.value)
    assert "\n" not in msg and why in msg and "cat.yaml" in msg
    assert err.value.table == "subs" and err.value.field.startswith(field)


def test_catalog_follow_drift_column_is_checked_against_the_source():
    cat = _catalog({"follow_drift": {"column": "plann"}})
    with pytest.raises(ConfigError, match="'plann' is not in source table") as err:
        check_columns(cat, "subs", ["id", "plan", "fee"])
    assert err.value.field == "scenarios.more_max.follow_drift.column"
    check_columns(_catalog({"follow_drift": {"column": "plan"}}), "subs", ["id", "plan"])


def test_preflight_refuses_a_numeric_or_date_follow_drift_column():
    from tabletwin.config.preflight import check_follow_types

    types = {"id": "BIGINT", "plan": "VARCHAR", "fee": "DECIMAL(10,2)", "since": "DATE",
             "at": "timestamp with time zone", "flag": "BOOLEAN"}
    for column in ("plan", "flag"):
        check_follow_types(_catalog({"follow_drift": {"column": column}}), "subs", types)
    for column in ("fee", "since", "at"):
        with pytest.raises(ConfigError, match="not categorical") as err:
            check_follow_types(_catalog({"follow_drift": {"column": column}}), "subs", types)
        assert err.value.field == "scenarios.more_max.follow_drift.column"
        assert "cat.yaml" in str(err.value) and "\n" not in str(err.value)


def test_a_previous_model_without_the_column_falls_back_to_todays_mix():
    then_rows = _subs(500, {"basic": 0.9, "plus": 0.1}, seed=1)
    today = _subs(500, {"basic": 0.5, "plus": 0.5}, seed=2)
    out = drift_seed_table(today, _plan(today), TABLE, column="plan", factor=3.0, rows=500,
                           seed=3, reference=DriftReference.of(then_rows, key="id",
                                                               columns=["fee"]),
                           then_day="2026-03-01")
    assert "no reference of 'plan'" in out.note and out.explanation()["then"] is None
    assert out.seed_table["plan"].value_counts().to_dict() == today["plan"].value_counts().to_dict()


def test_only_a_model_fitted_today_is_handed_to_the_scenario():
    from types import SimpleNamespace

    from tabletwin.chain.drift_scenario import fitted_today

    model = SimpleNamespace(stamp_=SimpleNamespace(fitted_on="2026-03-02"))
    assert fitted_today(model, "2026-03-02") is model
    assert fitted_today(model, "2026-03-03") is None  # reused: may not know today's levels
    assert fitted_today(object(), "2026-03-02") is None
