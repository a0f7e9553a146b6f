"""Stage 6: the synthetic table, sampled from the fitted generator."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_ins, synthetic_parents
from tabletwin.chain.large import Snapshot, source_rows, synthesize_large
from tabletwin.synth.generators import Generator
from tabletwin.pii import PiiPlan
from tabletwin.chain.scenarios import synthesize_table
from tabletwin.errors import ConfigError


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
    def synthetic_table(context, generator: Generator, plan: PiiPlan, source,
                        masked: pd.DataFrame, **parent_tables):
        partition = context.partition_key
        parent_rows = synthetic_parents(tc, parent_tables)
        n = tc.table.rows or source_rows(source)
        if isinstance(source, Snapshot):  # streamed: chunks written to a Parquet file
            if tc.table.rebalance is not None:
                raise ConfigError("rebalancing a streamed table (more rows than stream_above) is "
                                  "not supported yet", table=tc.name, field="rebalance")
            out = (tc.catalog.resolve(tc.catalog.storage_dir) / tc.name / "synthetic_file"
                   / f"{partition}.parquet")
            parent_keys = {c: rows[tc.table.parent_of(c)[1]] for c, rows in parent_rows.items()}
            result = synthesize_large(source, out, generator, plan, tc.table,
                                      sample=tc.frame(source, partition), masked=masked, n=n,
                                      seed=tc.seed(partition), parent_keys=parent_keys)
            return Output(result, metadata={"dagster/row_count": len(result), "streamed": True,
                                            "columns": MetadataValue.json(list(masked.columns))})
        df = synthesize_table(generator, plan, tc.table, n=n, seed=tc.seed(partition),
                              source=source, masked=masked, parent_rows=parent_rows)
        return Output(df, metadata={"dagster/row_count": len(df),
                                    "columns": MetadataValue.json(list(df.columns))})

    return synthetic_table
