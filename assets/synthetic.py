"""Stage 6: the synthetic table, sampled from the fitted generator."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, key
from tabletwin.generators import Generator
from tabletwin.pii import PiiPlan
from tabletwin.conditional import synthesize_table


def build(tc: TableContext) -> AssetsDefinition:
    parents = {f"parent_{col}": AssetIn(key(tc.table.parent_of(col)[0], "synthetic_table"))
               for col in tc.table.foreign_keys}

    @asset(**tc.common("synthetic_table"), kinds={"pandas"},
           ins={"generator": AssetIn(tc.key("fitted_generator")),
                "plan": AssetIn(tc.key("pii_plan")),
                "source": AssetIn(tc.key("source_table")),
                "masked": AssetIn(tc.key("masked_table")), **parents},
           description="Synthetic rows with the masked table's columns and types: sampled from the "
                       "generator, fresh keys, foreign keys drawn from the synthetic parents, fresh "
                       "fakes for PII columns. Seeded by (table, partition): re-runs are identical. "
                       "A table with `rebalance:` gets that mix of its rebalanced column.")
    def synthetic_table(context, generator: Generator, plan: PiiPlan, source: pd.DataFrame,
                        masked: pd.DataFrame, **parent_tables: pd.DataFrame) -> Output[pd.DataFrame]:
        parent_keys = {}
        for col in tc.table.foreign_keys:
            parent, pcol = tc.table.parent_of(col)
            parent_keys[col] = parent_tables[f"parent_{col}"][pcol]
        n = tc.table.rows or len(source)
        df = synthesize_table(generator, plan, tc.table, n=n, seed=tc.seed(context.partition_key),
                        source=source, masked=masked, parent_keys=parent_keys)
        return Output(df, metadata={"dagster/row_count": len(df),
                                    "columns": MetadataValue.json(list(df.columns))})

    return synthetic_table
