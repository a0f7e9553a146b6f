"""Stage 6: the synthetic table, sampled from the fitted generator."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_ins
from tabletwin.generators import Generator
from tabletwin.pii import PiiPlan
from tabletwin.synthesis import synthesize


def build(tc: TableContext) -> AssetsDefinition:
    parents = parent_ins(tc, "synthetic_table")

    @asset(**tc.common("synthetic_table"), kinds={"pandas"},
           ins={"generator": AssetIn(tc.key("fitted_generator")),
                "plan": AssetIn(tc.key("pii_plan")),
                "source": AssetIn(tc.key("source_table")),
                "masked": AssetIn(tc.key("masked_table")), **parents},
           description="Synthetic rows with the masked table's columns and types: sampled from the "
                       "generator, fresh keys, children drawn for every synthetic parent (given its "
                       "columns), fresh fakes for PII columns. Seeded by (table, partition): re-runs are identical.")
    def synthetic_table(context, generator: Generator, plan: PiiPlan, source: pd.DataFrame,
                        masked: pd.DataFrame, **parent_tables: pd.DataFrame) -> Output[pd.DataFrame]:
        parent_rows = {col: parent_tables[f"parent_{col}"] for col in tc.table.foreign_keys
                       if f"parent_{col}" in parent_tables}
        n = tc.table.rows or len(source)
        df = synthesize(generator, plan, tc.table, n=n, seed=tc.seed(context.partition_key),
                        source=source, masked=masked, parent_rows=parent_rows)
        return Output(df, metadata={"dagster/row_count": len(df),
                                    "columns": MetadataValue.json(list(df.columns))})

    return synthetic_table
