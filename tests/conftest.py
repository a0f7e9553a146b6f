"""Shared fixtures: a small demo warehouse and a catalog pointing at it, in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TEST_KEY = "test-pseudonym-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("TABLETWIN_PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))


#: The small test warehouse has 400 customers: binned uni/bi/trivariate histograms of a few hundred
#: rows are noisy (holdout-level accuracy is itself far below 1), so the tests' gate asks for less
#: than the demo catalog's. The gate is the same code; a test forces it to fail with 1.0.
SMALL_FIDELITY_MIN = 0.6


def write_catalog(folder: Path, **table_overrides) -> Path:
    """Copy the project catalog into ``folder`` (paths relative to it), applying overrides."""
    data = yaml.safe_load((ROOT / "tabletwin.yaml").read_text())
    for cfg in data["tables"].values():
        cfg.setdefault("checks", {})["fidelity_min"] = SMALL_FIDELITY_MIN
    for table, extra in table_overrides.items():
        data["tables"][table].update(extra)
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    from tabletwin.demo import build_demo_warehouse

    folder = tmp_path_factory.mktemp("wh")
    path = folder / "data" / "demo_warehouse.duckdb"
    path.parent.mkdir()
    build_demo_warehouse(path, customers=400, transactions=3000)
    return path


@pytest.fixture
def project(tmp_path, small_warehouse) -> Path:
    """A project folder with its own copy of the small warehouse and the demo catalog."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo_warehouse.duckdb").write_bytes(small_warehouse.read_bytes())
    write_catalog(tmp_path)
    return tmp_path
