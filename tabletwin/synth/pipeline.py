"""Steps composed around one model: what a catalog table's generator is when it has constraints
or is a child table conditioned on its parents.

A :class:`Step` learns on the table before the model does (``fit_transform``: the constraint step
re-expresses a column as a gap, the relation step joins the parents' columns) and finishes what the
model sampled (``before_sample`` turns the request into the model's conditions, ``after_sample``
rebuilds columns). :class:`Pipeline` runs its steps in order around the model, as scikit-learn's
``Pipeline`` runs transformers before an estimator and SDV's hierarchical sampler draws a child
table's rows from its parents' synthetic rows: a step never opens the model nor changes its
settings. What a step needs from the model goes through the generator contract: conditions
(``sample(conditions=)``) and the columns it will fix (``TableMeta.fixed`` when fitting).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from tabletwin.synth.generators.base import Generator, TableMeta


class Step:
    """One step around a model. ``__init__`` stores parameters; ``fit_transform`` learns (state
    ending in ``_``) and returns the table and meta the next step (or the model) fits on."""

    def fit_transform(self, table: pd.DataFrame, meta: TableMeta,
                      seed: int) -> tuple[pd.DataFrame, TableMeta]:
        return table, meta

    def before_sample(self, n: int, seed: int, conditions: pd.DataFrame | None,
                      parents: Mapping[str, pd.DataFrame] | None
                      ) -> tuple[pd.DataFrame | None, Any]:
        """The conditions passed on toward the model, and what ``after_sample`` needs."""
        return conditions, None

    def after_sample(self, frame: pd.DataFrame, state: Any) -> pd.DataFrame:
        return frame

    def describe(self, text: str) -> str:
        """The composed generator's description, given the one of what this step wraps."""
        return text

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The composed generator's parameters, given those of what this step wraps."""
        return params


class Pipeline(Generator):
    """``steps`` (outermost first) around ``model``: fitted in that order, the model last; sampled
    with each step's conditions passed inward and each step's finishing applied outward.

    Parameters
    ----------
    model: the (unfitted) generator of the table's columns, as the catalog names it.
    steps: :class:`Step` objects, e.g. ``[RelationStep(...), ConstraintStep(...)]``.
    """

    name = "pipeline"

    def __init__(self, model: Generator, steps: Sequence[Step] = ()):
        self.model = model
        self.steps = steps

    def _fit(self, table: pd.DataFrame, meta: TableMeta, seed: int) -> None:
        for step in self.steps:
            table, meta = step.fit_transform(table, meta, seed)
        self.model.fit(table, meta, seed=seed)

    def _draw(self, n: int, seed: int, conditions: pd.DataFrame | None,
              parents: Mapping[str, pd.DataFrame] | None) -> pd.DataFrame:
        states = []
        for step in self.steps:
            conditions, state = step.before_sample(n, seed, conditions, parents)
            states.append(state)
        frame = self.model.sample(n, seed=seed, conditions=conditions)
        for step, state in zip(reversed(self.steps), reversed(states)):
            frame = step.after_sample(frame, state)
        return frame

    def describe(self) -> str:
        text = self.model.describe()
        for step in reversed(self.steps):
            text = step.describe(text)
        return text

    def get_params(self) -> dict[str, Any]:
        params = self.model.get_params()
        for step in reversed(self.steps):
            params = step.params(params)
        return params

    def choice(self) -> dict[str, Any]:
        return self.model.choice()
