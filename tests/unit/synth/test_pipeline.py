"""A composed generator (steps around one model) keeps the generator contract and tells callers
what its model tells them, without anyone opening it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.loader import parse_catalog
from tabletwin.errors import GeneratorError
from tabletwin.synth.constraints import ConstraintStep, violations
from tabletwin.synth.generators import TableMeta, make_generator
from tabletwin.synth.pipeline import Pipeline


def frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    low = np.round(rng.normal(10, 3, n), 1)
    return pd.DataFrame({"kind": rng.choice(["x", "y"], n, p=[0.7, 0.3]),
                         "low": low, "high": np.round(low + rng.gamma(2, 2, n), 1)})


CONSTRAINTS = parse_catalog({"tables": {"t": {"constraints": [
    {"kind": "inequality", "low": "low", "high": "high"}]}}}).table("t").constraints


@pytest.mark.parametrize("name, params", [("gaussian_copula", {}), ("sequential_tree", {}),
                                          ("auto", {"min_trial_rows": 10_000})])  # no trial
def test_composed_generator_keeps_the_contract(name, params):
    df = frame()
    step = ConstraintStep(CONSTRAINTS)
    gen = Pipeline(make_generator(name, params), [step])
    assert not any(k.endswith("_") for k in vars(gen)) and not any(
        k.endswith("_") for k in vars(step))  # parameters only until fitted
    assert gen.fit(df, TableMeta(table="t"), seed=0) is gen
    assert all(k.endswith("_") for k in set(vars(step)) - {"constraints"})
    a, b = gen.sample(400, seed=1), gen.sample(400, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert violations(a, CONSTRAINTS) == {c.label: 0 for c in CONSTRAINTS}
    # what callers read comes from the model, by contract: no attribute forwarding
    assert gen.describe() == gen.model.describe()
    assert gen.choice() == gen.model.choice()
    if name == "auto":
        assert "small table" in gen.choice()["reason"]
    assert gen.get_params() == {**gen.model.get_params(),
                                "constraints": [c.label for c in CONSTRAINTS]}
    assert not hasattr(gen, "reason_")
    # a free column is fixed as with any generator; a constrained one is refused by the step
    cond = pd.DataFrame({"kind": ["y"] * 50})
    out = gen.sample(seed=2, conditions=cond)
    assert (out["kind"] == "y").all() and (out["high"] >= out["low"]).all()
    with pytest.raises(GeneratorError, match="constraint involves: low"):
        gen.sample(seed=2, conditions=pd.DataFrame({"low": [1.0]}))
