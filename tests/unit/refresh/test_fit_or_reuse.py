"""Today's model: the stored one while the source has not drifted, else fitted now
(tabletwin.chain.refresh.fit_or_reuse), and what the run records about it."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from tabletwin.chain.refresh import fit_or_reuse
from tabletwin.chain.synthesis import model_of, synthesize
from tabletwin.config.catalog import GeneratorConfig, TableConfig
from tabletwin.pii import detect_pii

SALT = b"pseudonym-key-of-the-test"
TABLE = TableConfig(name="t", primary_key="id", generator=GeneratorConfig(name="auto"))


def source(seed=0, n=600, shift=0.0, start=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(start, start + n),
                         "amount": rng.lognormal(3 + shift, 1, n).round(2),
                         "kind": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])})


def model(stored, df, day, table=TABLE, **kw):
    plan = detect_pii(df, table="t", key_columns=["id"])
    return fit_or_reuse(stored, df, plan, table, day=day, source_schema="S", seed=7,
                        salt=SALT, **kw)


@pytest.fixture(scope="module")
def day1():
    return model(None, source(), "2026-11-28")


def test_first_day_fits_and_stamps(day1):
    gen, decision = day1
    assert decision.refit and decision.reason == "refit: no stored model"
    assert gen.stamp_.fitted_on == "2026-11-28" and gen.stamp_.reason == decision.reason
    assert SALT not in pickle.dumps(gen)  # the salt (pseudonym key) is never stored


def test_unchanged_source_reuses_the_same_model(day1):
    gen, _ = day1
    again, decision = model(gen, source(seed=1), "2026-11-29")
    assert again is gen and not decision.refit
    assert decision.reason == "reused model of 2026-11-28"
    assert gen.stamp_.note("2026-11-29") == "reused model of 2026-11-28"


def test_reuse_draws_different_rows_each_day(day1):
    gen, _ = day1
    df = source()
    plan = detect_pii(df, table="t", key_columns=["id"])
    a = synthesize(gen, plan, TABLE, n=200, seed=101, source=df, masked=df)
    b = synthesize(gen, plan, TABLE, n=200, seed=102, source=df, masked=df)
    assert not a.drop(columns="id").equals(b.drop(columns="id"))
    # the rows say what the run did with the model, for the history's `model` column
    assert model_of(a, "2026-11-28") == "refit: no stored model"
    assert model_of(a, "2026-11-30") == "reused model of 2026-11-28"


@pytest.mark.parametrize("today,kw,reason", [
    (source(seed=2, shift=1.0), {}, "refit: drift in amount"),
    (source(seed=2, n=800), {}, "refit: rows changed +33%"),
    (source(seed=2, n=597), {}, "refit: 3 row(s) of the fit day are gone from the source"),
    (source(seed=2), {"force": True}, "refit: asked (--refit)"),
])
def test_refit_on_drift_or_when_asked(day1, today, kw, reason):
    gen, _ = day1
    new, decision = model(gen, today, "2026-11-29", **kw)
    assert decision.refit and decision.reason.startswith(reason), decision.reason
    assert new is not gen and new.stamp_.fitted_on == "2026-11-29"


def test_a_changed_catalog_entry_refits(day1):
    gen, _ = day1
    _, decision = model(gen, source(seed=1), "2026-11-29",
                        table=TABLE.model_copy(update={"locale": "de_DE"}))
    assert decision.reason == "refit: the table's catalog entry changed"


def test_thresholds_come_from_the_catalog(day1):
    gen, _ = day1
    lax = TABLE.model_copy(update={"refit": TABLE.refit.model_copy(update={"psi_max": 50.0})})
    # a looser threshold is a catalog change (refit once), then the same drift is tolerated
    fresh, _ = model(None, source(), "2026-11-28", table=lax)
    _, decision = model(fresh, source(seed=2, shift=1.0), "2026-11-29", table=lax)
    assert not decision.refit, decision.reason


def test_new_keys_refit_and_deletions_can_be_tolerated(day1):
    gen, _ = day1
    grown = pd.concat([source(seed=2), source(seed=3, n=300, start=5000)], ignore_index=True)
    lax = TABLE.model_copy(update={"refit": TABLE.refit.model_copy(update={
        "rows_change_max": 1.0, "refit_on_deleted_rows": False})})
    fresh, _ = model(None, source(), "2026-11-28", table=lax)
    _, decision = model(fresh, grown, "2026-11-29", table=lax)
    assert decision.reason == "refit: 33% of today's keys are new"
    _, decision = model(fresh, source(seed=2, n=590), "2026-11-29", table=lax)
    assert not decision.refit and decision.drift.gone_keys == 10
