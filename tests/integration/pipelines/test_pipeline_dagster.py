"""The whole chain through Dagster on a real (small) DuckDB warehouse."""

from __future__ import annotations

import contextlib
import pickle
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, materialize

from assets import build_all_assets
from assets.common import add_day
from tabletwin.config.checks import WARN_BY_DEFAULT
from pipelines.build import DAILY_JOB, build_definitions, build_resources
from tabletwin.config.loader import load_catalog
from tabletwin.pii import pii_leaks
from tests.conftest import DEMO_CHECKS, ROOT, TEST_KEY, materialize_day, write_catalog

DAY = "2026-03-01"
TABLES = ["customers", "accounts", "transactions", "support_tickets"]


def run_day(project, day=DAY, instance=None, tables=None):
    """Materialize every asset and check for ``day`` (in ``instance``, else a fresh one); only
    those of ``tables`` when given."""
    catalog = load_catalog(project / "tabletwin.yaml")
    if tables is not None:
        catalog = catalog.model_copy(update={"tables": {t: catalog.tables[t] for t in tables}})
    assets, checks = build_all_assets(catalog)
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(DagsterInstance.ephemeral())
        return materialize_day([*assets, *checks], resources=build_resources(catalog),
                               day=day, instance=instance, raise_on_error=False)


#: The tests that start from day 1 published (4 tables, one Dagster run) share that run: it is made
#: once per module (``day_one``) and each test gets the project folder as the run left it (``day_one_
#: project``). One xdist group keeps them on one worker, so the run is made once under ``-n 2`` too.
DAY_ONE = pytest.mark.xdist_group("pipeline_day_one")


@pytest.fixture(scope="module")
def day_one(tmp_path_factory, small_warehouse):
    """Day 1 of the demo catalog materialized once (every asset and check, a SQLite Dagster instance
    kept in the folder): the folder, a pristine copy of it, and the run's result. Tests work in the
    folder itself (same absolute paths as the run: stored handles and history rows stay valid)."""
    base = tmp_path_factory.mktemp("day_one")
    work, pristine = base / "project", base / "pristine"
    (work / "data").mkdir(parents=True)
    (work / "data" / "demo_warehouse.duckdb").write_bytes(small_warehouse.read_bytes())
    write_catalog(work)
    (work / "dagster_instance").mkdir()
    with pytest.MonkeyPatch.context() as mp:  # what the autouse _offline_env sets for each test
        mp.setenv("TABLETWIN_PSEUDONYM_KEY", TEST_KEY)
        mp.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
        with DagsterInstance.local_temp(str(work / "dagster_instance")) as instance:
            result = run_day(work, instance=instance)
    shutil.copytree(work, pristine)
    return work, pristine, result


@pytest.fixture
def day_one_project(day_one):
    """The project folder exactly as day 1's run left it (restored before each test)."""
    work, pristine, _ = day_one
    shutil.rmtree(work)
    shutil.copytree(pristine, work)
    return work


def _read(project, schema, table):
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {schema}.{table}").df()
    finally:
        con.close()


def published(project, table):
    return _read(project, "synthetic", table)


def source(project, table):
    return _read(project, "main", table)


def stored_plan(project, table):
    return pickle.loads(
        (project / "data" / "storage" / table / "pii_plan" / f"{DAY}.pkl").read_bytes())


