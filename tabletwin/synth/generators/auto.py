"""``auto``: choose the generator for a table by its shape and a quick trial score.

Tables too small to split (fewer than ``min_trial_rows`` rows) get the first candidate that suits the
shape (the Gaussian copula for very wide tables, where a tree per column costs most, else the
sequential tree). Otherwise each candidate is fitted on a bounded sample of the table minus a holdout
part, samples as many rows as the holdout, and is scored on the holdout: accuracy (1 - TVD over uni-,
bi- and trivariate binned distributions) for fidelity, and the distance-to-closest-record share for
privacy. The best accuracy among candidates whose DCR share stays under ``max_dcr_share`` wins; the
winner is then fitted on the whole table. The trial scores are kept in ``trial_scores_`` so the choice
can be reviewed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tabletwin.errors import GeneratorError, InputError
from tabletwin.synth.generators.base import REGISTRY, Generator, TableMeta, make_generator, register


@register
class AutoGenerator(Generator):
    """Pick among registered generators by table shape and a trial score (see module docstring).

    Parameters
    ----------
    candidates: generator names tried, in order of preference on ties.
    trial_rows: most rows used by the trial (fit part + holdout part).
    holdout_share: share of the trial rows held out for scoring, in (0, 0.5].
    max_dcr_share: a candidate whose synthetic rows are closer to its training rows than to holdout
        rows more often than this is not chosen (about 0.5 for a model that copies nothing).
    min_trial_rows: below this many rows no trial is run; the choice is by shape alone.
    wide_columns: tables with more columns than this prefer the Gaussian copula without a trial.
    """

    name = "auto"

    def __init__(self, candidates: tuple[str, ...] | list[str] = ("sequential_tree", "gaussian_copula"),
                 trial_rows: int = 20_000, holdout_share: float = 0.3,
                 max_dcr_share: float = 0.6, min_trial_rows: int = 200, wide_columns: int = 300):
        self.candidates = candidates
        self.trial_rows = trial_rows
        self.holdout_share = holdout_share
        self.max_dcr_share = max_dcr_share
        self.min_trial_rows = min_trial_rows
        self.wide_columns = wide_columns

    def _validate(self, table: str) -> list[str]:
        names = list(self.candidates)
        if not names:
            raise GeneratorError("auto needs at least one candidate generator", table=table)
        for name in names:
            if name == self.name or name not in REGISTRY:
                raise GeneratorError(f"auto: unknown candidate generator {name!r} "
                                     f"(known: {', '.join(sorted(set(REGISTRY) - {self.name}))})",
                                     table=table)
        if not 0 < self.holdout_share <= 0.5:
            raise GeneratorError("auto: holdout_share must be in (0, 0.5]", table=table)
        if self.trial_rows < 20:
            raise GeneratorError("auto: trial_rows must be >= 20", table=table)
        return names

    def _fit(self, table: pd.DataFrame, meta: TableMeta, seed: int) -> None:
        from tabletwin.metrics.fidelity import fidelity
        from tabletwin.metrics.privacy import distance_scores, split_holdout

        names = self._validate(meta.table)
        if len(table) == 0:
            raise InputError("cannot fit a generator on an empty table", table=meta.table)
        scores: dict[str, dict[str, Any]] = {}
        if len(names) == 1:
            chosen, reason = names[0], "only candidate"
        elif table.shape[1] > self.wide_columns and "gaussian_copula" in names:
            chosen, reason = "gaussian_copula", f"wide table ({table.shape[1]} columns)"
        elif len(table) < self.min_trial_rows:
            chosen, reason = names[0], f"small table ({len(table)} rows): no trial"
        else:
            trial = table
            if len(table) > self.trial_rows:
                trial = table.sample(n=self.trial_rows, random_state=seed % 2**32)
            fit_part, hold = split_holdout(trial, self.holdout_share, seed)
            for name in names:
                gen = make_generator(name, table=meta.table).fit(fit_part, meta, seed=seed)
                syn = gen.sample(len(hold), seed=seed + 1)
                acc = fidelity(hold, syn).accuracy
                dist = distance_scores(fit_part, hold, syn, seed=seed)
                scores[name] = {"accuracy": round(acc, 4), "dcr_share": round(dist.dcr_share, 4)}
            ok = [n for n in names if scores[n]["dcr_share"] <= self.max_dcr_share] or names
            chosen = max(ok, key=lambda n: (scores[n]["accuracy"], -names.index(n)))
            reason = "best trial accuracy" + ("" if len(ok) == len(names) else
                                              " among candidates within the DCR bound")
        self.model_ = make_generator(chosen, table=meta.table).fit(table, meta, seed=seed)
        self.chosen_ = chosen
        self.reason_ = reason
        self.trial_scores_ = scores

    def describe(self) -> str:
        return f"auto: {self.chosen_}" if hasattr(self, "chosen_") else self.name

    def choice(self) -> dict[str, Any]:
        if not hasattr(self, "chosen_"):
            return super().choice()
        return {"reason": self.reason_, "trial_scores": self.trial_scores_}

    def _sample(self, n: int, seed: int) -> pd.DataFrame:
        return self.model_.sample(n, seed=seed)

    def leads_with(self, columns: list[str]) -> bool:
        return hasattr(self, "model_") and self.model_.leads_with(columns)

    def _sample_conditioned(self, conditions: pd.DataFrame, seed: int) -> pd.DataFrame:
        return self.model_.sample(seed=seed, conditions=conditions)  # as the chosen model does
