"""Refit or reuse: whether today's run fits a new model or draws fresh rows from the stored one.

Sampling a fitted model again costs no fit time (and, for a differentially private model, no
privacy budget), so the daily job reuses the model while the source stays close to the rows it was
fitted on. It refits when asked, when there is no usable model, when what the model was built from
changed (the source schema, the table's catalog entry, tabletwin's version), when the model is older
than ``refit_after_days``, or when today's source has drifted (:mod:`tabletwin.metrics.drift`):
a column's PSI above ``psi_max``, the row count changed by more than ``rows_change_max``, or more
than ``new_keys_max`` of today's keys are unknown to the model. The decision and its reason are
recorded with the run (history table, asset metadata): ``refit: drift in amount (PSI 0.31)`` or
``reused model of 2026-11-28``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from tabletwin.config.catalog import TableConfig
from tabletwin.metrics.drift import DriftReference, TableDrift


@dataclass(frozen=True)
class RefitPolicy:
    """When a stored model is too stale to reuse (catalog: ``refit:`` per table)."""

    refit_after_days: int = 7
    psi_max: float = 0.1  # Evidently's default threshold for PSI
    rows_change_max: float = 0.2
    new_keys_max: float = 0.2


@dataclass(frozen=True)
class ModelStamp:
    """What a stored model was built from, kept beside it."""

    fitted_on: str  # the partition day, ISO
    schema: str  # TableSchema.to_json() of the source
    catalog: str  # fingerprint of the table's catalog entry
    code_version: str
    reference: DriftReference


@dataclass(frozen=True)
class RefitDecision:
    refit: bool
    reason: str
    drift: TableDrift | None = None

    def as_metadata(self) -> dict:
        out = {"refit": self.refit, "reason": self.reason}
        if self.drift is not None:
            out["drift"] = self.drift.as_dict()
        return out


def catalog_fingerprint(table: TableConfig) -> str:
    """A short hash of the table's catalog entry (any edit to it changes the model's inputs)."""
    text = json.dumps(table.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def decide_refit(stamp: ModelStamp | None, *, day: dt.date, source: pd.DataFrame, schema: str,
                 catalog: str, code_version: str, policy: RefitPolicy = RefitPolicy(),
                 key: str | None = None, force: bool = False) -> RefitDecision:
    """Refit or reuse for ``day`` given the stored model's ``stamp`` and today's masked ``source``
    (only its modelled columns and ``key`` are read)."""
    if force:
        return RefitDecision(True, "refit: asked (--refit)")
    if stamp is None:
        return RefitDecision(True, "refit: no stored model")
    if stamp.schema != schema:
        return RefitDecision(True, "refit: the source schema changed")
    if stamp.catalog != catalog:
        return RefitDecision(True, "refit: the table's catalog entry changed")
    if stamp.code_version != code_version:
        return RefitDecision(True, f"refit: tabletwin {stamp.code_version} -> {code_version}")
    fitted = dt.date.fromisoformat(stamp.fitted_on)
    if fitted > day:
        return RefitDecision(True, f"refit: the stored model is of a later day ({fitted})")
    age = (day - fitted).days
    if age >= policy.refit_after_days:
        return RefitDecision(True, f"refit: model of {fitted} is {age} days old "
                                   f"(refit_after_days {policy.refit_after_days})")
    drift = stamp.reference.drift(source, key=key)
    return _drift_decision(drift, fitted, policy)


def _drift_decision(drift: TableDrift, fitted: dt.date, policy: RefitPolicy) -> RefitDecision:
    worst = drift.worst()
    if worst is not None and worst.psi > policy.psi_max:
        return RefitDecision(True, f"refit: drift in {worst.column} (PSI {worst.psi:.2f})", drift)
    if abs(drift.row_change) > policy.rows_change_max:
        return RefitDecision(True, f"refit: rows changed {drift.row_change:+.0%} "
                                   f"({drift.rows_then} -> {drift.rows_now})", drift)
    if drift.new_key_share is not None and drift.new_key_share > policy.new_keys_max:
        return RefitDecision(True, f"refit: {drift.new_key_share:.0%} of today's keys are new",
                             drift)
    return RefitDecision(False, f"reused model of {fitted}", drift)
