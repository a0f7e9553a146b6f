"""The quality gate: every score a synthetic table must earn before publication.

``evaluate`` computes the scores once; ``QualityReport.outcomes`` turns them into named pass/fail
outcomes against the catalog's thresholds. Nothing here holds a data value: leak counts, shares and
column names only.
"""

from __future__ import annotations

import dataclasses
import math

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.config import checks
from tabletwin.config.catalog import CheckThresholds, TableConfig
from tabletwin.synth.constraints import violations
from tabletwin.quality.expectations import ExpectationResults, run_suite, suite_for_table
from tabletwin.metrics.fidelity import (AssociationScore, FidelityScore, UtilityScore, associations,
                               class_fidelity, fidelity, utility)
from tabletwin.pii.leakage import pii_leak_scan
from tabletwin.pii.plan import KEPT_BY_CATALOG as KEPT_NOTE
from tabletwin.pii.plan import PiiPlan
from tabletwin.pii.quasi import unique_combination_share
from tabletwin.quality.profile import TableProfile
from tabletwin.metrics.rare_values import RareCopies, rare_value_copies
from tabletwin.metrics.privacy import DistanceScore, MinorityPrivacy, distance_scores, minority_privacy
from tabletwin.metrics.relations import ParentData, RelationScore, relation_scores
from tabletwin.config.roles import modelled_columns, split_source


#: Rebalanced tables: classes with fewer real rows are left out of the per-class fidelity (binned
#: histograms of a dozen rows are noise); their privacy is still checked (minority_not_copied).
CLASS_MIN_ROWS = 50


@dataclass(frozen=True)
class CheckOutcome:
    """name: a predicate (e.g. ``no_pii_in_synthetic``, see :mod:`tabletwin.config.checks`); ``status``:
    passed, failed, not_applicable or not_measured; value/threshold for display; severity
    ``error`` blocks publication when the check fails (or, with ``checks.not_measured: error``,
    when it was not measured), ``warn`` only reports it."""

    name: str
    status: str
    description: str
    value: float | int | None = None
    threshold: float | int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.status not in checks.STATUSES:
            raise ValueError(f"check {self.name}: unknown status {self.status!r}")

    @property
    def passed(self) -> bool:
        """Measured and within its threshold; never true for a check that did not measure."""
        return self.status == checks.PASSED

    @property
    def flagged(self) -> bool:
        """Failed, or applies and was not measured: reported as a failure of its severity."""
        return self.status in (checks.FAILED, checks.NOT_MEASURED)

    @property
    def blocking_failure(self) -> bool:
        return self.flagged and self.severity == "error"

    @property
    def label(self) -> str:
        """How the status reads to people: pass, FAIL, warn, not measured, not applicable."""
        if self.status == checks.FAILED and self.severity == "warn":
            return "warn"
        return checks.STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        """What ``synth --json`` and the report JSON print for the check."""
        return {"name": self.name, "status": self.status, "value": self.value,
                "threshold": self.threshold, "severity": self.severity,
                "description": self.description, "details": self.details}


def _measured(name: str, ok: bool, value: Any, threshold: Any,
              details: dict[str, Any] | None = None, note: str = "") -> CheckOutcome:
    return CheckOutcome(name, checks.PASSED if ok else checks.FAILED,
                        checks.get(name).description + note, value, threshold, details or {})


