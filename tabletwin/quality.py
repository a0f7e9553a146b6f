"""The quality gate: every score a synthetic table must earn before publication.

``evaluate`` computes the scores once; ``QualityReport.outcomes`` turns them into named pass/fail
outcomes against the catalog's thresholds. Nothing here holds a data value: leak counts, shares and
column names only.
"""

from __future__ import annotations

import math

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tabletwin.catalog import CheckThresholds, TableConfig
from tabletwin.constraints import violations
from tabletwin.expectations import ExpectationResults, run_suite, suite_for_table
from tabletwin.metrics import (AssociationScore, FidelityScore, UtilityScore, associations,
                               class_fidelity, fidelity, utility)
from tabletwin.pii.leakage import pii_leak_scan
from tabletwin.pii.plan import KEPT_BY_CATALOG as KEPT_NOTE
from tabletwin.pii.plan import PiiPlan
from tabletwin.profile import TableProfile
from tabletwin.privacy import DistanceScore, MinorityPrivacy, distance_scores, minority_privacy
from tabletwin.relations import ParentData, RelationScore, relation_scores
from tabletwin.synthesis import modelled_columns, split_source


#: Rebalanced tables: classes with fewer real rows are left out of the per-class fidelity (binned
#: histograms of a dozen rows are noise); their privacy is still checked (minority_not_copied).
CLASS_MIN_ROWS = 50


