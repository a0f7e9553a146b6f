"""A PII column kept by the catalog, through `tabletwin run` and Dagster (split from tests/unit/pii/test_pii_leaks.py)."""

from __future__ import annotations

import json
from tabletwin.pii.plan import KEPT_BY_CATALOG


def test_run_lists_kept_column_in_output_report_and_dagster(project, capsys):
    """``tabletwin run`` with ``action: keep`` on a PII column: published (a warning, not a block),
    and said in the run output, the report and the Dagster metadata."""
    from dagster import DagsterInstance, materialize

    from assets import build_all_assets
    from pipelines.build import build_resources
    from tabletwin.config.loader import load_catalog
    from pipelines.cli import main
    from tests.conftest import materialize_day, run_on, write_catalog

    columns = {"city": {"pii": False}, "state": {"pii": False}, "email": {"action": "keep"}}
    write_catalog(project, customers={"columns": columns})
    cat = str(project / "tabletwin.yaml")
    assert run_on("2026-04-01", ["run", "--catalog", cat, "--date", "2026-04-01", "--table", "customers"]) == 0
    out = capsys.readouterr().out
    assert "published synthetic.customers" in out
    assert f"customers.email: {KEPT_BY_CATALOG}" in out
    data = json.loads((project / "data" / "reports" / "customers" / "2026-04-01.json").read_text())
    assert data["kept_by_catalog"]["email"]["note"] == KEPT_BY_CATALOG
    assert "no_pii_kept_by_catalog" not in data["failed_checks"]
    html = (project / "data" / "reports" / "customers" / "2026-04-01.html").read_text()
    assert KEPT_BY_CATALOG in html
    catalog = load_catalog(project / "tabletwin.yaml")
    assets, _ = build_all_assets(catalog)
    wanted = [a for a in assets if a.key.path[0] == "customers"
              and a.key.path[-1] in ("source_table", "pii_plan")]
    with DagsterInstance.ephemeral() as instance:
        result = materialize_day(wanted, resources=build_resources(catalog),
                                 day="2026-04-02", instance=instance)
        events = [e for e in result.get_asset_materialization_events()
                  if e.asset_key.path[-1] == "pii_plan"]
    meta = events[0].materialization.metadata
    assert KEPT_BY_CATALOG in meta["kept_by_catalog"].value
    assert "`email`" in meta["kept_by_catalog"].value
