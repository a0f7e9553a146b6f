"""Stage 6: the synthetic table, sampled from the fitted generator."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_ins, synthetic_parents
from tabletwin.chain.large import SyntheticOutput, synthesize_source
from tabletwin.chain.source import TableSource
from tabletwin.pii import PiiPlan
from tabletwin.synth.generators import Generator


def build(tc: TableContext) -> AssetsDefinition:
    parents = parent_ins(tc, "synthetic_table")

    @asset(**tc.common("synthetic_table"), kinds={"pandas"},
           ins={"generator": AssetIn(tc.key("fitted_generator")),
                "plan": AssetIn(tc.key("pii_plan")),
                "source": AssetIn(tc.key("source_table")),
                "masked": AssetIn(tc.key("masked_table")), **parents},
           description="Synthetic rows with the masked table's columns and types: sampled from the "
                       "generator, fresh keys, children drawn for every synthetic parent (given its "
                       "columns), fresh fakes for PII columns. Seeded by (table, partition): re-runs are identical. "
                       "A table with `rebalance:` gets that mix of its rebalanced column.")
    def synthetic_table(context, generator: Generator, plan: PiiPlan, source: TableSource,
                        masked: pd.DataFrame, **parent_tables) -> Output[SyntheticOutput]:
        # the IO manager stores the rows (a streamed table: sampled chunk by chunk into its file)
        result = synthesize_source(source, generator, plan, tc.table, masked=masked,
                                   seed=tc.seed(context.partition_key),
                                   parent_rows=synthetic_parents(tc, parent_tables))
        return Output(result, metadata={"dagster/row_count": result.num_rows,
                                        "streamed": result.streamed,
                                        "columns": MetadataValue.json(result.columns)})

    return synthetic_table
