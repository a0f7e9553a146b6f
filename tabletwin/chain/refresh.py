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

from tabletwin.chain.synthesis import model_note
from tabletwin.config.catalog import RefitPolicy, TableConfig
from tabletwin.metrics.drift import DriftReference, TableDrift

__all__ = ["ModelStamp", "RefitDecision", "RefitPolicy", "catalog_fingerprint", "decide_refit",
           "fit_or_reuse"]


@dataclass(frozen=True)
class ModelStamp:
    """What a stored model was built from, kept beside it."""

    fitted_on: str  # the partition day, ISO
    schema: str  # TableSchema.to_json() of the source
    catalog: str  # fingerprint of the table's catalog entry
    code_version: str
    reference: DriftReference
    reason: str = "refit"  # why it was fitted: the refit decision's reason that day

    def note(self, partition: str) -> str:
        """What the run of ``partition`` did with this model: the reason it was fitted (that day)
        or ``reused model of <day>``."""
        return model_note(self.fitted_on, self.reason, partition)


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


def catalog_fingerprint(table: TableConfig, extra: object = None) -> str:
    """A short hash of the table's catalog entry (any edit to it changes the model's inputs) and
    of ``extra`` (e.g. the parent columns a child table is fitted on)."""
    text = json.dumps([table.model_dump(mode="json"), extra], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def decide_refit(stamp: ModelStamp | None, *, day: dt.date, source: pd.DataFrame, schema: str,
                 catalog: str, code_version: str, policy: RefitPolicy = RefitPolicy(),
                 key: str | None = None, salt: bytes = b"", rows: int | None = None,
                 keys: pd.Series | None = None, force: bool = False) -> RefitDecision:
    """Refit or reuse for ``day`` given the stored model's ``stamp`` and today's masked ``source``
    (only its modelled columns and ``key`` are read; ``rows``: the source's row count when
    ``source`` is a sample of it; ``keys``: every key of today's source, when ``source`` is a
    sample)."""
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
    drift = stamp.reference.drift(source, key=key, salt=salt, rows=rows, keys=keys)
    return _drift_decision(drift, fitted, policy)


def _drift_decision(drift: TableDrift, fitted: dt.date, policy: RefitPolicy) -> RefitDecision:
    worst = drift.worst()
    if worst is not None and worst.psi > policy.psi_max:
        return RefitDecision(True, f"refit: drift in {worst.column} (PSI {worst.psi:.2f})", drift)
    if abs(drift.row_change) > policy.rows_change_max:
        return RefitDecision(True, f"refit: rows changed {drift.row_change:+.0%} "
                                   f"({drift.rows_then} -> {drift.rows_now})", drift)
    if policy.refit_on_deleted_rows and drift.gone_keys:
        return RefitDecision(True, f"refit: {drift.gone_keys} row(s) of the fit day are gone from "
                                   "the source (a model does not outlive a deletion)", drift)
    if drift.new_key_share is not None and drift.new_key_share > policy.new_keys_max:
        return RefitDecision(True, f"refit: {drift.new_key_share:.0%} of today's keys are new",
                             drift)
    return RefitDecision(False, f"reused model of {fitted}", drift)


def fit_or_reuse(stored, masked: pd.DataFrame, plan, table: TableConfig, *, day: str,
                 source_schema: str, seed: int, salt: bytes = b"", rows: int | None = None,
                 keys: pd.Series | None = None, parents: dict | None = None,
                 force: bool = False):
    """Today's model of ``table`` and the decision that made it: ``stored`` (the model of the
    last published day, None when there is none) when it is still good for ``day``'s masked rows,
    else a model fitted now (:func:`tabletwin.chain.scenarios.fit_table_generator`) stamped with
    what it was fitted on (``stamp_``: :class:`ModelStamp`). ``salt``: the secret keying the
    digests of the primary key (the pseudonym key; never stored); ``rows`` and ``keys``: the
    source's row count and every key when ``masked`` is a sample of it; ``parents``: as for the
    fit (a child table's parent columns are part of what the model was built from)."""
    from tabletwin.chain.scenarios import fit_table_generator
    from tabletwin.config.roles import modelled_columns
    from tabletwin.version import code_version

    columns = [c for c in modelled_columns(plan, table) if c in masked.columns]
    key = table.primary_key if table.primary_key in masked.columns else None
    fingerprint = catalog_fingerprint(
        table, {col: list(p.columns) for col, p in sorted((parents or {}).items())})
    decision = decide_refit(getattr(stored, "stamp_", None), day=dt.date.fromisoformat(day),
                            source=masked[columns + ([key] if key else [])],
                            schema=source_schema, catalog=fingerprint,
                            code_version=code_version(), policy=table.refit, key=key, salt=salt,
                            rows=rows, keys=keys, force=force)
    if not decision.refit:
        return stored, decision
    model = fit_table_generator(masked, plan, table, seed=seed, parents=parents)
    model.stamp_ = ModelStamp(
        fitted_on=day, schema=source_schema, catalog=fingerprint, code_version=code_version(),
        reference=DriftReference.of(masked, key=key, salt=salt, columns=columns, rows=rows,
                                    keys=keys),
        reason=decision.reason)
    return model, decision