@DAY_ONE
def test_materialize_publishes_every_table_without_pii(day_one, day_one_project):
    project, result = day_one_project, day_one[2]
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {(c.asset_key.path[0], c.check_name) for c in checks} == {
        (t, name) for t, names in DEMO_CHECKS.items() for name in names}
    # every blocking (ERROR) check passes; on this small warehouse only soft ones may warn, and
    # on a first run schema_change_reviewed has nothing to compare (not applicable: a WARN)
    failed = {(c.asset_key.path[0], c.check_name) for c in checks
              if not c.passed and c.metadata["status"].value != "not_applicable"}
    assert all(name in WARN_BY_DEFAULT for _, name in failed), failed
    first = [c for c in checks if c.check_name == "schema_change_reviewed"]
    assert len(first) == 4 and all(not c.passed and c.severity.value == "WARN" and
                                   c.metadata["status"].value == "not_applicable" for c in first)
    catalog = load_catalog(project / "tabletwin.yaml")
    for t in TABLES:
        src, pub = source(project, t), published(project, t)
        assert list(pub.columns) == list(src.columns)
        assert len(pub) == len(src)
    # PII: no source value of any detected PII column appears anywhere in the published table
    for t in TABLES:
        leaks = pii_leaks(source(project, t), published(project, t), stored_plan(project, t))
        assert sum(leaks.values()) == 0, (t, leaks)
    cust_plan = stored_plan(project, "customers")
    assert {"full_name", "email", "phone", "ssn", "street_address"} <= set(cust_plan.pii_columns)
    src, pub = source(project, "customers"), published(project, "customers")
    for col in ("full_name", "email", "phone", "ssn", "street_address"):
        assert not set(src[col]) & set(pub[col]), col
    # foreign keys point at published parents
    acc, cust = published(project, "accounts"), published(project, "customers")
    assert acc["customer_id"].isin(cust["customer_id"]).all()
    # joins on the published related set are plausible: every transaction after its account was
    # opened, every account opened after its customer signed up (both hold in the source), and
    # events of one account come in time order with the fresh keys
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    for schema in ("main", "synthetic"):
        late = con.execute(
            f"SELECT count(*), count(a.account_id), min(epoch(t.created_at) - epoch(a.opened_date))"
            f" FROM {schema}.transactions t LEFT JOIN {schema}.accounts a USING (account_id)"
        ).fetchone()
        assert late[0] == late[1] and late[2] >= 0, (schema, late)
        assert con.execute(
            f"SELECT count(*) FROM {schema}.accounts a JOIN {schema}.customers c "
            f"USING (customer_id) WHERE a.opened_date < c.signup_date").fetchone()[0] == 0, schema
    unordered = con.execute(
        "SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER (PARTITION BY account_id "
        "ORDER BY transaction_id) AS prev FROM synthetic.transactions) WHERE created_at < prev"
    ).fetchone()[0]
    con.close()
    assert unordered == 0
    hist = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    runs = hist.execute("SELECT table_name, passed FROM synthetic.tabletwin_runs").df()
    hist.close()
    assert sorted(runs["table_name"]) == sorted(TABLES) and runs["passed"].all()
    for t in TABLES:
        assert (project / "data" / "reports" / t / f"{DAY}.html").exists()
    assert catalog.tables["customers"].primary_key == "customer_id"


@DAY_ONE
def test_rerun_same_day_is_identical(day_one, day_one_project):
    project = day_one_project
    assert day_one[2].success
    first = {t: published(project, t) for t in TABLES}
    assert run_day(project).success
    for t in TABLES:
        pd.testing.assert_frame_equal(first[t], published(project, t))


@DAY_ONE
def test_failing_blocking_check_keeps_previous_version(day_one, day_one_project):
    project = day_one_project
    assert day_one[2].success
    before = published(project, "customers")
    write_catalog(project, customers={"checks": {"fidelity_min": 1.0}})
    result = run_day(project, day="2026-03-02")
    assert not result.success
    failed = [(c.asset_key.path[0], c.check_name) for c in result.get_asset_check_evaluations()
              if not c.passed]
    assert ("customers", "fidelity_above_threshold") in failed
    pd.testing.assert_frame_equal(before, published(project, "customers"))
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    runs = con.execute("SELECT partition_key, passed, published FROM synthetic.tabletwin_runs "
                       "WHERE table_name = 'customers' ORDER BY partition_key").df()
    versions = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema "
                           "= 'synthetic_versions' AND table_name LIKE 'customers%'").df()
    con.close()
    # the failed run is in the history (checked, not published); no version was made for it
    assert runs.values.tolist() == [[DAY, True, True], ["2026-03-02", False, False]]
    assert list(versions["table_name"]) == [f"customers__{DAY.replace('-', '')}"]


