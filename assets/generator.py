"""Stage 5: the generator fitted on the masked table."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_frames, parent_ins
from tabletwin.synth.generators import Generator
from tabletwin.chain.large import is_sample
from tabletwin.pii import PiiPlan
from tabletwin.chain.scenarios import fit_table_generator
from tabletwin.config.roles import modelled_columns


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("fitted_generator"), kinds={"scikitlearn"},
           ins={"masked": AssetIn(tc.key("masked_table")), "plan": AssetIn(tc.key("pii_plan")),
                **parent_ins(tc, "masked_table", "pii_plan")},
           description=f"The `{tc.table.generator.name}` generator fitted on the masked table's "
                       "modelled columns (keys and replaced PII columns are produced fresh). "
                       "A child table's generator also learns children per parent and its "
                       "columns given the parent's columns, to sample from the synthetic parents.")
    def fitted_generator(context, masked: pd.DataFrame, plan: PiiPlan,
                         **parents) -> Output[Generator]:
        gen = fit_table_generator(masked, plan, tc.table, seed=tc.seed(context.partition_key),
                            parents=None if is_sample(masked)  # streamed: keys drawn, per chunk
                            else parent_frames(tc, parents, "masked_table"))
        return Output(gen, metadata={
            "generator": gen.describe(),
            "choice": MetadataValue.json(gen.choice()),
            "params": MetadataValue.json(gen.get_params()),
            "modelled_columns": MetadataValue.json(modelled_columns(plan, tc.table)),
        })

    return fitted_generator