@dataclass(frozen=True)
class CheckOutcome:
    """name: a predicate (e.g. ``no_pii_in_synthetic``); value/threshold for display; severity
    ``error`` blocks publication when the check fails, ``warn`` only reports it."""

    name: str
    passed: bool
    description: str
    value: float | int | None = None
    threshold: float | int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    @property
    def blocking_failure(self) -> bool:
        return not self.passed and self.severity == "error"


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
    # PII columns the catalog keeps (action keep): cells of the output holding their real values
    kept_by_catalog: dict[str, int] = field(default_factory=dict)

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

    def outcomes(self) -> list[CheckOutcome]:
        t = self.thresholds
        leaks = sum(self.pii_leaks.values())
        tol = t.row_count_tolerance
        dev = abs(self.rows_actual - self.rows_expected) / max(self.rows_expected, 1)
        d, a, u = self.distances, self.associations, self.utility
        no_holdout = "no holdout rows (holdout_share 0 or a tiny table): not measured"
        copied_max = t.identical_rows_max
        if d is not None and d.rows > 0:  # chance coincidences on a small sample are not copies
            p = (d.ims_training + d.ims_holdout) / 2
            copied_max += 2.0 * math.sqrt(2.0 * p * (1.0 - p) / d.rows)
        out = [
            CheckOutcome("schema_matches_source", not self.schema_problems,
                         "Same column names, order and types as the masked source.",
                         value=len(self.schema_problems), threshold=0,
                         details={"problems": self.schema_problems}),
            CheckOutcome("row_count_matches", dev <= tol + 1e-12,
                         f"Row count within {tol:.0%} of the configured count.",
                         value=self.rows_actual, threshold=self.rows_expected),
            CheckOutcome("no_pii_in_synthetic", leaks == 0,
                         "Not one source PII value (case and whitespace folded; inside free "
                         "text too) in a PII column, nor in another column that did not hold "
                         "it in the source. PII columns kept by the catalog: "
                         "no_pii_kept_by_catalog.",
                         value=leaks, threshold=0,
                         details={"leaks_per_source_column": dict(self.pii_leaks),
                                  "kept_by_catalog": sum(self.kept_by_catalog.values())}),
            CheckOutcome("no_pii_kept_by_catalog", not any(self.kept_by_catalog.values()),
                         "PII columns the catalog keeps (action keep): kept by catalog, real "
                         "values published; cells of the output holding their source values "
                         "(warns by default)" + ("." if self.kept_by_catalog else
                                                 " (no PII column kept by the catalog)."),
                         value=sum(self.kept_by_catalog.values()) if self.kept_by_catalog
                         else None, threshold=0,
                         details={"kept_by_catalog": dict(self.kept_by_catalog),
                                  "note": KEPT_NOTE} if self.kept_by_catalog else
                         {"note": "no PII column kept by the catalog: not applicable"}),
            CheckOutcome("expectations_pass", self.expectations.share >= t.expectations_min,
                         "Great Expectations suite derived from the source profile.",
                         value=round(self.expectations.share, 4), threshold=t.expectations_min,
                         details={"evaluated": self.expectations.evaluated,
                                  "failures": [asdict(f) for f in self.expectations.failures],
                                  "data_docs": self.expectations.docs_index}),
            CheckOutcome("fidelity_above_threshold", self.fidelity.accuracy >= t.fidelity_min,
                         "Accuracy (1 - TVD of binned uni-, bi- and trivariate distributions).",
                         value=round(self.fidelity.accuracy, 4), threshold=t.fidelity_min,
                         details={"univariate": round(self.fidelity.univariate, 4),
                                  "bivariate": round(self.fidelity.bivariate, 4),
                                  "trivariate": round(self.fidelity.trivariate, 4)}),
            CheckOutcome("constraints_hold", sum(self.constraint_violations.values()) == 0,
                         "Every constraint declared in the catalog holds on every row"
                         + ("." if self.constraint_violations else " (none declared)."),
                         value=sum(self.constraint_violations.values()), threshold=0,
                         details={"violations": dict(self.constraint_violations)}),
            CheckOutcome("not_closer_to_training", d is None or d.dcr_share <= t.dcr_share_max,
                         "Share of synthetic rows closer to a training row than to a holdout row "
                         "(distance to closest record; about 0.5 when nothing is copied).",
                         value=None if d is None else round(d.dcr_share, 4),
                         threshold=t.dcr_share_max,
                         details={"note": no_holdout} if d is None else
                         {"rows": d.rows, "nndr_training": round(d.nndr_training, 4),
                          "nndr_holdout": round(d.nndr_holdout, 4)}),
            CheckOutcome("no_copied_rows",
                         d is None or d.ims_training - d.ims_holdout <= copied_max,
                         "Synthetic rows identical to a training row, beyond the share identical "
                         "to a holdout row (duplicates real data shows anyway). On small samples "
                         "the threshold allows for chance: identical_rows_max plus two standard "
                         "errors of the difference.",
                         value=None if d is None else round(d.ims_training - d.ims_holdout, 4),
                         threshold=None if d is None else round(copied_max, 4),
                         details={"note": no_holdout} if d is None else
                         {"identical_to_training": round(d.ims_training, 4),
                          "identical_to_holdout": round(d.ims_holdout, 4),
                          "identical_rows_max": t.identical_rows_max, "rows": d.rows}),
            CheckOutcome("correlations_preserved", a is None or a.diff <= t.correlation_diff_max,
                         "Mean absolute difference of pairwise associations (Cramér's V) between "
                         "the real and the synthetic table.",
                         value=None if a is None else round(a.diff, 4),
                         threshold=t.correlation_diff_max,
                         details={} if a is None else {"columns": len(a.columns)}),
            CheckOutcome("useful_for_ml", u is None or u.gap <= t.tstr_gap_max,
                         "A model trained on synthetic rows predicts the catalog's target on the "
                         "holdout about as well as one trained on real rows (TSTR vs TRTR).",
                         value=None if u is None else round(u.gap, 4), threshold=t.tstr_gap_max,
                         details={"note": "no target in the catalog or no holdout"} if u is None
                         else {"target": u.target, "task": u.task,
                               "metric": "roc_auc" if u.task == "classification" else "r2",
                               "trained_on_real": round(u.real, 4),
                               "trained_on_synthetic": round(u.synthetic, 4)}),
        ]
        rel = self.relations
        per_fk = {r.column: {"parent": r.parent, "orphans": r.orphans,
                             "children_per_parent": round(r.cardinality, 4),
                             "cross_table": None if r.cross_table is None
                             else round(r.cross_table, 4), "pairs": r.pairs,
                             "time_column": r.time_column,
                             "sequence": None if r.sequence is None else round(r.sequence, 4)}
                  for r in rel}
        none = {"note": "no foreign keys"}
        card = min((r.cardinality for r in rel), default=None)
        cross = min((r.cross_table for r in rel if r.cross_table is not None), default=None)
        out += [
            CheckOutcome("no_orphan_keys", sum(r.orphans for r in rel) == 0,
                         "Every foreign key points at a synthetic parent row.",
                         value=sum(r.orphans for r in rel), threshold=0,
                         details={"foreign_keys": per_fk} if rel else none),
            CheckOutcome("children_per_parent_match", card is None or card >= t.cardinality_min,
                         "Children per parent (parents without children included) follow the "
                         "source: 1 - TVD of the count histograms, worst foreign key.",
                         value=None if card is None else round(card, 4),
                         threshold=t.cardinality_min,
                         details={"foreign_keys": per_fk} if rel else none),
            CheckOutcome("joins_like_source", cross is None or cross >= t.cross_table_min,
                         "Parent columns vs child columns after the join: mean bivariate "
                         "accuracy, worst foreign key.",
                         value=None if cross is None else round(cross, 4),
                         threshold=t.cross_table_min,
                         details={"foreign_keys": per_fk} if rel else none),
        ]
        m = self.minority
        worst = min((p.dcr_q05 / p.holdout_q05 if p.holdout_q05 > 0 else 1.0
                     for p in m.values() if p.measured), default=None)
        out.append(CheckOutcome(
            "minority_not_copied", all(p.passed for p in m.values()),
            "Rebalanced tables: synthetic rows of each named class are no copies of that class's "
            "few real rows (identical share at most identical_rows_max above real holdout "
            "rows', 5% quantile of "
            "the distance to the closest real row of the class at least minority_dcr_ratio_min "
            "times the holdout rows')" + ("." if m else " (not rebalanced)."),
            value=None if worst is None else round(worst, 4),
            threshold=t.minority_dcr_ratio_min,
            details={k: p.as_dict() for k, p in m.items()} if m else {"note": "not rebalanced"}))
        if self.class_accuracy:  # the fidelity outcome says how it was measured
            out = [CheckOutcome(o.name, o.passed, o.description + " Rebalanced table: measured "
                                "within each class of the rebalanced column (classes with at "
                                f"least {CLASS_MIN_ROWS} real rows), classes weighing the same.",
                                o.value, o.threshold,
                                {**o.details, "per_class": dict(self.class_accuracy),
                                 "shares": dict(self.shares)})
                   if o.name == "fidelity_above_threshold" else o for o in out]
        return [CheckOutcome(o.name, o.passed, o.description, o.value, o.threshold, o.details,
                             t.severity_of(o.name)) for o in out]

    @property
    def passed(self) -> bool:
        """True when no blocking (error-severity) check failed."""
        return not any(o.blocking_failure for o in self.outcomes())

    @property
    def failed_checks(self) -> list[str]:
        return [o.name for o in self.outcomes() if o.blocking_failure]

    @property
    def warnings(self) -> list[str]:
        return [o.name for o in self.outcomes() if not o.passed and o.severity == "warn"]

    def scores(self) -> dict[str, Any]:
        return {o.name: o.value for o in self.outcomes()}


