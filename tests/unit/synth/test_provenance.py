"""Synthetic rows name the generator that sampled them (tabletwin.chain.synthesis.made_by), so the
quality report needs no edge to the fitted model."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from tabletwin.chain.synthesis import GENERATOR_ATTR, fit_generator, made_by, synthesize
from tabletwin.config.catalog import GeneratorConfig, TableConfig
from tabletwin.pii import detect_pii


def test_synthetic_rows_carry_their_generator_through_storage(tmp_path):
    rng = np.random.default_rng(0)
    source = pd.DataFrame({"id": np.arange(1, 401), "amount": rng.lognormal(3, 1, 400).round(2),
                           "kind": rng.choice(["a", "b", "c"], 400)})
    table = TableConfig(name="t", primary_key="id", generator=GeneratorConfig(name="auto"))
    plan = detect_pii(source, table="t", key_columns=["id"])
    gen = fit_generator(source, plan, table, seed=1)
    syn = synthesize(gen, plan, table, n=50, seed=2, source=source, masked=source)
    assert gen.describe().startswith("auto: ")  # what auto chose, not only "auto"
    assert made_by(syn) == gen.describe()
    # the IO manager stores DataFrames as Parquet and other values pickled: both keep it
    syn.to_parquet(tmp_path / "s.parquet", index=False)
    assert made_by(pd.read_parquet(tmp_path / "s.parquet")) == gen.describe()
    assert made_by(pickle.loads(pickle.dumps(syn))) == gen.describe()
    assert made_by(source) == "" and GENERATOR_ATTR not in source.attrs
