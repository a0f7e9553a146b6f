"""Shared fixtures: a small demo warehouse and a catalog pointing at it, in a temp folder."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TEST_KEY = "test-pseudonym-key-0123456789abcdef"


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Tier markers that no file can forget: ``integration`` on every test under
    tests/integration/, ``postgres`` on every test that needs the PostgreSQL server (its fixtures
    all start from ``pg_url``). ``celery`` and ``browser`` are written on the tests."""
    for item in items:
        if (TESTS / "integration") in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


#: Scheduling hints for ``pytest -n 2`` (``make test``): files whose tests take longest (measured
#: with ``--durations``) start first, so the two workers do not end with one long test running alone.
#: Order only: every collected test runs, whatever this list says. Whole files move (never single
#: tests), so a module-scoped fixture is still set up once per file. Unlisted files follow, the
#: integration tier's before the unit tier's.
LONG_FIRST = (
    "integration/pipelines/test_soak_kills.py",  # ~2 min: consecutive `tabletwin run` processes
    "integration/pipelines/test_ui.py",  # waits for `dagster dev` to load the code location
    "integration/warehouse/test_warehouse_pg.py",  # the whole demo through PostgreSQL
    "integration/pipelines/test_celery.py",  # starts two Celery workers
    "integration/pipelines/test_cli_run.py",
    "integration/pipelines/test_sports_warehouse.py",
    "integration/pipelines/test_red_team.py",
    "unit/quality/test_quality_gate.py",  # the unit tier's longest files
    "unit/synth/test_streaming.py",
)


class _LongFirst:
    """Runs after pytest's own reordering (which groups tests sharing a fixture instance) and after
    ``-m``/``-k`` deselection; a stable sort by file rank keeps each file's tests together."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        def rank(item) -> int:
            path = Path(str(item.fspath)).resolve()
            rel = path.relative_to(TESTS).as_posix() if TESTS in path.parents else ""
            if rel in LONG_FIRST:
                return LONG_FIRST.index(rel)
            return len(LONG_FIRST) + (0 if rel.startswith("integration/") else 1)

        items.sort(key=rank)


class _XdistGroups:
    """``--dist loadgroup`` sends the tests of one ``@pytest.mark.xdist_group(name)`` to one worker
    by appending ``@name`` to their node ids on the workers. pytest-xdist 3.8 does so by setting
    ``item._nodeid``, which pytest 9 no longer reads (``nodeid`` comes from ``item._id``): the
    groups were silently split across workers (a module-scoped run made twice). Done here the
    pytest 9 way when xdist's own attempt left the id unchanged; a no-op otherwise."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not getattr(config.option, "loadgroup", False):  # set on xdist workers by loadgroup
            return
        from _pytest.nodeid import coerce_node_id

        for item in items:
            names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                            for m in item.iter_markers("xdist_group")})
            suffix = "@" + "_".join(names)
            if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
                item._id = coerce_node_id(item.nodeid + suffix)


