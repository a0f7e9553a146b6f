"""Rebalanced tables and seeded scenarios in the pipeline: fit with the fixed columns first, sample
given them, gate and publish.

* A table with ``rebalance:`` in the catalog is fitted as a sequential tree with the rebalanced
  column first (:func:`fit_table_generator`) and sampled with that column's values drawn at the
  target shares (:func:`synthesize_table`); its quality gate compares every other column *within
  each class* (see :func:`tabletwin.quality.gate.evaluate`).
* A scenario (``scenarios:`` in the catalog) fixes the columns of a user-provided seed table row
  by row and generates the rest (:func:`run_scenario`); its gate is the privacy part (schema, PII
  leakage, copied rows, distance to closest record) plus "every given value kept", since its
  distributions differ from the source on purpose. It is published as
  ``<target_schema>.<table>__<scenario>`` (:func:`scenario_table_name`) through the one publish
  path, :func:`tabletwin.chain.stages.publish_checked_run`, with the run record of
  :func:`tabletwin.chain.stages.scenario_record`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pandas.api import types as pdt

from tabletwin.config.catalog import GeneratorConfig, TableConfig
# the checks a seeded scenario must pass (``scenario=True`` in the registry): its distributions
# differ from the source on purpose, so fidelity, expectations and row count do not apply; privacy
# does
from tabletwin.config.checks import SCENARIO_CHECKS
from tabletwin.errors import ConfigError, InputError
from tabletwin.synth.generators import Generator
from tabletwin.pii import PiiPlan
from tabletwin.quality.profile import TableProfile
from tabletwin.quality.gate import QualityReport, evaluate
from tabletwin.chain.synthesis import fit_generator, synthesize
from tabletwin.config.roles import modelled_columns



def check_fixable(plan: PiiPlan, table: TableConfig, columns: list[str]) -> None:
    """Fixed (rebalanced or seeded) columns must be modelled: not a key, not a replaced PII
    column, present in the table. ConfigError names the table and the column."""
    allowed = set(modelled_columns(plan, table))
    for col in columns:
        if col not in allowed:
            raise ConfigError("can only fix a modelled column (not a key, not a replaced PII "
                              "column, and present in the table)", table=table.name, field=col)
    if table.constraints:
        raise ConfigError("rebalancing and seeding do not combine with constraints yet",
                          table=table.name, field="constraints")


def with_first(table: TableConfig, columns: list[str]) -> TableConfig:
    """The table's config with a sequential tree that puts ``columns`` first (its own parameters
    kept when it already is one)."""
    params = dict(table.generator.params) if table.generator.name == "sequential_tree" else {}
    return table.model_copy(update={"generator": GeneratorConfig(
        name="sequential_tree", params={**params, "first": tuple(columns)},
        max_fit_rows=table.generator.max_fit_rows)})


def _check_rebalance_column(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig) -> str:
    assert table.rebalance is not None
    col = table.rebalance.column
    if col not in masked.columns:
        raise ConfigError("rebalance column is not in the table", table=table.name,
                          field="rebalance.column")
    check_fixable(plan, table, [col])
    dtype = masked[col].dtype
    if not (pdt.is_bool_dtype(dtype) or pdt.is_object_dtype(dtype)
            or pdt.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)):
        raise ConfigError(f"rebalance column {col!r} is {dtype}, not categorical or boolean",
                          table=table.name, field="rebalance.column")
    return col


def fit_table_generator(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig, *,
                        seed: int, parents: dict | None = None) -> Generator:
    """:func:`tabletwin.chain.synthesis.fit_generator` (``parents``: see there), with the rebalanced
    column first when the catalog asks for a rebalanced table. A rebalanced child table is not
    conditioned on its parents' rows (a relational generator takes no fixed columns yet): its
    foreign keys are drawn from the synthetic parents' keys."""
    if table.rebalance is None:
        return fit_generator(masked, plan, table, seed=seed, parents=parents)
    col = _check_rebalance_column(masked, plan, table)
    return fit_generator(masked, plan, with_first(table, [col]), seed=seed)


def rebalance_conditions(generator: Generator, table: TableConfig, n: int,
                         seed: int) -> pd.DataFrame | None:
    """The rebalanced column's ``n`` values at the catalog's shares (None: not rebalanced)."""
    if table.rebalance is None:
        return None
    from tabletwin.errors import GeneratorError
    from tabletwin.synth.rebalance import rebalanced_conditions

    if not generator.leads_with([table.rebalance.column]):
        raise ConfigError("a rebalanced table needs its generator fitted with the column first",
                          table=table.name, field="rebalance")
    try:
        return rebalanced_conditions(generator, table.rebalance.column,
                                     dict(table.rebalance.shares), n, seed=seed, table=table.name)
    except GeneratorError as exc:  # name the catalog field, never a value
        raise ConfigError(str(exc).split(": ", 1)[-1], table=table.name,
                          field="rebalance.shares") from None