def test_definitions_load(project, monkeypatch):
    monkeypatch.setenv("TABLETWIN_CATALOG", str(project / "tabletwin.yaml"))
    code = ("import dagster, pipelines.definitions as d; "
            "dagster.Definitions.validate_loadable(d.defs); "
            "print(sorted(j.name for j in d.defs.resolve_all_job_defs())); "
            "print([s.name for s in d.defs.schedules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    assert "daily_refresh_job" in out and "customers_job" in out and "'daily_refresh'" in out
    defs = build_definitions(load_catalog(project / "tabletwin.yaml"))
    assert isinstance(defs, Definitions)
    graph = defs.get_repository_def().asset_graph
    assert len(graph.get_all_asset_keys()) == 8 * len(TABLES)
    per_table = {t: {k.name for k in graph.asset_check_keys if k.asset_key.path[0] == t}
                 for t in TABLES}
    assert per_table == DEMO_CHECKS
    assert {t: len(v) for t, v in per_table.items()} == {
        "customers": 11, "accounts": 13, "transactions": 14, "support_tickets": 13}
    assert defs.resolve_job_def(DAILY_JOB).partitions_def is not None


def test_checks_defined_from_the_catalog_alone(tmp_path):
    """Which checks a table gets follows its catalog entry (foreign keys, target, rebalance,
    constraints), without a warehouse: the catalog points at a file that does not exist."""
    from tabletwin.config.loader import parse_catalog

    catalog = parse_catalog({
        "warehouse": {"path": str(tmp_path / "missing.duckdb")},
        "tables": {
            "plain": {},
            "parent": {"primary_key": "id"},
            "child": {"primary_key": "id", "foreign_keys": {"pid": "parent.id"},
                      "target": "y", "rebalance": {"column": "c", "shares": {"a": 0.5}}},
            "tree": {"primary_key": "id", "foreign_keys": {"up": "tree.id"}},  # self-reference
        }}, str(tmp_path / "tabletwin.yaml"))
    _, checks = build_all_assets(catalog)
    got = {}
    for c in checks:
        for key in c.check_keys:
            got.setdefault(key.asset_key.path[0], set()).add(key.name)
    every = set(DEMO_CHECKS["customers"]) - {"constraints_hold"}
    relations = {"no_orphan_keys", "children_per_parent_match", "joins_like_source"}
    assert got["plain"] == got["parent"] == got["tree"] == every
    assert got["child"] == every | relations | {"useful_for_ml", "minority_not_copied"}
    assert not (tmp_path / "missing.duckdb").exists()


def _upstream(defs, table):
    """Stage of each of ``table``'s assets -> the upstream asset keys, as "table/stage"."""
    graph = defs.get_repository_def().asset_graph
    return {k.path[1]: {"/".join(p.path) for p in graph.get(k).parent_keys}
            for k in graph.get_all_asset_keys() if k.path[0] == table}


@pytest.mark.parametrize("warehouse", ["absent", "unreadable", "a directory"])
def test_definitions_load_without_the_warehouse(tmp_path, warehouse):
    """A database outage must not break the code location: the definitions (graph, checks, jobs,
    resources) load from the catalog alone, whatever state the warehouse file is in."""
    path = tmp_path / "data" / "demo_warehouse.duckdb"
    if warehouse == "unreadable":
        path.parent.mkdir()
        path.write_bytes(b"not a duckdb file")
        path.chmod(0)
    elif warehouse == "a directory":
        path.mkdir(parents=True)
    catalog_file = write_catalog(tmp_path)
    defs = build_definitions(load_catalog(catalog_file))
    Definitions.validate_loadable(defs)
    assert len(defs.get_repository_def().asset_graph.get_all_asset_keys()) == 8 * len(TABLES)
    # the declared foreign key is an edge: the child's generator is fitted given its parent
    assert "customers/masked_table" in _upstream(defs, "accounts")["fitted_generator"]
    # edges follow the data: the report reads the generator's name from the synthetic rows
    for t in TABLES:
        assert f"{t}/fitted_generator" not in _upstream(defs, t)["quality_report"]
        assert _upstream(defs, t)["quality_report"] >= {f"{t}/synthetic_table",
                                                      f"{t}/table_profile"}
    # the gate: every check of a table comes from its one multi_asset_check, on quality_report
    graph = defs.get_repository_def().asset_graph
    for t in TABLES:
        report = AssetKey([t, "quality_report"])
        gates = [c for c in defs.asset_checks if any(k.asset_key.path[0] == t
                                                     for k in c.check_keys)]
        assert [g.node_def.name for g in gates] == [f"{t}__quality_gate"]
        assert {k for k in graph.asset_check_keys if k.asset_key.path[0] == t} \
            == set(gates[0].check_keys)
        assert {k.asset_key for k in gates[0].check_keys} == {report}
        assert len(gates[0].check_keys) > 5
    assert path.exists() == (warehouse != "absent")


def test_undeclared_keys_get_their_edges_after_the_key_step(project, capsys):
    """Keys the catalog leaves to the warehouse: no edge (and a run that stops at the source step,
    naming the command) until `tabletwin keys --write` caches them; then the parent -> child
    edges are in the graph, read without opening the warehouse."""
    from pipelines.cli import main
    from tabletwin.config.keys import KEYS_COMMAND

    data = __import__("yaml").safe_load((project / "tabletwin.yaml").read_text())
    for t in ("customers", "accounts"):  # keyless in the catalog; the warehouse declares them
        data["tables"][t].pop("primary_key")
        data["tables"][t].pop("foreign_keys")
    data["tables"] = {t: data["tables"][t] for t in ("customers", "accounts")}
    catalog_file = project / "tabletwin.yaml"
    catalog_file.write_text(__import__("yaml").safe_dump(data, sort_keys=False))

    defs = build_definitions(load_catalog(catalog_file))
    assert not {k for k in _upstream(defs, "accounts")["fitted_generator"]
                if k.startswith("customers/")}
    with DagsterInstance.ephemeral() as instance:
        add_day(instance, DAY)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            partition_key=DAY, instance=instance, raise_on_error=False,
            asset_selection=[AssetKey(["accounts", "source_table"])])
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.cause.message
    assert KEYS_COMMAND in message and "accounts" in message and "customer_id" in message

    assert main(["keys", "--write", "--catalog", str(catalog_file)]) == 0
    assert (project / "tabletwin.keys.yaml").is_file()
    capsys.readouterr()
    # the cache is read at load: the warehouse file may be gone
    (project / "data" / "demo_warehouse.duckdb").rename(project / "data" / "elsewhere.duckdb")
    defs = build_definitions(load_catalog(catalog_file))
    up = _upstream(defs, "accounts")
    assert {"customers/masked_table", "customers/pii_plan"} <= up["fitted_generator"]
    assert "customers/synthetic_table" in up["synthetic_table"]
    assert "customers/published_table" in up["published_table"]
    (project / "data" / "elsewhere.duckdb").rename(project / "data" / "demo_warehouse.duckdb")
    with DagsterInstance.ephemeral() as instance:
        add_day(instance, DAY)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            partition_key=DAY, instance=instance, raise_on_error=False,
            asset_selection=[AssetKey(["accounts", "source_table"])])
    assert result.success