def _not_measured(name: str, why: str, threshold: Any = None,
                  details: dict[str, Any] | None = None) -> CheckOutcome:
    return CheckOutcome(name, checks.NOT_MEASURED, checks.get(name).description, None,
                        threshold, {"note": f"not measured: {why}", **(details or {})})


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
        """One outcome per check of :data:`tabletwin.config.checks.CHECKS`, in that order."""
        t = self.thresholds
        leaks = sum(self.pii_leaks.values())
        tol = t.row_count_tolerance
        dev = abs(self.rows_actual - self.rows_expected) / max(self.rows_expected, 1)
        d, a, u = self.distances, self.associations, self.utility
        ex, fid = self.expectations, self.fidelity
        out = [
            _measured("schema_matches_source", not self.schema_problems,
                      len(self.schema_problems), 0, {"problems": self.schema_problems}),
            _measured("row_count_matches", dev <= tol + 1e-12, self.rows_actual,
                      self.rows_expected),
            _measured("no_pii_in_synthetic", leaks == 0, leaks, 0,
                      {"leaks_per_source_column": dict(self.pii_leaks),
                       "kept_by_catalog": sum(self.kept_by_catalog.values())}),
            _measured("expectations_pass", ex.share >= t.expectations_min,
                      round(ex.share, 4), t.expectations_min,
                      {"evaluated": ex.evaluated, "failures": [asdict(f) for f in ex.failures],
                       "data_docs": ex.docs_index})
            if ex.evaluated else
            _not_measured("expectations_pass", "the suite derived from the profile has no "
                          "expectation", t.expectations_min),
        ]
        if not fid.columns:
            out.append(_not_measured("fidelity_above_threshold", "no modelled column",
                                     t.fidelity_min))
        else:
            note = "" if not self.class_accuracy else (
                " Rebalanced table: measured within each class of the rebalanced column (classes "
                f"with at least {CLASS_MIN_ROWS} real rows), classes weighing the same.")
            out.append(_measured(
                "fidelity_above_threshold", fid.accuracy >= t.fidelity_min,
                round(fid.accuracy, 4), t.fidelity_min,
                {"univariate": round(fid.univariate, 4), "bivariate": round(fid.bivariate, 4),
                 "trivariate": round(fid.trivariate, 4),
                 **({"per_class": dict(self.class_accuracy), "shares": dict(self.shares)}
                    if self.class_accuracy else {})}, note))
        out.append(_measured("constraints_hold", sum(self.constraint_violations.values()) == 0,
                             sum(self.constraint_violations.values()), 0,
                             {"violations": dict(self.constraint_violations)}))
        if d is None or d.rows == 0:
            out += [_not_measured("not_closer_to_training", self._no_holdout(), t.dcr_share_max),
                    _not_measured("no_copied_rows", self._no_holdout(), t.identical_rows_max)]
        else:
            # chance coincidences on a small sample are not copies
            p = (d.ims_training + d.ims_holdout) / 2
            copied_max = t.identical_rows_max + 2.0 * math.sqrt(2.0 * p * (1.0 - p) / d.rows)
            out += [
                _measured("not_closer_to_training", d.dcr_share <= t.dcr_share_max,
                          round(d.dcr_share, 4), t.dcr_share_max,
                          {"rows": d.rows, "nndr_training": round(d.nndr_training, 4),
                           "nndr_holdout": round(d.nndr_holdout, 4)}),
                _measured("no_copied_rows", d.ims_training - d.ims_holdout <= copied_max,
                          round(d.ims_training - d.ims_holdout, 4), round(copied_max, 4),
                          {"identical_to_training": round(d.ims_training, 4),
                           "identical_to_holdout": round(d.ims_holdout, 4),
                           "identical_rows_max": t.identical_rows_max, "rows": d.rows}),
            ]
        if a is None or len(a.columns) < 2:
            out.append(_not_measured("correlations_preserved", "fewer than two modelled columns",
                                     t.correlation_diff_max))
        else:
            out.append(_measured("correlations_preserved", a.diff <= t.correlation_diff_max,
                                 round(a.diff, 4), t.correlation_diff_max,
                                 {"columns": len(a.columns)}))
        if u is None:
            why = (self._no_holdout() if d is None or d.rows == 0 else
                   "the target is not a modelled column (a key, replaced PII or free text)")
            out.append(_not_measured("useful_for_ml", why, t.tstr_gap_max))
        else:
            out.append(_measured("useful_for_ml", u.gap <= t.tstr_gap_max, round(u.gap, 4),
                                 t.tstr_gap_max,
                                 {"target": u.target, "task": u.task,
                                  "metric": "roc_auc" if u.task == "classification" else "r2",
                                  "trained_on_real": round(u.real, 4),
                                  "trained_on_synthetic": round(u.synthetic, 4)}))
        out += self._relation_outcomes()
        out.append(self._minority_outcome())
        out.append(self._rare_outcome())
        out.append(self._kept_outcome())
        return self._finish(out)

    def _relation_outcomes(self) -> list[CheckOutcome]:
        t, rel = self.thresholds, self.relations
        if not rel:
            why = "no parent rows at hand to compare with (a streamed parent table)"
            return [_not_measured("no_orphan_keys", why, 0),
                    _not_measured("children_per_parent_match", why, t.cardinality_min),
                    _not_measured("joins_like_source", why, t.cross_table_min)]
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
            _measured("no_orphan_keys", sum(r.orphans for r in rel) == 0,
                      sum(r.orphans for r in rel), 0, per_fk),
            _measured("children_per_parent_match", card >= t.cardinality_min, round(card, 4),
                      t.cardinality_min, per_fk),
            _measured("joins_like_source", min(cross) >= t.cross_table_min, round(min(cross), 4),
                      t.cross_table_min, per_fk) if cross else
            _not_measured("joins_like_source", "no parent and child column pair to compare "
                          "after the join", t.cross_table_min, per_fk),
        ]

    def _minority_outcome(self) -> CheckOutcome:
        t, m = self.thresholds, self.minority
        name = "minority_not_copied"
        details = {k: p.as_dict() for k, p in m.items()}
        measured = [p for p in m.values() if p.measured]
        unmeasured = sorted(k for k, p in m.items() if not p.measured)
        if any(not p.passed for p in measured):  # a measured class failing fails, whatever else
            ok = False
        elif not measured or unmeasured:
            why = (self._no_holdout() if not m else
                   "fewer than 2 training, holdout or synthetic rows of class(es) "
                   + ", ".join(unmeasured))
            return _not_measured(name, why, t.minority_dcr_ratio_min, details)
        else:
            ok = True
        worst = min(p.dcr_q05 / p.holdout_q05 if p.holdout_q05 > 0 else 1.0 for p in measured)
        return _measured(name, ok, round(worst, 4), t.minority_dcr_ratio_min, details)

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
        return _measured(name, cells == 0, cells, 0,
                         {"kept_by_catalog": dict(self.kept_by_catalog), "note": KEPT_NOTE})

    def _rare_outcome(self) -> CheckOutcome:
        r, excess_max = self.rare_copies, self.thresholds.rare_values_excess_max
        name = "no_rare_values_copied"
        if r is None or not r.measured:
            return _not_measured(name, self._no_holdout(), excess_max)
        failing = r.failing(excess_max)
        column, excess, allowed = r.worst(excess_max)
        return _measured(name, not failing, round(excess, 5), round(allowed, 5),
                         {"failing_columns": failing, "worst_column": column,
                          **r.details(excess_max)})

    @property
    def passed(self) -> bool:
        """True when no blocking (error-severity) check failed or went unmeasured."""
        return not any(o.blocking_failure for o in self.outcomes())

    @property
    def failed_checks(self) -> list[str]:
        return [o.name for o in self.outcomes() if o.blocking_failure]

    @property
    def warnings(self) -> list[str]:
        """Checks that failed or were not measured at warn severity."""
        return [o.name for o in self.outcomes() if o.flagged and o.severity == "warn"]

    @property
    def not_measured(self) -> list[str]:
        return [o.name for o in self.outcomes() if o.status == checks.NOT_MEASURED]

    def scores(self) -> dict[str, Any]:
        """Check name -> value, for the checks that apply (None: not measured)."""
        return {o.name: o.value for o in self.outcomes() if o.status != checks.NOT_APPLICABLE}

    def statuses(self) -> dict[str, str]:
        return {o.name: o.status for o in self.outcomes()}


