"""The static table of the built-in generators' parameters (what a catalog is checked against at
load, without importing scikit-learn) stays equal to the generators' own constructors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tabletwin.errors import GeneratorError
from tabletwin.synth import generators
from tabletwin.synth.generator_params import (GENERATOR_PARAMS, PARAM_BOUNDS, bound_problem,
                                              constructor_params, generator_params)


def _built_in() -> dict[str, type]:
    classes = (getattr(generators, n) for n in generators.__all__)
    return {c.name: c for c in classes
            if isinstance(c, type) and issubclass(c, generators.Generator)
            and c is not generators.Generator}


def test_table_names_every_built_in_generator_and_only_those():
    built_in = _built_in()
    assert set(GENERATOR_PARAMS) == set(built_in)
    assert set(built_in) <= set(generators.REGISTRY)


def test_table_matches_each_constructor():
    for name, cls in _built_in().items():
        assert GENERATOR_PARAMS[name] == constructor_params(cls), name


def test_a_generator_registered_elsewhere_is_found_in_the_registry(monkeypatch):
    class Custom(generators.Generator):
        name = "custom_for_test"

        def __init__(self, depth: int = 3):
            self.depth = depth

    monkeypatch.setitem(generators.REGISTRY, Custom.name, Custom)
    assert generator_params("custom_for_test") == {"depth": 3}
    assert generator_params("no_such_generator") is None


def test_loading_a_catalog_does_not_import_the_generators(tmp_path):
    """The point of the table: a catalog naming generators and params loads (and is checked)
    without scikit-learn, SciPy or the generator modules."""
    catalog = tmp_path / "tabletwin.yaml"
    catalog.write_text(
        "tables:\n"
        "  a: {generator: {name: gaussian_copula, params: {shrinkage: 0.02}}}\n"
        "  b: {generator: {name: auto, params: {candidates: [gaussian_copula]}}}\n"
        "  c: {generator: {name: sequential_tree, params: {n_bins: 32, first: [x]}}}\n")
    code = ("import sys; from tabletwin.config.loader import load_catalog; "
            f"load_catalog({str(catalog)!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy') "
            "or m.startswith('tabletwin.synth.generators')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _outside(low, high, said: str, default) -> list:
    """Values just outside a bound (an exclusive end itself, else one step past it)."""
    step = 1 if isinstance(default, int) or default is None else 0.5
    out = []
    if low is not None:
        out.append(low if said.startswith("in (") else low - step)
    if high is not None:
        out.append(high if said.endswith(")") else high + step)
    return out


BOUNDED = [(name, key, bad) for name, bounds in PARAM_BOUNDS.items()
           for key, (low, high, said) in bounds.items()
           for bad in _outside(low, high, said, GENERATOR_PARAMS[name][key])]


def test_bounds_name_known_parameters_and_pass_the_defaults():
    for name, bounds in PARAM_BOUNDS.items():
        for key in bounds:
            assert key in GENERATOR_PARAMS[name], (name, key)
            assert bound_problem(name, key, GENERATOR_PARAMS[name][key]) is None, (name, key)


@pytest.mark.parametrize("name,key,bad", BOUNDED)
def test_a_value_refused_at_load_is_refused_by_the_generator_when_it_fits(name, key, bad):
    """The static bounds say what the generators themselves refuse: no value the catalog check
    refuses would have fitted."""
    assert bound_problem(name, key, bad) is not None
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b", "c"], 300)})
    with pytest.raises(GeneratorError, match=key):
        generators.make_generator(name, {key: bad}).fit(frame, seed=0)