def test_not_measured_check_is_a_failed_warning_in_dagster(project):
    """A table without a holdout (holdout_share 0): the distance checks fail at WARN severity
    with metadata saying not measured (never Succeeded), and publication goes on; with
    ``not_measured: error`` they block it."""
    write_catalog(project, customers={"checks": {"fidelity_min": 0.5, "holdout_share": 0.0}})
    result = run_day(project)
    evals = {(c.asset_key.path[0], c.check_name): c for c in result.get_asset_check_evaluations()}
    for name in ("not_closer_to_training", "no_copied_rows"):
        ev = evals[("customers", name)]
        assert not ev.passed and ev.severity.value == "WARN", ev
        assert ev.metadata["status"].value == "not_measured"
    assert ("customers", "useful_for_ml") not in evals  # no target: not defined at all
    assert len(published(project, "customers")) > 0
    write_catalog(project, customers={"checks": {"fidelity_min": 0.5, "holdout_share": 0.0,
                                                 "not_measured": "error"}})
    result = run_day(project, day="2026-03-02", tables=["customers"])
    ev = {c.check_name: c for c in result.get_asset_check_evaluations()
          if c.asset_key.path[0] == "customers"}["no_copied_rows"]
    assert not ev.passed and ev.severity.value == "ERROR"
    con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"), read_only=True)
    runs = con.execute("SELECT partition_key, published FROM synthetic.tabletwin_runs WHERE "
                       "table_name = 'customers' ORDER BY partition_key").df()
    con.close()
    assert runs.values.tolist() == [[DAY, True], ["2026-03-02", False]]


def test_raw_snapshots_are_pruned_with_the_published_versions(project):
    """versions_kept 1: once day 2 is published, no stored file of day 1 (raw source snapshot
    included) is left; day 2's are kept."""
    import yaml

    path = write_catalog(project)
    data = yaml.safe_load(path.read_text())
    data["versions_kept"] = 1
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    storage = project / "data" / "storage" / "customers"
    assert run_day(project, tables=["customers"]).success
    assert (storage / "source_table" / f"{DAY}.parquet").exists()
    day2 = "2026-03-02"
    assert run_day(project, day=day2, tables=["customers"]).success
    left = sorted(p.relative_to(storage).as_posix() for p in storage.rglob("*") if p.is_file())
    assert left and not [p for p in left if DAY in p], left
    assert f"source_table/{day2}.parquet" in left and f"masked_table/{day2}.parquet" in left
    # the reports of day 1 stay (they hold no data value)
    assert (project / "data" / "reports" / "customers" / f"{DAY}.html").exists()


