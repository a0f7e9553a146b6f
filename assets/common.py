"""What every stage module shares: asset keys, partitions, the per-table context."""


from dataclasses import dataclass

import pandas as pd

from dagster import AssetKey, DynamicPartitionsDefinition

from tabletwin.config.catalog import Catalog, TableConfig
from tabletwin.seeds import stable_seed
from tabletwin.version import code_version

STAGES = ("source_table", "pii_plan", "masked_table", "table_profile", "fitted_generator",
          "synthetic_table", "quality_report", "published_table")


def key(table: str, stage: str) -> AssetKey:
    return AssetKey([table, stage])


#: The days tabletwin actually ran, one partition each (``YYYY-MM-DD``): a partition is the
#: snapshot of the sources taken that day. Dynamic, not a daily range: the UI lists the days that
#: exist and offers no backfill over days nobody ran (a past day has no snapshot to re-run from). A
#: day's partition is added by the run that takes its snapshot (``tabletwin run``, the schedule).
DAYS = DynamicPartitionsDefinition(name="tabletwin_days")


def add_day(instance, day: str) -> None:
    """Add ``day``'s partition to the Dagster ``instance`` (nothing when it is there)."""
    if not instance.has_dynamic_partition(DAYS.name, day):
        instance.add_dynamic_partitions(DAYS.name, [day])


@dataclass(frozen=True)
class TableContext:
    catalog: Catalog
    table: TableConfig
    partitions: DynamicPartitionsDefinition
    #: the key fields (primary_key, foreign_keys) the catalog entry leaves to the warehouse: filled
    #: from the key cache, checked against the warehouse when the run reads the source
    undeclared_keys: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name

    def key(self, stage: str) -> AssetKey:
        return key(self.name, stage)

    def seed(self, partition: str) -> int:
        return stable_seed(self.name, partition)

    def frame(self, source, partition: str) -> pd.DataFrame:
        """The rows of a source input (:class:`~tabletwin.chain.source.TableSource`) the stages
        read: every row, or a streamed table's seeded sample, the same rows in every stage."""
        from tabletwin.chain.source import fit_sample

        return fit_sample(source, self.table, self.seed(partition))

    def common(self, stage: str) -> dict:
        # code_version: Dagster marks what a new tabletwin version would compute differently
        # as stale in the UI (and the refit decision refits on it, tabletwin.chain.refresh)
        return {"key": self.key(stage), "group_name": self.name, "partitions_def": self.partitions,
                "code_version": code_version()}


PARENT_INPUTS = {"synthetic_table": "parent", "masked_table": "parentmasked",
                 "pii_plan": "parentplan", "source_table": "parentsource"}


def parent_ins(tc: TableContext, *stages: str) -> dict:
    """``AssetIn``s of the given stages of every parent table (one per foreign key, self
    references excluded), named ``<prefix>_<foreign key>``."""
    from dagster import AssetIn

    out = {}
    for col in tc.table.foreign_keys:
        parent = tc.table.parent_of(col)[0]
        if parent == tc.name:
            continue
        for stage in stages:
            out[f"{PARENT_INPUTS[stage]}_{col}"] = AssetIn(key(parent, stage))
    return out


def parent_columns(tc: TableContext, fk: str, plan) -> tuple[str, ...]:
    """The parent's modelled columns a child may depend on (no keys, no replaced PII, no text)."""
    from tabletwin.config.roles import modelled_columns

    parent = tc.table.parent_of(fk)[0]
    text = {d.column for d in plan.columns if d.free_text}
    return tuple(c for c in modelled_columns(plan, tc.catalog.table(parent)) if c not in text)


def parent_frames(tc: TableContext, inputs: dict, stage: str) -> dict:
    """Foreign key -> :class:`~tabletwin.synth.multitable.ParentFrame` of the parent's ``stage`` rows
    (``masked_table`` to fit, ``synthetic_table`` to sample), from the inputs of
    :func:`parent_ins` (which must include ``pii_plan``). A parent whose ``source_table`` is among
    the inputs and streamed is left out: its rows are not all at hand, keys are drawn instead."""
    from tabletwin.synth.multitable import ParentFrame

    out = {}
    for col in tc.table.foreign_keys:
        name, pk = tc.table.parent_of(col)
        if name == tc.name:
            continue
        source = inputs.get(f"parentsource_{col}")
        if source is not None and source.streamed:
            continue
        plan = inputs[f"parentplan_{col}"]
        out[col] = ParentFrame(name=name, key=pk, frame=inputs[f"{PARENT_INPUTS[stage]}_{col}"],
                               columns=parent_columns(tc, col, plan))
    return out


def synthetic_parents(tc: TableContext, inputs: dict) -> dict[str, pd.DataFrame]:
    """Foreign key -> the parent's synthetic rows, from the inputs of :func:`parent_ins`.

    A streamed parent (written to a file, see :mod:`tabletwin.chain.large`) cannot be a parent yet:
    its child's checks would need every real parent key at hand."""
    from tabletwin.errors import ConfigError

    out = {}
    for col in tc.table.foreign_keys:
        rows = inputs.get(f"parent_{col}")
        if rows is None:
            continue
        if rows.streamed:
            raise ConfigError(f"parent table {tc.table.parent_of(col)[0]} is streamed (more rows "
                              "than its stream_above): a streamed table cannot be a parent yet; "
                              "raise its stream_above", table=tc.name, field="foreign_keys")
        out[col] = rows.frame()
    return out
