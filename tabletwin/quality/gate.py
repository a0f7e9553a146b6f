"""The quality gate: every score a synthetic table must earn before publication.

``evaluate`` computes the scores once; ``QualityReport.outcomes`` turns them into named pass/fail
outcomes against the catalog's thresholds. Nothing here holds a data value: leak counts, shares and
column names only.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tabletwin.config import checks
from tabletwin.config.catalog import CheckThresholds, TableConfig
from tabletwin.config.roles import modelled_columns, split_source
from tabletwin.config.schema_change import NOT_FROM_WAREHOUSE, SchemaReview
from tabletwin.metrics.fidelity import (AssociationScore, FidelityScore, UtilityScore, associations,
                                        fidelity)
from tabletwin.metrics.privacy import DistanceScore, MinorityPrivacy
from tabletwin.metrics.rare_values import RareCopies
from tabletwin.metrics.relations import ParentData, RelationScore, relation_scores
from tabletwin.pii.plan import KEPT_BY_CATALOG as KEPT_NOTE
from tabletwin.pii.plan import PiiPlan
from tabletwin.quality import measures
from tabletwin.quality.expectations import ExpectationResults, run_suite, suite_for_table
# re-exported: callers import the outcome and the quasi-identifier score from the gate
from tabletwin.quality.measures import CLASS_MIN_ROWS, QuasiUniqueness, quasi_uniqueness
from tabletwin.quality.outcome import CheckOutcome, measured, not_measured
from tabletwin.quality.profile import TableProfile
from tabletwin.synth.constraints import violations

__all__ = ["CLASS_MIN_ROWS", "CheckOutcome", "QualityReport", "QuasiUniqueness", "evaluate",
           "quasi_uniqueness"]


@dataclass(frozen=True)
class QualityReport:
    table: str
    rows_expected: int
    rows_actual: int
    schema_expected: dict[str, str]
    schema_actual: dict[str, str]
    pii_leaks: dict[str, int]
    expectations: ExpectationResults
    fidelity: FidelityScore
    thresholds: CheckThresholds
    constraint_violations: dict[str, int] = field(default_factory=dict)
    distances: DistanceScore | None = None  # None: no holdout (holdout_share 0 or tiny table)
    associations: AssociationScore | None = None
    utility: UtilityScore | None = None  # None: the catalog names no target
    holdout_rows: int = 0
    generator: str = ""  # the fitted generator as shown to people (e.g. "auto: sequential_tree")
    relations: tuple[RelationScore, ...] = ()  # one per foreign key
    # rebalanced tables: accuracy within each class, shares reached, minority privacy per class
    class_accuracy: dict[str, float] = field(default_factory=dict)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> target/actual
    minority: dict[str, MinorityPrivacy] = field(default_factory=dict)
    rare_copies: RareCopies | None = None  # None: not computed (no holdout rows)
    # check name -> why it does not apply to this table (tabletwin.config.checks, from the catalog entry)
    not_applicable: dict[str, str] = field(default_factory=dict)
    # quasi-identifiers of the plan: share of rows whose combination is unique, real vs synthetic
    quasi_identifiers: QuasiUniqueness | None = None
    # PII columns the catalog keeps (action keep): cells of the output holding their real values
    kept_by_catalog: dict[str, int] = field(default_factory=dict)
    # why no real rows were held out, when the caller (not the catalog) decided it
    holdout_note: str = ""
    # the source's schema against the last published version's (None: not read from a warehouse)
    schema_review: SchemaReview | None = None

    @property
    def schema_problems(self) -> list[str]:
        exp, act = self.schema_expected, self.schema_actual
        problems = [f"missing column {c}" for c in exp if c not in act]
        problems += [f"unexpected column {c}" for c in act if c not in exp]
        problems += [f"column {c}: {act[c]} instead of {exp[c]}" for c in exp
                     if c in act and act[c] != exp[c]]
        if not problems and list(exp) != list(act):
            problems.append("column order differs")
        return problems

    def _no_holdout(self) -> str:
        if self.holdout_note:
            return self.holdout_note
        if self.thresholds.holdout_share == 0:
            return "holdout_share is 0 in the catalog, so no real rows were held out"
        if self.holdout_rows < 2:
            return (f"{self.holdout_rows} holdout row(s): the table is too small to hold rows "
                    "out of the fit")
        return "no modelled column to compare rows on"

    def outcomes(self) -> list[CheckOutcome]:
        """One outcome per check of :data:`tabletwin.config.checks.CHECKS`, in that order (computed
        once per report: the fields are frozen, so the outcomes cannot change)."""
        return list(self._outcomes)

    @functools.cached_property
    def _outcomes(self) -> tuple[CheckOutcome, ...]:
        # cached_property writes the instance __dict__ directly, past the frozen __setattr__;
        # dataclasses.replace builds a new report, which computes its own
        out = [*self._table_outcomes(), self._schema_change_outcome(), self._fidelity_outcome(),
               measured("constraints_hold", sum(self.constraint_violations.values()) == 0,
                         sum(self.constraint_violations.values()), 0,
                         {"violations": dict(self.constraint_violations)}),
               *self._distance_outcomes(), self._association_outcome(), self._utility_outcome(),
               *self._relation_outcomes(), self._minority_outcome(), self._rare_outcome(),
               self._kept_outcome()]
        return tuple(self._finish(out))

    def _table_outcomes(self) -> list[CheckOutcome]:
        """Schema, row count, PII leaks and the expectation suite."""
        t, ex = self.thresholds, self.expectations
        leaks = sum(self.pii_leaks.values())
        dev = abs(self.rows_actual - self.rows_expected) / max(self.rows_expected, 1)
        return [
            measured("schema_matches_source", not self.schema_problems,
                      len(self.schema_problems), 0, {"problems": self.schema_problems}),
            measured("row_count_matches", dev <= t.row_count_tolerance + 1e-12,
                      self.rows_actual, self.rows_expected),
            measured("no_pii_in_synthetic", leaks == 0, leaks, 0,
                      {"leaks_per_source_column": dict(self.pii_leaks),
                       "kept_by_catalog": sum(self.kept_by_catalog.values())}),
            measured("expectations_pass", ex.share >= t.expectations_min,
                      round(ex.share, 4), t.expectations_min,
                      {"evaluated": ex.evaluated, "failures": [asdict(f) for f in ex.failures],
                       "data_docs": ex.docs_index})
            if ex.evaluated else
            not_measured("expectations_pass", "the suite derived from the profile has no "
                          "expectation", t.expectations_min),
        ]

    @property
    def source_schema_json(self) -> str | None:
        """The source's schema as this run read it (JSON text, recorded in the run history);
        None when it was not read from a warehouse."""
        r = self.schema_review
        return r.current.to_json() if r is not None and r.current is not None else None

    def _schema_change_outcome(self) -> CheckOutcome:
        """Changes of the source's schema since the last published version: each added or
        retyped column (or key change) the catalog has not reviewed fails it; nothing to compare
        is not applicable, never a pass."""
        name, r = "schema_change_reviewed", self.schema_review
        if r is None or not r.compared:
            why = r.not_compared if r is not None else NOT_FROM_WAREHOUSE
            return CheckOutcome(name, checks.NOT_APPLICABLE, checks.get(name).description,
                                details={"note": f"not applicable: {why}"})
        return measured(name, not r.unreviewed, len(r.unreviewed), 0, r.details())

    def _fidelity_outcome(self) -> CheckOutcome:
        t, fid = self.thresholds, self.fidelity
        if not fid.columns:
            return not_measured("fidelity_above_threshold", "no modelled column", t.fidelity_min)
        note = "" if not self.class_accuracy else (
            " Rebalanced table: measured within each class of the rebalanced column (classes "
            f"with at least {CLASS_MIN_ROWS} real rows), classes weighing the same.")
        return measured(
            "fidelity_above_threshold", fid.accuracy >= t.fidelity_min,
            round(fid.accuracy, 4), t.fidelity_min,
            {"univariate": round(fid.univariate, 4), "bivariate": round(fid.bivariate, 4),
             "trivariate": round(fid.trivariate, 4),
             **({"per_class": dict(self.class_accuracy), "shares": dict(self.shares)}
                if self.class_accuracy else {})}, note)

    def _distance_outcomes(self) -> list[CheckOutcome]:
        t, d = self.thresholds, self.distances
        if d is None or d.rows == 0:
            return [not_measured("not_closer_to_training", self._no_holdout(), t.dcr_share_max),
                    not_measured("no_copied_rows", self._no_holdout(), t.identical_rows_max)]
        # chance coincidences on a small sample are not copies
        p = (d.ims_training + d.ims_holdout) / 2
        copied_max = t.identical_rows_max + 2.0 * math.sqrt(2.0 * p * (1.0 - p) / d.rows)
        return [
            measured("not_closer_to_training", d.dcr_share <= t.dcr_share_max,
                      round(d.dcr_share, 4), t.dcr_share_max,
                      {"rows": d.rows, "nndr_training": round(d.nndr_training, 4),
                       "nndr_holdout": round(d.nndr_holdout, 4)}),
            measured("no_copied_rows", d.ims_training - d.ims_holdout <= copied_max,
                      round(d.ims_training - d.ims_holdout, 4), round(copied_max, 4),
                      {"identical_to_training": round(d.ims_training, 4),
                       "identical_to_holdout": round(d.ims_holdout, 4),
                       "identical_rows_max": t.identical_rows_max, "rows": d.rows}),
        ]

    def _association_outcome(self) -> CheckOutcome:
        t, a = self.thresholds, self.associations
        if a is None or len(a.columns) < 2:
            return not_measured("correlations_preserved", "fewer than two modelled columns",
                                 t.correlation_diff_max)
        return measured("correlations_preserved", a.diff <= t.correlation_diff_max,
                         round(a.diff, 4), t.correlation_diff_max, {"columns": len(a.columns)})

    def _utility_outcome(self) -> CheckOutcome:
        t, d, u = self.thresholds, self.distances, self.utility
        if u is None:
            why = (self._no_holdout() if d is None or d.rows == 0 else
                   "the target is not a modelled column (a key, replaced PII or free text)")
            return not_measured("useful_for_ml", why, t.tstr_gap_max)
        return measured("useful_for_ml", u.gap <= t.tstr_gap_max, round(u.gap, 4),
                         t.tstr_gap_max,
                         {"target": u.target, "task": u.task,
                          "metric": "roc_auc" if u.task == "classification" else "r2",
                          "trained_on_real": round(u.real, 4),
                          "trained_on_synthetic": round(u.synthetic, 4)})

    def _relation_outcomes(self) -> list[CheckOutcome]:
        t, rel = self.thresholds, self.relations
        if not rel:
            why = "no parent rows at hand to compare with (a streamed parent table)"
            return [not_measured("no_orphan_keys", why, 0),
                    not_measured("children_per_parent_match", why, t.cardinality_min),
                    not_measured("joins_like_source", why, t.cross_table_min)]
        per_fk = {"foreign_keys": {
            r.column: {"parent": r.parent, "orphans": r.orphans,
                       "children_per_parent": round(r.cardinality, 4),
                       "cross_table": None if r.cross_table is None else round(r.cross_table, 4),
                       "pairs": r.pairs, "time_column": r.time_column,
                       "sequence": None if r.sequence is None else round(r.sequence, 4)}
            for r in rel}}
        card = min(r.cardinality for r in rel)
        cross = [r.cross_table for r in rel if r.cross_table is not None]
        return [
            measured("no_orphan_keys", sum(r.orphans for r in rel) == 0,
                      sum(r.orphans for r in rel), 0, per_fk),
            measured("children_per_parent_match", card >= t.cardinality_min, round(card, 4),
                      t.cardinality_min, per_fk),
            measured("joins_like_source", min(cross) >= t.cross_table_min, round(min(cross), 4),
                      t.cross_table_min, per_fk) if cross else
            not_measured("joins_like_source", "no parent and child column pair to compare "
                          "after the join", t.cross_table_min, per_fk),
        ]

    def _minority_outcome(self) -> CheckOutcome:
        t, m = self.thresholds, self.minority
        name = "minority_not_copied"
        details = {k: p.as_dict() for k, p in m.items()}
        done = [p for p in m.values() if p.measured]
        unmeasured = sorted(k for k, p in m.items() if not p.measured)
        if any(not p.passed for p in done):  # a measured class failing fails, whatever else
            ok = False
        elif not done or unmeasured:
            why = (self._no_holdout() if not m else
                   "fewer than 2 training, holdout or synthetic rows of class(es) "
                   + ", ".join(unmeasured))
            return not_measured(name, why, t.minority_dcr_ratio_min, details)
        else:
            ok = True
        worst = min(p.dcr_q05 / p.holdout_q05 if p.holdout_q05 > 0 else 1.0 for p in done)
        return measured(name, ok, round(worst, 4), t.minority_dcr_ratio_min, details)

    def _finish(self, out: list[CheckOutcome]) -> list[CheckOutcome]:
        """Registry order; checks that do not apply to the table replaced by a not_applicable
        outcome; each outcome's severity from the catalog."""
        t = self.thresholds
        by_name = {o.name: o for o in out}
        unknown = set(by_name) - set(checks.CHECK_NAMES)
        if unknown:  # a measured check must have its registry entry
            raise KeyError(f"checks missing from tabletwin.config.checks.CHECKS: {sorted(unknown)}")
        done = []
        for c in checks.CHECKS:
            o = by_name.get(c.name)
            why = self.not_applicable.get(c.name)
            if why is not None:
                o = CheckOutcome(c.name, checks.NOT_APPLICABLE, c.description,
                                 details={"note": f"not applicable: {why}"})
            elif o is None:
                raise KeyError(f"check {c.name} has no outcome in QualityReport.outcomes")
            severity = (t.not_measured_severity(c.name) if o.status == checks.NOT_MEASURED
                        else t.severity_of(c.name))
            done.append(dataclasses.replace(o, severity=severity))
        return done

    def _kept_outcome(self) -> CheckOutcome:
        """PII columns the catalog keeps: a visible exception, never a silent pass."""
        name = "no_pii_kept_by_catalog"
        if not self.kept_by_catalog:
            return CheckOutcome(name, checks.NOT_APPLICABLE, checks.get(name).description,
                                details={"note": "not applicable: no column the catalog keeps "
                                                 "is PII"})
        cells = sum(self.kept_by_catalog.values())
        return measured(name, cells == 0, cells, 0,
                         {"kept_by_catalog": dict(self.kept_by_catalog), "note": KEPT_NOTE})

    def _rare_outcome(self) -> CheckOutcome:
        r, excess_max = self.rare_copies, self.thresholds.rare_values_excess_max
        name = "no_rare_values_copied"
        if r is None or not r.measured:
            return not_measured(name, self._no_holdout(), excess_max)
        failing = r.failing(excess_max)
        column, excess, allowed = r.worst(excess_max)
        return measured(name, not failing, round(excess, 5), round(allowed, 5),
                         {"failing_columns": failing, "worst_column": column,
                          **r.details(excess_max)})

    @property
    def passed(self) -> bool:
        """True when no blocking (error-severity) check failed or went unmeasured."""
        return not any(o.blocking_failure for o in self._outcomes)

    @property
    def failed_checks(self) -> list[str]:
        return [o.name for o in self._outcomes if o.blocking_failure]

    @property
    def warnings(self) -> list[str]:
        """Checks that failed or were not measured at warn severity."""
        return [o.name for o in self._outcomes if o.flagged and o.severity == "warn"]

    @property
    def not_measured(self) -> list[str]:
        return [o.name for o in self._outcomes if o.status == checks.NOT_MEASURED]

    def scores(self) -> dict[str, Any]:
        """Check name -> value, for the checks that apply (None: not measured)."""
        return {o.name: o.value for o in self._outcomes if o.status != checks.NOT_APPLICABLE}

    def statuses(self) -> dict[str, str]:
        return {o.name: o.status for o in self._outcomes}