def synthesize_table(generator: Generator, plan: PiiPlan, table: TableConfig, *, n: int,
                     seed: int, source: pd.DataFrame, masked: pd.DataFrame,
                     parent_keys: dict[str, pd.Series] | None = None,
                     parent_rows: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """:func:`tabletwin.chain.synthesis.synthesize`, at the catalog's rebalanced mix when it asks."""
    return synthesize(generator, plan, table, n=n, seed=seed, source=source, masked=masked,
                      parent_keys=parent_keys, parent_rows=parent_rows,
                      conditions=rebalance_conditions(generator, table, n, seed))


# ---- seeded scenarios ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioResult:
    """A seeded scenario's synthetic rows, its privacy report and what was fixed."""

    name: str
    table: str
    synthetic: pd.DataFrame
    report: QualityReport
    fixed_columns: tuple[str, ...]
    values_changed: int  # fixed cells whose value differs from the seed table (0 expected)
    generator: str = ""
    failed: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.failed

    def scores(self) -> dict[str, Any]:
        wanted = set(SCENARIO_CHECKS)
        out: dict[str, Any] = {o.name: o.value for o in self.report.outcomes() if o.name in wanted}
        out["seed_values_kept"] = self.values_changed
        return out


def _seed_frame(seed: pd.DataFrame, masked: pd.DataFrame, table: TableConfig) -> pd.DataFrame:
    """The seed table's columns cast to the source's dtypes (a CSV's ints for a float column)."""
    out = seed.reset_index(drop=True).copy()
    for col in out.columns:
        want = masked[col].dtype
        if str(out[col].dtype) == str(want):
            continue
        try:
            if pdt.is_datetime64_any_dtype(want):
                out[col] = pd.to_datetime(out[col])
            elif pdt.is_bool_dtype(want) and not pdt.is_bool_dtype(out[col].dtype):
                low = out[col].astype(str).str.strip().str.lower()
                mapped = low.map({"true": True, "false": False, "1": True, "0": False})
                if (mapped.isna() & out[col].notna()).any():
                    raise ValueError
                out[col] = mapped.astype(want if not mapped.isna().any() else "boolean")
            else:
                out[col] = out[col].astype(want)
        except (TypeError, ValueError):
            raise InputError(f"seed table column {col!r} cannot be read as {want}",
                             table=table.name, column=col) from None
    return out


def _changed(given: pd.DataFrame, out: pd.DataFrame) -> int:
    bad = 0
    for col in given.columns:
        a, b = given[col].reset_index(drop=True), out[col].reset_index(drop=True)
        both_null = a.isna().to_numpy() & b.isna().to_numpy()
        same = (a.astype(object).to_numpy() == b.astype(object).to_numpy()) | both_null
        bad += int((~same).sum())
    return bad


def run_scenario(name: str, seed_table: pd.DataFrame, *, source: pd.DataFrame,
                 masked: pd.DataFrame, plan: PiiPlan, profile: TableProfile,
                 table: TableConfig, seed: int, generator: Generator | None = None,
                 parent_keys: dict[str, pd.Series] | None = None) -> ScenarioResult:
    """Synthetic rows of ``table`` with the seed table's columns fixed as given (one synthetic row
    per seed row), the rest generated given them, scored by the privacy checks.

    ``generator`` (the table's fitted one) is reused when it is a sequential tree whose order
    starts with the seed columns; otherwise a sequential tree with those columns first is fitted
    on the same fit part of the masked table (the holdout part is still left out).
    ``parent_keys``: the synthetic parents' keys per foreign key, as for the table itself."""
    if len(seed_table) == 0:
        raise InputError("the seed table has no rows", table=table.name)
    fixed = [str(c) for c in seed_table.columns]
    unknown = [c for c in fixed if c not in masked.columns]
    if unknown:
        raise InputError("the seed table has a column the table does not have",
                         table=table.name, column=unknown[0])
    check_fixable(plan, table, fixed)
    conditions = _seed_frame(seed_table[fixed], masked, table)
    usable = generator is not None and generator.leads_with(fixed)
    if not usable:
        generator = fit_generator(masked, plan, with_first(table, fixed), seed=seed)
    assert generator is not None
    n = len(conditions)
    syn = synthesize(generator, plan, table, n=n, seed=seed, source=source, masked=masked,
                     conditions=conditions, parent_keys=parent_keys)
    report = evaluate(source=source, masked=masked, synthetic=syn, plan=plan, profile=profile,
                      table=table, rows_expected=n, seed=seed, generator=generator.describe())
    changed = _changed(conditions, syn)
    failed = scenario_failures(report, conditions, syn)
    return ScenarioResult(name=name, table=table.name, synthetic=syn, report=report,
                          fixed_columns=tuple(fixed), values_changed=changed,
                          generator=generator.describe(), failed=tuple(failed))


def scenario_failures(report: QualityReport, conditions: pd.DataFrame,
                      synthetic: pd.DataFrame) -> list[str]:
    """The blocking failures of a seeded scenario's gate: its privacy checks
    (:data:`SCENARIO_CHECKS`), and ``seed_values_kept`` when a fixed value changed."""
    failed = [o.name for o in report.outcomes()
              if o.name in SCENARIO_CHECKS and o.blocking_failure]
    if _changed(conditions, synthetic):
        failed.append("seed_values_kept")
    return failed


def scenario_table_name(table: str, scenario: str) -> str:
    return f"{table}__{scenario}"
