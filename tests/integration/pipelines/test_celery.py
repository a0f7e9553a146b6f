"""Distributed execution: two tables' steps on two local Celery workers (dagster-celery, RabbitMQ),
recorded in the production Dagster instance (deploy/dagster.yaml, PostgreSQL).

Needs a broker (``TABLETWIN_CELERY_BROKER``, default RabbitMQ on 127.0.0.1:5672) and PostgreSQL
(127.0.0.1:5432); skips only when one is unreachable, naming it. Each test uses its own queue and its
own database, so parallel runs and CI never share tasks or runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest
import yaml

from tests.conftest import DEMO_CHECKS, ROOT, write_catalog

pytestmark = pytest.mark.celery

DAY = "2026-03-01"
TABLES = ["customers", "accounts"]


def _broker_url() -> str:
    from pipelines.execution import BROKER_ENV, DEFAULT_BROKER

    return os.environ.get(BROKER_ENV) or DEFAULT_BROKER


@pytest.fixture
def broker():
    url = urlparse(_broker_url())
    try:
        socket.create_connection((url.hostname, url.port or 5672), timeout=2).close()
    except OSError:
        pytest.skip(f"no Celery broker reachable at {url.hostname}:{url.port or 5672} "
                    "(start RabbitMQ or set TABLETWIN_CELERY_BROKER)")
    return _broker_url()


@pytest.fixture
def two_table_project(tmp_path, small_warehouse) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo_warehouse.duckdb").write_bytes(small_warehouse.read_bytes())
    path = write_catalog(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["tables"] = {t: data["tables"][t] for t in TABLES}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


@pytest.fixture
def workers(broker, dagster_pg_home, two_table_project, tmp_path):
    """Two ``tabletwin worker`` processes (with the PostgreSQL instance's environment) on a queue of
    their own; stopped (process groups and all) and the queue deleted after, whatever happens."""
    from pipelines.workers import local_workers

    queue = f"tt_test_{uuid.uuid4().hex[:10]}"
    try:
        with local_workers(queue, count=2, catalog=two_table_project / "tabletwin.yaml",
                           log_dir=tmp_path) as names:
            yield queue, names
    except RuntimeError as exc:
        logs = "\n".join(p.read_text()[-1500:] for p in tmp_path.glob("w*.log"))
        pytest.fail(f"{exc}\n{logs}")


def test_two_tables_on_two_celery_workers_recorded_in_postgres(two_table_project, workers,
                                                               dagster_pg_home, monkeypatch,
                                                               capsys):
    import psycopg
    from dagster import AssetKey, DagsterEventType, DagsterInstance

    from pipelines.run import run_pipeline

    queue, worker_names = workers
    home, pg_url = dagster_pg_home
    monkeypatch.setenv("TABLETWIN_CATALOG", "")  # run_pipeline points it at the catalog
    status = run_pipeline(catalog_path=two_table_project / "tabletwin.yaml", date=DAY,
                          executor="celery", queue=queue)
    out = capsys.readouterr()
    assert status == 0, out.out + out.err
    for t in TABLES:
        assert f"published synthetic.{t}" in out.out
    run_id = out.out.split("\nrun ", 1)[1].split()[0]

    # published results: views of today's versions with the source's row counts, history rows
    con = duckdb.connect(str(two_table_project / "data" / "demo_warehouse.duckdb"),
                         read_only=True)
    try:
        for t in TABLES:
            kind = con.execute("SELECT table_type FROM information_schema.tables WHERE "
                               "table_schema = 'synthetic' AND table_name = ?", [t]).fetchone()
            assert kind == ("VIEW",), t
            n_src = con.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]
            n_pub = con.execute(f"SELECT count(*) FROM synthetic.{t}").fetchone()[0]
            assert n_pub == n_src > 0, t
        hist = con.execute("SELECT table_name, published, run_id FROM synthetic.tabletwin_runs "
                           "WHERE partition_key = ? ORDER BY table_name", [DAY]).fetchall()
    finally:
        con.close()
    assert hist == [("accounts", True, run_id), ("customers", True, run_id)]

    # the run and its materializations are in PostgreSQL, readable back through the instance
    assert (home / "dagster.yaml").read_text() == (ROOT / "deploy" / "dagster.yaml").read_text()
    assert not list(home.rglob("*.db"))  # nothing went to SQLite
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        run = instance.get_run_by_id(run_id)
        assert run.is_success and run.tags["dagster/partition"] == DAY
        assert "celery" in run.run_config["execution"]["config"]
        for t in TABLES:
            for name in ("source_table", "pii_plan", "masked_table", "table_profile",
                         "fitted_generator", "synthetic_table", "quality_report",
                         "published_table"):
                records = instance.fetch_materializations(AssetKey([t, name]), limit=5).records
                assert [(r.run_id, r.partition_key) for r in records] == [(run_id, DAY)], (t, name)
        engine = instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
        ends = instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS)
        checks = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    assert len(checks) == sum(len(DEMO_CHECKS[t]) for t in TABLES)
    with psycopg.connect(pg_url.replace("+psycopg2", "")) as pg:  # any PostgreSQL client sees it
        assert pg.execute("SELECT status FROM runs WHERE run_id = %s",
                          [run_id]).fetchone() == ("SUCCESS",)
        assert pg.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND "
                          "dagster_event_type = 'ASSET_MATERIALIZATION'",
                          [run_id]).fetchone() == (8 * len(TABLES),)

    # the steps ran on the workers: dagster-celery records which worker took each step
    ran_on = {}
    for e in engine:
        data = e.dagster_event.engine_event_data
        if data and "Celery worker" in data.metadata:
            ran_on[e.step_key] = data.metadata["Celery worker"].value.split("@")[0]
    started = {e.step_key for e in starts}
    assert len(started) == 9 * len(TABLES)  # 8 assets and one quality-gate step per table
    assert set(ran_on) == started  # every step was executed by a worker ...
    assert set(ran_on.values()) == set(worker_names)  # ... and both workers took some
    assert os.getpid() not in {e.dagster_event.pid for e in starts}
    # and two steps overlapped in time (so DuckDB was shared by two processes at once)
    spans = sorted((s.timestamp, next(x.timestamp for x in ends if x.step_key == s.step_key))
                   for s in starts)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def test_celery_run_without_workers_fails_at_once_naming_the_queue(broker, two_table_project,
                                                                   monkeypatch):
    from pipelines.run import run_pipeline
    from tabletwin.errors import ConfigError

    monkeypatch.setenv("TABLETWIN_CATALOG", "")
    queue = f"tt_test_{uuid.uuid4().hex[:10]}"  # nobody listens on it
    with pytest.raises(ConfigError) as err:
        run_pipeline(catalog_path=two_table_project / "tabletwin.yaml", date=DAY,
                     executor="celery", queue=queue)
    assert f"no worker listens on queue {queue!r}" in str(err.value)
    assert "guest:guest" not in str(err.value)  # the broker's password is masked