def pytest_configure(config):
    config.pluginmanager.register(_LongFirst(), "tabletwin-long-first")
    config.pluginmanager.register(_XdistGroups(), "tabletwin-xdist-groups")


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("TABLETWIN_PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))


#: The small test warehouse has 400 customers: binned uni/bi/trivariate histograms of a few hundred
#: rows are noisy (holdout-level accuracy is itself far below 1), so the tests' gate asks for less
#: than the demo catalog's. The gate is the same code; a test forces it to fail with 1.0.
SMALL_FIDELITY_MIN = 0.6
#: Likewise children per parent: two random halves of the small warehouse's 613 accounts give
#: 1 - TVD of their transaction-count histograms of 0.926 on average, 0.881 at the 5th percentile,
#: so the demo catalog's 0.9 would block a faithful copy about one run in six here.
SMALL_CARDINALITY_MIN = 0.8


_EVERY_TABLE = ("schema_matches_source", "schema_change_reviewed", "row_count_matches",
                "no_pii_in_synthetic", "expectations_pass", "fidelity_above_threshold",
                "not_closer_to_training", "no_copied_rows", "correlations_preserved",
                "no_rare_values_copied")
_RELATIONS = ("no_orphan_keys", "children_per_parent_match", "joins_like_source")
#: The asset checks each table of the demo catalog (tabletwin.yaml) must have, written out by
#: hand: customers declares constraints and no foreign key; accounts and support_tickets have a
#: parent; transactions has a parent and a target; none is rebalanced.
DEMO_CHECKS = {
    "customers": {*_EVERY_TABLE, "constraints_hold"},
    "accounts": {*_EVERY_TABLE, *_RELATIONS},
    "transactions": {*_EVERY_TABLE, *_RELATIONS, "useful_for_ml"},
    "support_tickets": {*_EVERY_TABLE, *_RELATIONS},
}


def write_catalog(folder: Path, **table_overrides) -> Path:
    """Copy the project catalog into ``folder`` (paths relative to it), applying overrides."""
    data = yaml.safe_load((ROOT / "tabletwin.yaml").read_text())
    for cfg in data["tables"].values():
        cfg.setdefault("checks", {})["fidelity_min"] = SMALL_FIDELITY_MIN
        cfg["checks"]["cardinality_min"] = SMALL_CARDINALITY_MIN
    for table, extra in table_overrides.items():
        data["tables"][table].update(extra)
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Path:
    from tabletwin.demo.load import build_demo_warehouse

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


# --- PostgreSQL (tests skip, saying why, only when no server answers) ---------------------------
PG_URL_ENV = "TABLETWIN_TEST_PG_URL"
PG_CANDIDATES = ("postgresql+psycopg://postgres@127.0.0.1:5432/test",
                 "postgresql+psycopg://root@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A URL of the test PostgreSQL server ($TABLETWIN_TEST_PG_URL, else postgres/root on
    127.0.0.1:5432 database test)."""
    import os

    import psycopg

    candidates = [os.environ[PG_URL_ENV]] if os.environ.get(PG_URL_ENV) else list(PG_CANDIDATES)
    reasons = []
    for url in candidates:
        try:
            with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3) as con:
                con.execute("SELECT 1")
            return url
        except psycopg.Error as exc:
            reasons.append(type(exc).__name__)
    pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 database test "
                f"({', '.join(reasons)}); set {PG_URL_ENV} to test against another server")


@pytest.fixture
def pg_schemas(pg_url):
    """A factory of random schema names; the schemas (and their ``_versions``) are dropped after."""
    import uuid

    import psycopg

    names: list[str] = []

    def make(prefix: str = "tt") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return name

    yield make
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as con:
        for n in names:
            con.execute(f'DROP SCHEMA IF EXISTS "{n}_versions" CASCADE')
            con.execute(f'DROP SCHEMA IF EXISTS "{n}" CASCADE')


def pg_exec(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as con:
        con.execute(sql)


@pytest.fixture
def dagster_pg_home(pg_url, tmp_path, monkeypatch):
    """``DAGSTER_HOME`` holding deploy/dagster.yaml as shipped, ``DAGSTER_PG_URL`` pointing at a
    database made for this test on the test server (dagster-postgres creates its tables there;
    the URL names psycopg2, as the example asks); the database is dropped after."""
    import uuid

    from sqlalchemy.engine import make_url

    name = f"tt_dagster_{uuid.uuid4().hex[:12]}"
    pg_exec(pg_url, f'CREATE DATABASE "{name}"')
    home = tmp_path / "dagster_pg_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.yaml").read_text())
    url = make_url(pg_url).set(drivername="postgresql+psycopg2", database=name)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", url.render_as_string(hide_password=False))
    try:
        yield home, url.render_as_string(hide_password=False)
    finally:
        pg_exec(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def on_day(day: str):
    """Set tabletwin's clock (``TABLETWIN_TODAY``) to ``day`` inside the block: a run of ``day``
    reads the source then, as the daily job does on that day (see tabletwin.clock)."""
    from tabletwin.clock import TODAY_ENV

    old = os.environ.get(TODAY_ENV)
    os.environ[TODAY_ENV] = day
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(TODAY_ENV, None)
        else:
            os.environ[TODAY_ENV] = old


def run_on(day: str, argv: list[str]) -> int:
    """``tabletwin <argv>`` (the console script's ``main``) with the clock on ``day``."""
    from pipelines.cli import main

    with on_day(day):
        return main(argv)


@pytest.fixture(autouse=True)
def _clock(request, monkeypatch):
    """A test module's ``DAY`` is today for its tests (the days they run are today's snapshots)."""
    from tabletwin.clock import TODAY_ENV

    day = getattr(request.module, "DAY", None)
    # always set (empty: the real date), so whatever a test writes there is undone after it
    monkeypatch.setenv(TODAY_ENV, day if isinstance(day, str) else "")


def materialize_day(assets, *, day: str, instance, **kwargs):
    """Dagster's ``materialize`` of ``day``'s partition, as the daily run does it: the day's
    partition added to ``instance`` and the clock on ``day``."""
    from dagster import materialize

    from assets.common import add_day

    add_day(instance, day)
    with on_day(day):
        return materialize(assets, partition_key=day, instance=instance, **kwargs)
