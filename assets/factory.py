"""The asset factory: one chain of assets and checks per catalog table, one group per table."""


from dagster import AssetChecksDefinition, AssetsDefinition

from assets import generator, pii, profile, publish, quality, scenario, source, synthetic
from assets.common import DAYS, TableContext
from tabletwin.config.catalog import Catalog
from tabletwin.config.keys import tables_missing_keys, with_cached_keys


def build_table_assets(tc: TableContext) -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    assets = [source.build(tc), *pii.build(tc), profile.build(tc), generator.build(tc),
              synthetic.build(tc), *quality.build(tc), publish.build(tc)]
    assets += [scenario.build(tc, name, sc) for name, sc in tc.catalog.scenarios.items()
               if sc.table == tc.name]
    return assets, quality.build_checks(tc)


def build_all_assets(catalog: Catalog) -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    """Every table's assets and checks, from the catalog file and its key cache alone: keys the
    catalog leaves to the warehouse come from ``tabletwin keys --write``'s cache (the asset graph's
    parent -> child edges), and each run's source step checks them against the warehouse."""
    undeclared = tables_missing_keys(catalog)
    catalog = with_cached_keys(catalog)
    assets, checks = [], []
    for name in catalog.ordered_tables():
        a, c = build_table_assets(TableContext(catalog, catalog.tables[name], DAYS,
                                               undeclared_keys=tuple(undeclared.get(name, ()))))
        assets += a
        checks += c
    return assets, checks
