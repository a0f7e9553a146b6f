"""The registry of the quality gate's checks: one entry per check, read by everything that names one.

Each :class:`Check` says what it measures (``description``), how much a failure weighs by default
(``severity``: ``error`` blocks publication, ``warn`` only reports), which catalog thresholds set it
and, from the table's catalog entry alone, whether it *applies* to the table at all. The catalog
(severity overrides, threshold errors), the scores (:meth:`tabletwin.quality.gate.QualityReport.outcomes`),
the Dagster asset checks (``assets/quality.py`` defines only the applicable ones) and the seeded
scenarios' gate read this module; adding a check is one entry here plus its measurement in
``QualityReport.outcomes``.

Every outcome has one of four statuses:

* ``passed`` / ``failed``: measured, against its threshold;
* ``not_applicable``: the table has nothing for the check to look at (no foreign key, no target,
  not rebalanced, no constraint declared); decided from the catalog, never shown as a pass. A check
  that applies may also find nothing to look at when it runs (``schema_change_reviewed`` before
  the table's first publication, or on a source not read from a warehouse): its outcome is then
  ``not_applicable`` too, and in Dagster a non-blocking WARN (Dagster has no such status);
* ``not_measured``: the check applies but could not be computed this run (a holdout too small, no
  modelled column, a streamed parent). It never passes: it warns, or blocks when the table's
  ``checks.not_measured`` is ``error`` (and the check itself has error severity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from tabletwin.config.catalog import TableConfig

PASSED, FAILED, NOT_APPLICABLE, NOT_MEASURED = "passed", "failed", "not_applicable", "not_measured"
STATUSES = (PASSED, FAILED, NOT_APPLICABLE, NOT_MEASURED)
#: How a status reads in the CLI and the report.
STATUS_LABELS = {PASSED: "pass", FAILED: "FAIL", NOT_APPLICABLE: "not applicable",
                 NOT_MEASURED: "not measured"}


# --- when a check applies: None when it does, else why not (from the catalog entry alone) ---------

def always(table: "TableConfig") -> str | None:
    return None


def with_parent_tables(table: "TableConfig") -> str | None:
    """Relations are measured against other tables only (a self-reference has no parent table)."""
    parents = {table.parent_of(c)[0] for c in table.foreign_keys} - {table.name}
    return None if parents else "no foreign key to another table"


def with_target(table: "TableConfig") -> str | None:
    return None if table.target else "no target in the catalog"


def rebalanced(table: "TableConfig") -> str | None:
    return None if table.rebalance is not None else "not rebalanced"


def with_constraints(table: "TableConfig") -> str | None:
    return None if table.constraints else "no constraints declared"


def with_kept_columns(table: "TableConfig") -> str | None:
    """A column the catalog keeps (``action: keep``) that detection may call PII."""
    kept = [c for c, o in table.overrides().items() if o.action == "keep" and o.pii is not False]
    return None if kept else "no column kept by the catalog"


@dataclass(frozen=True)
class Check:
    """One check of the gate. ``applies(table)`` returns None when the check applies to the table,
    else the reason it does not; ``thresholds`` are the ``CheckThresholds`` fields that set it;
    ``scenario``: part of a seeded scenario's (privacy-only) gate."""

    name: str
    description: str
    severity: str = "error"
    thresholds: tuple[str, ...] = ()
    applies: Callable[["TableConfig"], str | None] = always
    scenario: bool = False

    def not_applicable_reason(self, table: "TableConfig") -> str | None:
        return self.applies(table)


