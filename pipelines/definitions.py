"""The code location Dagster loads (``dagster dev``, ``workspace.yaml``, ``dagster asset materialize``)."""

from pipelines.build import build_definitions, catalog_path
from tabletwin.config.loader import load_catalog

defs = build_definitions(load_catalog(catalog_path()))


def job(name: str):
    """One job of this code location, by name: what each step's process rebuilds when ``tabletwin
    run`` executes out of process (``dagster.build_reconstructable_job(__name__, "job", (name,))``)."""
    return defs.resolve_job_def(name)
