"""The whole chain in memory for one DataFrame: detect and mask PII, fit the generator, sample,
score. The CLI's ``synth`` (and a streamed file small enough to hold) run it; the Dagster assets run
the same stages one at a time (:mod:`tabletwin.chain.stages`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tabletwin.config.catalog import RebalanceConfig, TableConfig
from tabletwin.errors import ConfigError, InputError
from tabletwin.synth.generators import Generator
from tabletwin.limits import check_rows
from tabletwin.pii import PiiPlan, detect_pii, mask_table
from tabletwin.quality.profile import TableProfile, profile_table
from tabletwin.synth.multitable import ParentFrame
from tabletwin.quality.gate import QualityReport, evaluate
from tabletwin.metrics.relations import ParentData
from tabletwin.seeds import stable_seed
from tabletwin.chain.synthesis import fit_generator, synthesize


@dataclass
class SynthResult:
    """The in-memory chain's output. ``failed_checks``: the blocking checks that failed (for a
    seeded run, only the scenario's gate, as in the pipeline: the privacy checks and
    ``seed_values_kept``)."""

    plan: PiiPlan
    profile: TableProfile
    generator: Generator
    synthetic: pd.DataFrame
    report: QualityReport
    failed_checks: list[str] = field(default_factory=list)
    seeded: bool = False
    # the masked source (what the generator learnt from): a child's parent rows, the report's plots
    masked: pd.DataFrame | None = None

    @property
    def passed(self) -> bool:
        return not self.failed_checks


def synth_frame(df: pd.DataFrame, table: TableConfig, *, rows: int | None = None, seed: int = 0,
                key: bytes, rebalance: tuple[str, dict[str, float]] | None = None,
                conditions: pd.DataFrame | None = None,
                parents: dict[str, ParentData] | None = None) -> SynthResult:
    """Detect and mask PII, fit the generator, sample, and score: the whole chain in memory.

    ``rebalance`` (column, {value: share}) asks for that mix of a categorical column, the other
    columns following their distribution given it; ``conditions`` fixes some columns row by row
    (one row per synthetic row) and generates the rest consistently. Both fit the sequential tree
    with those columns first.

    ``parents`` (foreign key -> the parent's masked and synthetic rows, for a child table) fits the
    child's counts and columns given its parents, draws its rows from the synthetic parents and
    scores the relations (orphans, children per parent, joins), as the pipeline does. A rebalanced
    or seeded child is not conditioned on its parents: its keys are drawn from theirs."""
    from tabletwin.chain.scenarios import check_fixable, with_first

    if conditions is None:  # before any work (a seed table sets the count: one row per row)
        check_rows(rows or table.rows or len(df), len(df), allow=table.allow_large_rows,
                   table=table.name, what="--rows" if rows else "rows")
    s = stable_seed(table.name, seed)
    plan = detect_pii(df, table=table.name, overrides=table.overrides(),
                      key_columns=table.key_columns)
    masked = mask_table(df, plan, key=key, seed=s, locale=table.locale)
    profile = profile_table(masked, plan)
    fixed: list[str] = []
    if rebalance is not None and conditions is not None:
        raise ConfigError("use either a rebalance or a seed table, not both", table=table.name)
    if rebalance is not None:
        fixed = [rebalance[0]]
    elif conditions is not None:
        fixed = list(conditions.columns)
        if len(conditions) == 0:
            raise InputError("the seed table has no rows", table=table.name)
    elif table.rebalance is not None:  # the catalog's rebalance, as the pipeline does it
        rebalance = (table.rebalance.column, dict(table.rebalance.shares))
        fixed = [rebalance[0]]
    if rebalance is not None:  # the quality gate then compares the other columns per class
        table = table.model_copy(update={"rebalance": RebalanceConfig(
            column=rebalance[0], shares=rebalance[1])})
    if fixed:
        check_fixable(plan, table, fixed)
        table = with_first(table, fixed)
    parents = dict(parents or {})
    for fk in parents:
        if fk not in table.foreign_keys:
            raise ConfigError("parent rows given for a column that is not a foreign key",
                              table=table.name, field=f"foreign_keys.{fk}")
    frames = None if fixed or not parents else {
        fk: ParentFrame(name=p.name, key=p.key, frame=p.real, columns=p.columns)
        for fk, p in parents.items()}
    gen = fit_generator(masked, plan, table, seed=s, parents=frames)
    n = rows or table.rows or len(df)
    cond = None
    if rebalance is not None:
        from tabletwin.synth.rebalance import rebalanced_conditions

        cond = rebalanced_conditions(gen, rebalance[0], rebalance[1], n, seed=s, table=table.name)
    elif conditions is not None:
        cond = conditions.reset_index(drop=True)
        n = len(cond)
    syn = synthesize(gen, plan, table, n=n, seed=s, source=df, masked=masked, conditions=cond,
                     parent_rows={fk: p.synthetic for fk, p in parents.items()} or None)
    report = evaluate(source=df, masked=masked, synthetic=syn, plan=plan, profile=profile,
                      table=table, rows_expected=n, seed=s, generator=gen.describe(),
                      parents=parents or None)
    if conditions is not None:  # a seeded scenario's gate, as the pipeline applies it
        from tabletwin.chain.scenarios import scenario_failures

        return SynthResult(plan, profile, gen, syn, report,
                           scenario_failures(report, cond, syn), seeded=True, masked=masked)
    return SynthResult(plan, profile, gen, syn, report, report.failed_checks, masked=masked)