#: Every check, in report order (names are predicates, as shown in Dagster).
CHECKS: tuple[Check, ...] = (
    Check("schema_matches_source",
          "Same column names, order and types as the masked source.", scenario=True),
    Check("schema_change_reviewed",
          "The source's columns, declared types and keys against those recorded when the table "
          "was last published: an added or retyped column, or a changed key, blocks until the "
          "catalog reviews it (a columns: entry; on_schema_change: accept lets any change "
          "through). Dropped columns are dropped from the copy and reported. Not applicable "
          "when there is nothing to compare (never published, or not read from a warehouse)."),
    Check("row_count_matches", "Row count within the tolerance of the configured count.",
          thresholds=("row_count_tolerance",)),
    Check("no_pii_in_synthetic",
          "Not one source PII value (case and whitespace folded; spans of free text too) in a "
          "PII column, nor in another column that did not hold it in the source. Columns the "
          "catalog keeps: no_pii_kept_by_catalog.", scenario=True),
    Check("no_pii_kept_by_catalog",
          "PII columns the catalog keeps (action keep): kept by catalog, real values published; "
          "counts the output cells holding their source values (warns by default).",
          severity="warn", applies=with_kept_columns),
    Check("expectations_pass", "Great Expectations suite derived from the source profile.",
          thresholds=("expectations_min",)),
    Check("fidelity_above_threshold",
          "Accuracy (1 - TVD of binned uni-, bi- and trivariate distributions).",
          thresholds=("fidelity_min",)),
    Check("constraints_hold", "Every constraint declared in the catalog holds on every row.",
          applies=with_constraints),
    Check("not_closer_to_training",
          "Share of synthetic rows closer to a training row than to a holdout row (distance to "
          "closest record; about 0.5 when nothing is copied).",
          thresholds=("holdout_share", "dcr_share_max"), scenario=True),
    Check("no_copied_rows",
          "Synthetic rows identical to a training row, beyond the share identical to a holdout "
          "row (duplicates real data shows anyway). On small samples the threshold allows for "
          "chance: identical_rows_max plus two standard errors of the difference.",
          thresholds=("identical_rows_max",), scenario=True),
    Check("correlations_preserved",
          "Mean absolute difference of pairwise associations (Cramér's V) between the real and "
          "the synthetic table.", severity="warn", thresholds=("correlation_diff_max",)),
    Check("useful_for_ml",
          "A model trained on synthetic rows predicts the catalog's target on the holdout about "
          "as well as one trained on real rows (TSTR vs TRTR).", severity="warn",
          thresholds=("tstr_gap_max",), applies=with_target),
    Check("no_orphan_keys", "Every foreign key points at a synthetic parent row.",
          applies=with_parent_tables),
    Check("children_per_parent_match",
          "Children per parent (parents without children included) follow the source: 1 - TVD "
          "of the count histograms, worst foreign key.", thresholds=("cardinality_min",),
          applies=with_parent_tables),
    Check("joins_like_source",
          "Parent columns vs child columns after the join: mean bivariate accuracy, worst "
          "foreign key.", severity="warn", thresholds=("cross_table_min",),
          applies=with_parent_tables),
    Check("minority_not_copied",
          "Rebalanced tables: synthetic rows of each named class are no copies of that class's "
          "few real rows (identical share at most identical_rows_max above real holdout rows', "
          "5% quantile of the distance to the closest real row of the class at least "
          "minority_dcr_ratio_min times the holdout rows').",
          thresholds=("minority_dcr_ratio_min",), applies=rebalanced),
    Check("no_rare_values_copied",
          "In every column, detected as PII or not: synthetic cells equal to a value seen fewer "
          "than 5 times in the training rows, against the chance rate (real holdout cells, and "
          "for numbers and dates synthetic cells one step away); a column fails above it plus "
          "rare_values_excess_max plus three standard errors.",
          thresholds=("rare_values_excess_max",), scenario=True),
)

BY_NAME: dict[str, Check] = {c.name: c for c in CHECKS}
CHECK_NAMES: tuple[str, ...] = tuple(BY_NAME)
#: Checks that only warn unless the catalog makes them errors.
WARN_BY_DEFAULT: tuple[str, ...] = tuple(c.name for c in CHECKS if c.severity == "warn")
#: Which check each threshold field sets (so a bad threshold's error names its check).
THRESHOLD_CHECKS: dict[str, str] = {f: c.name for c in CHECKS for f in c.thresholds}
#: The checks a seeded scenario must pass (its distributions differ from the source on purpose).
SCENARIO_CHECKS: tuple[str, ...] = tuple(c.name for c in CHECKS if c.scenario)


def get(name: str) -> Check:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"check {name!r} is not in tabletwin.config.checks.CHECKS") from None


def applicable(table: "TableConfig") -> list[Check]:
    """The checks defined for ``table`` (in report order)."""
    return [c for c in CHECKS if c.applies(table) is None]


def not_applicable(table: "TableConfig") -> dict[str, str]:
    """Check name -> why it does not apply to ``table``."""
    return {c.name: why for c in CHECKS if (why := c.applies(table)) is not None}