def _schema(df: pd.DataFrame) -> dict[str, str]:
    return {str(c): str(t) for c, t in df.dtypes.items()}


def evaluate(*, source: pd.DataFrame, masked: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan,
             profile: TableProfile, table: TableConfig, rows_expected: int,
             seed: int = 0, generator: str = "",
             parent_keys: dict[str, pd.Series] | None = None,
             parents: dict[str, ParentData] | None = None,
             docs_dir: str | Path | None = None, run_name: str | None = None,
             holdout: tuple[pd.DataFrame, pd.DataFrame] | None = None,
             holdout_note: str = "") -> QualityReport:
    """Score ``synthetic`` against the masked source (fidelity, expectations, schema, row count,
    constraints), against the holdout part the generator never saw (distance to closest record,
    copied rows, TSTR) and against the raw source (PII leakage).

    ``parent_keys`` (foreign-key column -> the parent's synthetic keys) defaults to the keys of
    ``parents``' synthetic tables. ``holdout`` (raw rows, the same rows masked) are real rows the
    generator never saw, given by the caller: then ``source`` and ``masked`` are all training
    rows and are not split (``holdout_note`` says why there are none when the caller has none)."""
    if parent_keys is None and parents:
        parent_keys = {c: p.synthetic[p.key] for c, p in parents.items()}
    text_cols = {c.name for c in profile.columns if c.kind == "text"}
    fid_cols = [c for c in modelled_columns(plan, table) if c not in text_cols]
    if holdout is None:
        fit_part, held = split_source(masked, table, seed)
    else:
        fit_part, held = masked, holdout[1]
    specs = suite_for_table(profile, list(masked.columns), table, source=fit_part,
                            parent_keys={c: v.dropna().unique().tolist()
                                         for c, v in (parent_keys or {}).items()})
    keys = [k for k in table.key_columns if k in source.columns and k in synthetic.columns]
    # keys are fresh by construction: check they reuse no source key (same column only, since
    # small integers legitimately recur in other columns), and leave them out of the value scan
    found = pii_leak_scan(source, synthetic,
                          PiiPlan(plan.table, [d for d in plan.columns if d.column not in keys]))
    leaks = found.leaks
    for k in keys:
        leaks[k] = int(synthetic[k].isin(set(source[k].dropna().tolist())).sum())
    distances = utility_score = None
    if len(held) >= 2 and fid_cols:
        distances = distance_scores(fit_part, held, synthetic, columns=fid_cols, seed=seed)
        if table.target and table.target in fid_cols:
            utility_score = utility(fit_part[fid_cols], held[fid_cols], synthetic[fid_cols],
                                    table.target, seed=seed)
    fid = class_acc = None
    shares: dict[str, dict[str, float]] = {}
    minority: dict[str, MinorityPrivacy] = {}
    rb = table.rebalance
    if rb is not None and rb.column in masked.columns and rb.column in synthetic.columns:
        from tabletwin.synth.rebalance import class_masks

        real_m = class_masks(masked[rb.column], rb.shares)
        syn_m = class_masks(synthetic[rb.column], rb.shares)
        others = [c for c in fid_cols if c != rb.column]
        fid, class_acc = class_fidelity(masked, synthetic,
                                        {k: (real_m[k], syn_m[k]) for k in real_m}, others,
                                        min_rows=CLASS_MIN_ROWS, seed=seed)
        shares = {str(k): {"target": float(v), "actual": round(float(syn_m[str(k)].mean()), 4)}
                  for k, v in rb.shares.items()}
        if len(held) >= 2:
            fit_m = class_masks(fit_part[rb.column], rb.shares)
            hold_m = class_masks(held[rb.column], rb.shares)
            for k in rb.shares:
                minority[str(k)] = minority_privacy(
                    fit_part[fit_m[str(k)]], held[hold_m[str(k)]],
                    synthetic[syn_m[str(k)]], columns=fid_cols, seed=seed,
                    identical_max=table.checks.identical_rows_max,
                    dcr_ratio_min=table.checks.minority_dcr_ratio_min)
    return QualityReport(
        table=table.name, rows_expected=rows_expected, rows_actual=len(synthetic),
        schema_expected=_schema(masked), schema_actual=_schema(synthetic),
        pii_leaks=leaks,
        kept_by_catalog=found.kept,
        expectations=run_suite(synthetic, specs, suite_name=f"{table.name}_synthetic",
                               docs_dir=docs_dir, run_name=run_name),
        fidelity=fid if fid is not None else fidelity(masked, synthetic, fid_cols, seed=seed),
        thresholds=table.checks,
        constraint_violations=violations(synthetic, table.constraints),
        distances=distances,
        associations=associations(masked, synthetic, fid_cols, seed=seed) if fid_cols else None,
        utility=utility_score,
        holdout_rows=len(held), holdout_note=holdout_note,
        generator=generator or table.generator.name,
        relations=tuple(relation_scores(masked, synthetic, parents, fid_cols, seed=seed))
        if parents else (),
        class_accuracy=class_acc or {}, shares=shares, minority=minority,
        rare_copies=_rare_copies(source, synthetic, table, seed, holdout),
        not_applicable=checks.not_applicable(table),
        quasi_identifiers=quasi_uniqueness(masked, synthetic, plan, seed),
    )


def _rare_copies(source: pd.DataFrame, synthetic: pd.DataFrame, table: TableConfig,
                 seed: int, given: tuple[pd.DataFrame, pd.DataFrame] | None = None
                 ) -> RareCopies | None:
    """Rare raw training values in the synthetic table, every column (the raw source split as the
    generator's rows were: same share, same seed; or the caller's raw holdout rows ``given[0]``),
    or None without holdout rows."""
    training, holdout = split_source(source, table, seed) if given is None else (source, given[0])
    if len(holdout) == 0:
        return None
    return rare_value_copies(training, holdout, synthetic)
