"""Seeded scenarios: a user-provided table of fixed values (or, with ``follow_drift``, one built each
day from a drifting column), the rest generated, published apart."""


import pandas as pd
from dagster import AssetIn, AssetsDefinition, MetadataValue, Output, asset

from assets.common import TableContext, parent_ins, synthetic_parents
from assets.generator import last_published_model
from resources.warehouse import WarehouseResource
from tabletwin.config.catalog import ScenarioConfig
from tabletwin.chain.drift_scenario import fitted_today, follow_drift_seed
from tabletwin.chain.scenarios import run_scenario, scenario_table_name
from tabletwin.synth.generators import Generator
from tabletwin.pii import PiiPlan
from tabletwin.chain.large import SyntheticFrame
from tabletwin.chain.stages import publish_checked_run, read_file, scenario_record
from tabletwin.quality.profile import TableProfile


def _description(tc: TableContext, name: str, scenario: ScenarioConfig) -> str:
    published = scenario_table_name(tc.name, name)
    if scenario.follow_drift is not None:
        col, factor = scenario.follow_drift.column, scenario.follow_drift.factor
        head = (f"Scenario `{name}`: synthetic `{tc.name}` rows whose `{col}` mix moved {factor:g} "
                "times as far as it moved since the rows the last published day's model was "
                "fitted on (levels seen fewer than 5 times never appear); the other columns "
                "generated given it")
    else:
        head = (f"Scenario `{name}`: one synthetic `{tc.name}` row per row of "
                f"`{scenario.seed_table}`, its columns fixed as given and the rest generated "
                "given them")
    return (f"{head}; privacy checks (PII leakage, copied rows, distance to closest record), "
            f"then published as `<target_schema>.{published}`.")


def _seed(tc: TableContext, name: str, scenario: ScenarioConfig, day: str, masked, plan,
          source, generator, warehouse):
    """The seed table, the generator run_scenario may reuse, and the drift mix (or None)."""
    if scenario.follow_drift is None:
        return read_file(tc.catalog.resolve(scenario.seed_table)), generator, None
    follow = scenario.follow_drift
    mix = follow_drift_seed(masked, plan, tc.table, column=follow.column, factor=follow.factor,
                            rows=tc.table.rows or source.num_rows, seed=tc.seed(day),
                            previous=last_published_model(tc, warehouse, day),
                            field=f"scenarios.{name}.follow_drift.column")
    return mix.seed_table, fitted_today(generator, day), mix


def build(tc: TableContext, name: str, scenario: ScenarioConfig) -> AssetsDefinition:
    parents = parent_ins(tc, "synthetic_table")

    @asset(**tc.common(f"scenario_{name}"), kinds={"pandas", "duckdb"},
           ins={"source": AssetIn(tc.key("source_table")),
                "masked": AssetIn(tc.key("masked_table")),
                "plan": AssetIn(tc.key("pii_plan")),
                "profile": AssetIn(tc.key("table_profile")),
                "generator": AssetIn(tc.key("fitted_generator")), **parents},
           description=_description(tc, name, scenario))
    def scenario_asset(context, source, masked: pd.DataFrame, plan: PiiPlan,
                       profile: TableProfile, generator: Generator,
                       warehouse: WarehouseResource,
                       **parent_tables: pd.DataFrame) -> Output[pd.DataFrame]:
        seed = tc.seed(context.partition_key)
        parent_keys = {col: rows[tc.table.parent_of(col)[1]]
                       for col, rows in synthetic_parents(tc, parent_tables).items()}
        seed_table, generator, mix = _seed(tc, name, scenario, context.partition_key, masked,
                                           plan, source, generator, warehouse)
        source = tc.frame(source, context.partition_key)  # a streamed table: its seeded sample
        result = run_scenario(name, seed_table, source=source, masked=masked, plan=plan,
                              profile=profile, table=tc.table, seed=seed, generator=generator,
                              parent_keys=parent_keys)
        record = scenario_record(tc.table, result, partition=context.partition_key,
                                 run_id=context.run_id, seed=seed)
        where = publish_checked_run(warehouse.get(), tc.table, SyntheticFrame(result.synthetic),
                                    record,
                                    failed=result.failed, source_schema=warehouse.source_schema,
                                    target_schema=warehouse.target_schema,
                                    versions_kept=tc.catalog.versions_kept)
        return Output(result.synthetic, metadata={
            "table": where, "dagster/row_count": len(result.synthetic),
            "fixed_columns": MetadataValue.json(list(result.fixed_columns)),
            "generator": result.generator,
            "scores": MetadataValue.json(result.scores()),
            **({} if mix is None else {"drift_mix": MetadataValue.json(mix.explanation()),
                                       "drift_mix_table": MetadataValue.md(mix.markdown())})})

    return scenario_asset
