"""Stage 5: the generator fitted on the masked table."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_frames, parent_ins
from tabletwin.synth.generators import Generator
from tabletwin.chain.source import TableSource
from tabletwin.pii import PiiPlan
from tabletwin.chain.scenarios import fit_table_generator
from tabletwin.config.roles import modelled_columns


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("fitted_generator"), kinds={"scikitlearn"},
           ins={"masked": AssetIn(tc.key("masked_table")), "plan": AssetIn(tc.key("pii_plan")),
                "source": AssetIn(tc.key("source_table")),
                **parent_ins(tc, "masked_table", "pii_plan", "source_table")},
           description=f"The `{tc.table.generator.name}` generator fitted on the masked table's "
                       "modelled columns (keys and replaced PII columns are produced fresh). "
                       "A child table's generator also learns children per parent and its "
                       "columns given the parent's columns, to sample from the synthetic parents.")
    def fitted_generator(context, masked: pd.DataFrame, plan: PiiPlan, source: TableSource,
                         **parents) -> Output[Generator]:
        # a streamed table's chunks draw their keys from the parents' instead (source.streamed)
        gen = fit_table_generator(masked, plan, tc.table, seed=tc.seed(context.partition_key),
                                  parents=None if source.streamed
                                  else parent_frames(tc, parents, "masked_table"))
        return Output(gen, metadata={
            "generator": gen.describe(),
            "choice": MetadataValue.json(gen.choice()),
            "params": MetadataValue.json(gen.get_params()),
            "modelled_columns": MetadataValue.json(modelled_columns(plan, tc.table)),
        })

    return fitted_generator
