"""Stages 2 and 3: the PII plan (reviewable) and the masked table that consumes it."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext
from resources.privacy import PrivacyResource
from tabletwin.pii import PiiPlan, detect_pii, mask_table
from tabletwin.pii.plan import KEPT_BY_CATALOG, fingerprint, plan_changes


def build(tc: TableContext) -> list[AssetsDefinition]:
    @asset(**tc.common("pii_plan"), kinds={"presidio"},
           ins={"source": AssetIn(tc.key("source_table"))},
           description="Per column: detected PII entity, score, evidence and the action masking "
                       "will take (catalog pins marked 'override'). Holds no raw values. Columns "
                       "that are new or changed since the last run are listed for review.")
    def pii_plan(context, source) -> Output[PiiPlan]:
        tc.catalog.load_recognizers()
        source = tc.frame(source, context.partition_key)
        plan = detect_pii(source, table=tc.name, overrides=tc.table.overrides(),
                          key_columns=tc.table.key_columns)
        current = fingerprint(plan, {c: str(t) for c, t in source.dtypes.items()})
        last = context.instance.get_latest_materialization_event(context.asset_key)
        previous = None
        if last is not None and last.asset_materialization is not None:
            entry = last.asset_materialization.metadata.get("fingerprint")
            previous = entry.value if entry is not None else None
        changes = plan_changes(previous, current)
        review = "\n".join(f"- `{c}`: {'; '.join(r)}" for c, r in changes.items())
        return Output(plan, metadata={
            "pii_columns": MetadataValue.json(plan.pii_columns),
            # never silent: PII columns the catalog keeps are published with their real values
            "kept_by_catalog": MetadataValue.md(
                "\n".join(f"- `{c}`: {KEPT_BY_CATALOG}" for c in plan.kept_by_catalog) or "none"),
            "plan": MetadataValue.md(plan.to_markdown()),
            "fingerprint": MetadataValue.json(current),
            "new_or_changed_columns": MetadataValue.json(sorted(changes)),
            "review": MetadataValue.md(review or "no new or changed columns since the last run"),
        })

    @asset(**tc.common("masked_table"), kinds={"presidio", "pandas"},
           ins={"source": AssetIn(tc.key("source_table")), "plan": AssetIn(tc.key("pii_plan"))},
           description="The source with every PII column masked by the plan: fakes, keyed "
                       "pseudonyms, generalisation, redacted free text, dropped columns (for a "
                       "streamed table: its seeded sample, masked).")
    def masked_table(context, source, plan: PiiPlan,
                     privacy: PrivacyResource) -> Output[pd.DataFrame]:
        source = tc.frame(source, context.partition_key)
        masked = mask_table(source, plan, key=privacy.key_bytes(),
                            seed=tc.seed(context.partition_key), locale=tc.table.locale)
        actions = {d.column: d.action for d in plan.columns if d.is_pii}
        return Output(masked, metadata={"dagster/row_count": len(masked),
                                        "actions": MetadataValue.json(actions)})

    return [pii_plan, masked_table]
