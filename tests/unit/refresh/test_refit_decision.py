"""Refit or reuse (tabletwin.chain.refresh.decide_refit)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tabletwin.chain.refresh import ModelStamp, RefitPolicy, decide_refit
from tabletwin.metrics.drift import DriftReference

DAY = dt.date(2026, 11, 28)


def source(n=2000, seed=0, shift=0.0, start=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(start, start + n), "amount": rng.normal(100 + shift, 10, n),
                         "kind": rng.choice(["a", "b", "c"], n)})


def stamp(df=None, **kw):
    df = source() if df is None else df
    base = dict(fitted_on=DAY.isoformat(), schema="S", catalog="C", code_version="1",
                reference=DriftReference.of(df, key="id"))
    return ModelStamp(**{**base, **kw})


def decide(st, *, day=DAY + dt.timedelta(days=1), df=None, **kw):
    args = dict(day=day, source=source(seed=1) if df is None else df, schema="S", catalog="C",
                code_version="1", key="id")
    return decide_refit(st, **{**args, **kw})


def test_unchanged_source_reuses_the_model():
    d = decide(stamp())
    assert not d.refit and d.reason == "reused model of 2026-11-28"


@pytest.mark.parametrize("kw,reason", [
    (dict(force=True), "refit: asked (--refit)"),
    (dict(schema="S2"), "refit: the source schema changed"),
    (dict(catalog="C2"), "refit: the table's catalog entry changed"),
    (dict(code_version="2"), "refit: tabletwin 1 -> 2"),
])
def test_refit_reasons(kw, reason):
    d = decide(stamp(), **kw)
    assert d.refit and d.reason == reason


def test_no_model_refits():
    assert decide(None).reason == "refit: no stored model"


def test_age_limit():
    d = decide(stamp(), day=DAY + dt.timedelta(days=7))
    assert d.refit and "7 days old" in d.reason
    assert not decide(stamp(), day=DAY + dt.timedelta(days=6)).refit


def test_drift_threshold():
    d = decide(stamp(), df=source(seed=1, shift=8))
    assert d.refit and d.reason.startswith("refit: drift in amount (PSI")
    # the same shift passes a looser threshold
    assert not decide(stamp(), df=source(seed=1, shift=8), policy=RefitPolicy(psi_max=10)).refit


def test_five_percent_new_rows_reuse_but_thirty_percent_refit():
    assert not decide(stamp(), df=source(n=2100, seed=0)).refit
    d = decide(stamp(), df=source(n=2000, seed=0, start=700))  # 700 rows gone, 700 new
    assert d.refit and d.reason.startswith("refit: 700 row(s) of the fit day are gone")
    d = decide(stamp(), df=source(n=2000, seed=0, start=700),
               policy=RefitPolicy(refit_on_deleted_rows=False))
    assert d.refit and d.reason == "refit: 35% of today's keys are new"