def test_core_never_imports_dagster():
    code = ("import pkgutil, importlib, sys, tabletwin\n"
            "for m in pkgutil.walk_packages(tabletwin.__path__, 'tabletwin.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = sorted(k for k in sys.modules if k == 'dagster' or k.startswith('dagster'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    for path in (ROOT / "tabletwin").rglob("*.py"):
        text = path.read_text()
        assert "import dagster" not in text and "from dagster" not in text, path


@DAY_ONE
def test_new_or_changed_columns_are_flagged_for_review(day_one, day_one_project):
    project = day_one_project
    assert day_one[2].success
    # day 2 in the instance that recorded day 1 (restored with the folder): its plan fingerprints
    with DagsterInstance.local_temp(str(project / "dagster_instance")) as instance:
        assert len(instance.get_runs()) == 1
        con = duckdb.connect(str(project / "data" / "demo_warehouse.duckdb"))
        con.execute("ALTER TABLE main.support_tickets ADD COLUMN agent_email VARCHAR")
        con.execute("UPDATE main.support_tickets SET agent_email = 'agent' || ticket_id || "
                    "'@bank.example.com'")
        con.execute("ALTER TABLE main.support_tickets ALTER category TYPE VARCHAR(40)")
        con.close()
        result = run_day(project, day="2026-03-02", instance=instance)
        # the new column blocks support_tickets until the catalog reviews it (schema_change);
        # every other table publishes
        assert not result.success
        evals = {c.asset_key.path[0]: c for c in result.get_asset_check_evaluations()
                 if c.check_name == "schema_change_reviewed"}
        assert [t for t, c in evals.items() if not c.passed] == ["support_tickets"]
        assert "+ agent_email (VARCHAR): new column, detected PII: EMAIL_ADDRESS" in \
            evals["support_tickets"].description
        assert "bank.example.com" not in evals["support_tickets"].description
        meta = {tuple(e.asset_key.path): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
        assert ("support_tickets", "published_table") not in meta
        assert ("customers", "published_table") in meta
        changed = meta[("support_tickets", "pii_plan")]["new_or_changed_columns"].value
        assert changed == ["agent_email"]
        assert meta[("customers", "pii_plan")]["new_or_changed_columns"].value == []
        assert "agent_email" in meta[("support_tickets", "pii_plan")]["review"].value
        fp = meta[("support_tickets", "pii_plan")]["fingerprint"].value
        assert fp["agent_email"]["entity"] == "EMAIL_ADDRESS"


def test_prune_storage_keeps_kept_and_current_partitions(tmp_path):
    from tabletwin.chain.stages import prune_storage

    names = {"source_table/2026-03-01.parquet", "source_table/2026-03-04.parquet",
             "masked_table/2026-03-01.parquet", "quality_report/2026-03-02.pkl",
             "source_snapshot/2026-03-01.parquet", "source_snapshot/2026-03-01.parquet.sample-9-1"
             ".parquet", "source_snapshot/.2026-03-02.parquet.partial",
             "pii_plan/2026-03-03.pkl", "pii_plan/2026-03-05.pkl", "pii_plan/notes.txt"}
    for n in names:
        (tmp_path / "t" / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "t" / n).write_text("x")
    (tmp_path / "other" / "source_table").mkdir(parents=True)
    (tmp_path / "other" / "source_table" / "2026-03-01.parquet").write_text("x")
    # kept versions 03-03 and 03-05; 03-01 is being re-run (a backfill): it stays for now
    removed = prune_storage(tmp_path, "t", ["2026-03-03", "2026-03-05"], "2026-03-01")
    left = {p.relative_to(tmp_path / "t").as_posix() for p in (tmp_path / "t").rglob("*")
            if p.is_file()}
    assert {p.relative_to(tmp_path / "t").as_posix() for p in removed} == {
        "quality_report/2026-03-02.pkl", "source_snapshot/.2026-03-02.parquet.partial"}
    prune_storage(tmp_path, "t", ["2026-03-03", "2026-03-05"], "2026-03-05")
    left = {p.relative_to(tmp_path / "t").as_posix() for p in (tmp_path / "t").rglob("*")
            if p.is_file()}
    assert left == {"source_table/2026-03-04.parquet", "pii_plan/2026-03-03.pkl",
                    "pii_plan/2026-03-05.pkl", "pii_plan/notes.txt"}
    assert (tmp_path / "other" / "source_table" / "2026-03-01.parquet").exists()  # other table
    assert prune_storage(tmp_path, "t", [], "2026-03-05") == []  # nothing published: keep all