def _schema(df: pd.DataFrame) -> dict[str, str]:
    return {str(c): str(t) for c, t in df.dtypes.items()}


def evaluate(*, source: pd.DataFrame, masked: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan,
             profile: TableProfile, table: TableConfig, rows_expected: int,
             seed: int = 0, generator: str = "",
             parent_keys: dict[str, pd.Series] | None = None,
             parents: dict[str, ParentData] | None = None,
             docs_dir: str | Path | None = None, run_name: str | None = None,
             holdout: tuple[pd.DataFrame, pd.DataFrame] | None = None,
             holdout_note: str = "",
             schema_review: SchemaReview | None = None) -> QualityReport:
    """Score ``synthetic`` against the masked source (fidelity, expectations, schema, row count,
    constraints), against the holdout part the generator never saw (distance to closest record,
    copied rows, TSTR) and against the raw source (PII leakage).

    ``parent_keys`` (foreign-key column -> the parent's synthetic keys) defaults to the keys of
    ``parents``' synthetic tables. ``holdout`` (raw rows, the same rows masked) are real rows the
    generator never saw, given by the caller: then ``source`` and ``masked`` are all training
    rows and are not split (``holdout_note`` says why there are none when the caller has none).
    ``schema_review``: the source's schema changes since the last published version
    (:func:`tabletwin.config.schema_change.review`; None when not read from a warehouse)."""
    if parent_keys is None and parents:
        parent_keys = {c: p.synthetic[p.key] for c, p in parents.items()}
    text_cols = {c.name for c in profile.columns if c.kind == "text"}
    fid_cols = [c for c in modelled_columns(plan, table) if c not in text_cols]
    if holdout is None:
        fit_part, held = split_source(masked, table)
    else:
        fit_part, held = masked, holdout[1]
    specs = suite_for_table(profile, list(masked.columns), table, source=fit_part,
                            parent_keys={c: v.dropna().unique().tolist()
                                         for c, v in (parent_keys or {}).items()})
    leaks, kept = measures.leaks(source, synthetic, plan, table)
    distances, utility_score = measures.holdout_scores(fit_part, held, synthetic, table,
                                                       fid_cols, seed)
    rebalanced = measures.RebalancedScores.of(masked, fit_part, held, synthetic, table,
                                              fid_cols, seed)
    return QualityReport(
        table=table.name, rows_expected=rows_expected, rows_actual=len(synthetic),
        schema_expected=_schema(masked), schema_actual=_schema(synthetic),
        pii_leaks=leaks, kept_by_catalog=kept,
        expectations=run_suite(synthetic, specs, suite_name=f"{table.name}_synthetic",
                               docs_dir=docs_dir, run_name=run_name),
        fidelity=(rebalanced.fidelity if rebalanced.fidelity is not None
                  else fidelity(masked, synthetic, fid_cols, seed=seed)),
        thresholds=table.checks,
        constraint_violations=violations(synthetic, table.constraints),
        distances=distances,
        associations=associations(masked, synthetic, fid_cols, seed=seed) if fid_cols else None,
        utility=utility_score,
        holdout_rows=len(held), holdout_note=holdout_note,
        generator=generator or table.generator.name,
        relations=tuple(relation_scores(masked, synthetic, parents, fid_cols, seed=seed))
        if parents else (),
        class_accuracy=rebalanced.class_accuracy, shares=rebalanced.shares,
        minority=rebalanced.minority,
        rare_copies=measures.rare_copies(source, synthetic, table, masked, holdout),
        not_applicable=checks.not_applicable(table),
        quasi_identifiers=quasi_uniqueness(masked, synthetic, plan, seed),
        schema_review=schema_review,
    )


