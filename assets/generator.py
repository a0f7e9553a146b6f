"""Stage 5: the table's model: the one of the last published day when the source has not drifted
from it, else fitted today on the masked table."""


import warnings

import pandas as pd
from dagster import AssetIn, AssetsDefinition, DataVersion, MetadataValue, Output, asset
from dagster import BetaWarning

from assets.common import TableContext, parent_frames, parent_ins
from resources.io import load_stored
from resources.privacy import PrivacyResource
from resources.warehouse import WarehouseResource
from tabletwin.chain.refresh import fit_or_reuse
from tabletwin.chain.source import TableSource
from tabletwin.config.roles import modelled_columns
from tabletwin.pii import PiiPlan
from tabletwin.synth.generators import Generator

# The model's data version (fit day + catalog fingerprint) lets the UI show what a reuse kept; the
# beta notice would otherwise print on every materialization
warnings.filterwarnings("ignore", category=BetaWarning, message=".*`data_version`.*")

#: The run tag that forces a refit (``tabletwin run --refit``; in the UI: a run tag).
REFIT_TAG = "tabletwin/refit"


def last_published_model(tc: TableContext, warehouse: WarehouseResource, day: str):
    """The stored model of the newest day before ``day`` whose copy is published (among the
    warehouse's kept versions); None when there is none or its model was not kept."""
    days = sorted((d for d in warehouse.get().versions(warehouse.target_schema, tc.name)
                   if d < day), reverse=True)
    storage = tc.catalog.resolve(tc.catalog.storage_dir)
    return next((m for d in days
                 if (m := load_stored(storage, tc.key("fitted_generator").path, d)) is not None),
                None)


def build(tc: TableContext) -> AssetsDefinition:
    @asset(**tc.common("fitted_generator"), kinds={"scikitlearn"},
           ins={"masked": AssetIn(tc.key("masked_table")), "plan": AssetIn(tc.key("pii_plan")),
                "source": AssetIn(tc.key("source_table")),
                **parent_ins(tc, "masked_table", "pii_plan", "source_table")},
           description=f"The `{tc.table.generator.name}` model of the masked table's modelled "
                       "columns (keys and replaced PII columns are produced fresh). The model of "
                       "the last published day is reused while today's source stays close to "
                       "the rows it was fitted on; it is refitted on drift (a column's PSI, the "
                       "row count, new keys), when older than `refit.refit_after_days`, when the "
                       "source schema, the catalog entry or tabletwin changed, or when the run is "
                       f"tagged `{REFIT_TAG}=true` (`tabletwin run --refit`). The reason is in "
                       "the metadata and the run history. A child table's model also learns "
                       "children per parent and its columns given the parent's columns.")
    def fitted_generator(context, masked: pd.DataFrame, plan: PiiPlan, source: TableSource,
                         warehouse: WarehouseResource, privacy: PrivacyResource,
                         **parents) -> Output[Generator]:
        day = context.partition_key
        pk = tc.table.primary_key
        # every key of a streamed source (its masked rows are a sample): new and deleted rows
        keys = source.column(pk) if source.streamed and pk in source.columns else None
        # a streamed table's chunks draw their keys from the parents' instead (source.streamed)
        gen, decision = fit_or_reuse(
            last_published_model(tc, warehouse, day), masked, plan, tc.table, day=day,
            source_schema=source.schema.to_json() if source.schema else "",
            seed=tc.seed(day), salt=privacy.key_bytes(), rows=source.num_rows, keys=keys,
            parents=None if source.streamed else parent_frames(tc, parents, "masked_table"),
            force=context.run.tags.get(REFIT_TAG, "").lower() in ("1", "true", "yes"))
        stamp = gen.stamp_
        return Output(gen, data_version=DataVersion(f"{stamp.fitted_on}-{stamp.catalog}"),
                      metadata={
            "model": stamp.note(day), "refit": decision.refit,
            "fitted_on": stamp.fitted_on,
            "drift": MetadataValue.json(decision.drift.as_dict() if decision.drift else {}),
            "generator": gen.describe(),
            "choice": MetadataValue.json(gen.choice()),
            "params": MetadataValue.json(gen.get_params()),
            "modelled_columns": MetadataValue.json(modelled_columns(plan, tc.table)),
        })

    return fitted_generator
