"""The scores :func:`tabletwin.quality.gate.evaluate` assembles from several calls: PII leaks
(keys included), the holdout scores (distance to closest record, TSTR), a rebalanced table's
per-class scores, rare-value copies and quasi-identifier uniqueness."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.config.catalog import TableConfig
from tabletwin.config.roles import split_source
from tabletwin.metrics.fidelity import FidelityScore, UtilityScore, class_fidelity, utility
from tabletwin.metrics.privacy import (DistanceScore, MinorityPrivacy, distance_scores,
                                       minority_privacy)
from tabletwin.metrics.rare_values import RareCopies, rare_value_copies
from tabletwin.pii.leakage import pii_leak_scan
from tabletwin.pii.plan import PiiPlan
from tabletwin.pii.quasi import unique_combination_share

#: Rebalanced tables: classes with fewer real rows are left out of the per-class fidelity (binned
#: histograms of a dozen rows are noise); their privacy is still checked (minority_not_copied).
CLASS_MIN_ROWS = 50


@dataclass(frozen=True)
class QuasiUniqueness:
    """Rows singled out by their quasi-identifier combination (dates of birth, ZIP, age + sex ...),
    as a share of the rows: the masked real table (what the generator learned from; generalised
    columns as masked) vs the synthetic one, on samples of the same size."""

    columns: tuple[str, ...]
    real: float
    synthetic: float
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "real_unique_share": round(self.real, 4),
                "synthetic_unique_share": round(self.synthetic, 4), "rows": self.rows}


def quasi_uniqueness(masked: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan,
                     seed: int = 0) -> QuasiUniqueness | None:
    """:class:`QuasiUniqueness` over the plan's quasi-identifier columns present in both tables
    (None without any). Uniqueness grows as a sample shrinks: the larger table is subsampled."""
    cols = [c for c in plan.quasi_identifiers if c in masked.columns and c in synthetic.columns]
    if not cols or len(masked) == 0 or len(synthetic) == 0:
        return None
    n = min(len(masked), len(synthetic))
    rng = np.random.default_rng(seed)

    def sample(df: pd.DataFrame) -> pd.DataFrame:
        return df.iloc[np.sort(rng.choice(len(df), n, replace=False))] if len(df) > n else df

    return QuasiUniqueness(tuple(cols), unique_combination_share(sample(masked), cols),
                           unique_combination_share(sample(synthetic), cols), n)


def leaks(source: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan,
           table: TableConfig) -> tuple[dict[str, int], dict[str, int]]:
    """(source PII values found per source column, output cells of columns the catalog keeps)."""
    keys = [k for k in table.key_columns if k in source.columns and k in synthetic.columns]
    # keys are fresh by construction: check they reuse no source key (same column only, since
    # small integers legitimately recur in other columns), and leave them out of the value scan
    found = pii_leak_scan(source, synthetic,
                          PiiPlan(plan.table, [d for d in plan.columns if d.column not in keys]))
    leaks = found.leaks
    for k in keys:
        leaks[k] = int(synthetic[k].isin(set(source[k].dropna().tolist())).sum())
    return leaks, found.kept


def holdout_scores(fit_part: pd.DataFrame, held: pd.DataFrame, synthetic: pd.DataFrame,
                    table: TableConfig, fid_cols: list[str], seed: int
                    ) -> tuple[DistanceScore | None, UtilityScore | None]:
    """Distances to closest record and TSTR, both against rows the generator never saw (None
    without at least two holdout rows and a modelled column; TSTR also needs a modelled target)."""
    if len(held) < 2 or not fid_cols:
        return None, None
    distances = distance_scores(fit_part, held, synthetic, columns=fid_cols, seed=seed)
    if not (table.target and table.target in fid_cols):
        return distances, None
    return distances, utility(fit_part[fid_cols], held[fid_cols], synthetic[fid_cols],
                              table.target, seed=seed)


@dataclass(frozen=True)
class RebalancedScores:
    """A rebalanced table's fidelity within each class, the class shares reached and each class's
    privacy (all empty, fidelity None, for a table that is not rebalanced)."""

    fidelity: FidelityScore | None = None
    class_accuracy: dict[str, float] = field(default_factory=dict)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    minority: dict[str, MinorityPrivacy] = field(default_factory=dict)

    @classmethod
    def of(cls, masked: pd.DataFrame, fit_part: pd.DataFrame, held: pd.DataFrame,
           synthetic: pd.DataFrame, table: TableConfig, fid_cols: list[str],
           seed: int) -> "RebalancedScores":
        rb = table.rebalance
        if rb is None or rb.column not in masked.columns or rb.column not in synthetic.columns:
            return cls()
        from tabletwin.synth.rebalance import class_masks

        real_m = class_masks(masked[rb.column], rb.shares)
        syn_m = class_masks(synthetic[rb.column], rb.shares)
        others = [c for c in fid_cols if c != rb.column]
        fid, class_acc = class_fidelity(masked, synthetic,
                                        {k: (real_m[k], syn_m[k]) for k in real_m}, others,
                                        min_rows=CLASS_MIN_ROWS, seed=seed)
        shares = {str(k): {"target": float(v), "actual": round(float(syn_m[str(k)].mean()), 4)}
                  for k, v in rb.shares.items()}
        minority: dict[str, MinorityPrivacy] = {}
        if len(held) >= 2:
            fit_m = class_masks(fit_part[rb.column], rb.shares)
            hold_m = class_masks(held[rb.column], rb.shares)
            for k in rb.shares:
                minority[str(k)] = minority_privacy(
                    fit_part[fit_m[str(k)]], held[hold_m[str(k)]],
                    synthetic[syn_m[str(k)]], columns=fid_cols, seed=seed,
                    identical_max=table.checks.identical_rows_max,
                    dcr_ratio_min=table.checks.minority_dcr_ratio_min)
        return cls(fid, class_acc or {}, shares, minority)


def rare_copies(source: pd.DataFrame, synthetic: pd.DataFrame, table: TableConfig,
                masked: pd.DataFrame, given: tuple[pd.DataFrame, pd.DataFrame] | None = None
                ) -> RareCopies | None:
    """Rare raw training values in the synthetic table, every column (the raw source split as the
    generator's rows were: as their ``masked`` rows are; or the caller's raw holdout rows
    ``given[0]``), or None without holdout rows."""
    training, holdout = (split_source(source, table, identity=masked) if given is None
                         else (source, given[0]))
    if len(holdout) == 0:
        return None
    return rare_value_copies(training, holdout, synthetic)
