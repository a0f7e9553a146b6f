"""Stage 4: the profile of the masked table (no raw values of sensitive columns)."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from tabletwin.pii import PiiPlan
from tabletwin.quality.profile import TableProfile, profile_table


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("table_profile"), kinds={"pandas"},
           ins={"masked": AssetIn(tc.key("masked_table")), "plan": AssetIn(tc.key("pii_plan"))},
           description="Types, null rates, distinct counts, quantiles and top values of "
                       "non-sensitive columns; sensitive columns show counts only.")
    def table_profile(masked: pd.DataFrame, plan: PiiPlan) -> Output[TableProfile]:
        profile = profile_table(masked, plan)
        return Output(profile, metadata={"summary": MetadataValue.md(profile.to_markdown())})

    return table_profile