def _schema(df: pd.DataFrame) -> dict[str, str]:
    return {str(c): str(t) for c, t in df.dtypes.items()}


def evaluate(*, source: pd.DataFrame, masked: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan,
             profile: TableProfile, table: TableConfig, rows_expected: int,
             seed: int = 0, generator: str = "",
             parent_keys: dict[str, pd.Series] | None = None,
             parents: dict[str, ParentData] | None = None,
             docs_dir: str | Path | None = None, run_name: str | None = None) -> QualityReport:
    """Score ``synthetic`` against the masked source (fidelity, expectations, schema, row count,
    constraints), against the holdout part the generator never saw (distance to closest record,
    copied rows, TSTR) and against the raw source (PII leakage).

    ``parent_keys`` (foreign-key column -> the parent's synthetic keys) defaults to the keys of
    ``parents``' synthetic tables."""
    if parent_keys is None and parents:
        parent_keys = {c: p.synthetic[p.key] for c, p in parents.items()}
    text_cols = {c.name for c in profile.columns if c.kind == "text"}
    fid_cols = [c for c in modelled_columns(plan, table) if c not in text_cols]
    fit_part, holdout = split_source(masked, table, seed)
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
    if len(holdout) >= 2 and fid_cols:
        distances = distance_scores(fit_part, holdout, synthetic, columns=fid_cols, seed=seed)
        if table.target and table.target in fid_cols:
            utility_score = utility(fit_part[fid_cols], holdout[fid_cols], synthetic[fid_cols],
                                    table.target, seed=seed)
    fid = class_acc = None
    shares: dict[str, dict[str, float]] = {}
    minority: dict[str, MinorityPrivacy] = {}
    rb = table.rebalance
    if rb is not None and rb.column in masked.columns and rb.column in synthetic.columns:
        from tabletwin.rebalance import class_masks

        real_m = class_masks(masked[rb.column], rb.shares)
        syn_m = class_masks(synthetic[rb.column], rb.shares)
        others = [c for c in fid_cols if c != rb.column]
        fid, class_acc = class_fidelity(masked, synthetic,
                                        {k: (real_m[k], syn_m[k]) for k in real_m}, others,
                                        min_rows=CLASS_MIN_ROWS, seed=seed)
        shares = {str(k): {"target": float(v), "actual": round(float(syn_m[str(k)].mean()), 4)}
                  for k, v in rb.shares.items()}
        if len(holdout) >= 2:
            fit_m = class_masks(fit_part[rb.column], rb.shares)
            hold_m = class_masks(holdout[rb.column], rb.shares)
            for k in rb.shares:
                minority[str(k)] = minority_privacy(
                    fit_part[fit_m[str(k)]], holdout[hold_m[str(k)]],
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
        holdout_rows=len(holdout),
        generator=generator or table.generator.name,
        relations=tuple(relation_scores(masked, synthetic, parents, fid_cols, seed=seed))
        if parents else (),
        class_accuracy=class_acc or {}, shares=shares, minority=minority,
    )
