"""The constructor parameters of the built-in generators, without importing them.

Loading a catalog checks ``generator.name`` and ``generator.params`` (tabletwin.config.loader);
importing the generators for that pulls in scikit-learn and SciPy, seconds on every ``tabletwin
report`` or ``plan``. :data:`GENERATOR_PARAMS` holds the same facts statically: for each built-in
generator of :mod:`tabletwin.synth.generators`, its constructor's parameters and their defaults
(the catalog check compares a value's type with its default's). ``tests/unit/synth/
test_generator_params.py`` keeps it equal to the registered classes' signatures, so a parameter
added to a generator without adding it here fails the unit tests. Generators registered by other
code (``register``) are looked up in the registry itself (:func:`generator_params`).
"""

from __future__ import annotations

import inspect
from typing import Any

from tabletwin.protection import RARE_K

__all__ = ["GENERATOR_PARAMS", "PARAM_BOUNDS", "bound_problem", "constructor_params",
           "generator_params"]

#: built-in generator name -> {constructor parameter: default}
GENERATOR_PARAMS: dict[str, dict[str, Any]] = {
    "auto": {"candidates": ("sequential_tree", "gaussian_copula"), "trial_rows": 20_000,
             "holdout_share": 0.3, "max_dcr_share": 0.6, "min_trial_rows": 200,
             "wide_columns": 300},
    "gaussian_copula": {"shrinkage": 0.01, "chunk_rows": 100_000, "rare_k": RARE_K},
    "sequential_tree": {"min_samples_leaf": 80, "leaf_scale": 0.5, "smoothing": 10.0,
                        "n_bins": 64, "max_levels": 50, "rare_k": 5, "max_parents": 20,
                        "chunk_rows": 100_000, "n_jobs": None, "first": ()},
}


#: built-in generator name -> {numeric parameter: (lowest, highest, how the range is said)}: the
#: values each generator refuses when it fits (its own checks: GaussianCopula._fit,
#: SequentialTree._validate, AutoGenerator._validate), checked here at load already.
#: ``lowest`` / ``highest`` are inclusive unless the text says ``(`` / ``)``; None: unbounded.
PARAM_BOUNDS: dict[str, dict[str, tuple[float | None, float | None, str]]] = {
    "auto": {"holdout_share": (0.0, 0.5, "in (0, 0.5]"), "trial_rows": (20, None, ">= 20")},
    "gaussian_copula": {"shrinkage": (0.0, 1.0, "in [0, 1)"), "rare_k": (1, None, ">= 1")},
    "sequential_tree": {"min_samples_leaf": (1, None, ">= 1"), "leaf_scale": (0, None, ">= 0"),
                        "smoothing": (0, None, ">= 0"), "n_bins": (2, None, ">= 2"),
                        "max_levels": (1, None, ">= 1"), "rare_k": (1, None, ">= 1"),
                        "max_parents": (0, None, ">= 0"), "chunk_rows": (1, None, ">= 1"),
                        "n_jobs": (1, None, ">= 1")},
}


def bound_problem(name: str, key: str, value: Any) -> str | None:
    """``must be in [0, 1)`` when the number ``value`` of parameter ``key`` of built-in generator
    ``name`` lies outside :data:`PARAM_BOUNDS`; None otherwise (and for non-numbers, which the
    type check refuses)."""
    bound = PARAM_BOUNDS.get(name, {}).get(key)
    if bound is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    low, high, said = bound
    below = low is not None and (value <= low if said.startswith("in (") else value < low)
    above = high is not None and (value >= high if said.endswith(")") else value > high)
    return f"must be {said}" if below or above else None


def constructor_params(cls: type) -> dict[str, Any]:
    """``cls.__init__``'s named parameters (not ``self``, ``*args``, ``**kwargs``) -> their
    defaults (``inspect.Parameter.empty`` for a required one)."""
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
            if k != "self" and p.kind not in variadic}


def generator_params(name: str) -> dict[str, Any] | None:
    """The constructor parameters (-> defaults) of generator ``name``; None when no generator has
    that name. Built-in generators come from :data:`GENERATOR_PARAMS` (no import); any other name
    imports the registry (seconds) to find a generator registered by other code."""
    if name in GENERATOR_PARAMS:
        return GENERATOR_PARAMS[name]
    from tabletwin.synth.generators import REGISTRY

    cls = REGISTRY.get(name)
    return None if cls is None else constructor_params(cls)
