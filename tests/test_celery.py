"""Distributed execution: two tables' steps on two local Celery workers (dagster-celery, RabbitMQ).

Needs a broker (``TABLETWIN_CELERY_BROKER``, default RabbitMQ on 127.0.0.1:5672); skips only when it is
unreachable. Each test run uses its own queue, so parallel runs and CI never share tasks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest
import yaml

from tests.conftest import write_catalog

DAY = "2026-03-01"
TABLES = ["customers", "accounts"]
TABLETWIN = str(Path(sys.executable).parent / "tabletwin")


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
def workers(broker, two_table_project, tmp_path):
    """Two ``tabletwin worker`` processes on a queue of their own; stopped (process groups and
    all) and the queue deleted after the test, whatever happens."""
    from pipelines.execution import local_workers

    queue = f"tt_test_{uuid.uuid4().hex[:10]}"
    try:
        with local_workers(queue, count=2, catalog=two_table_project / "tabletwin.yaml",
                           log_dir=tmp_path) as names:
            yield queue, names
    except RuntimeError as exc:
        logs = "\n".join(p.read_text()[-1500:] for p in tmp_path.glob("w*.log"))
        pytest.fail(f"{exc}\n{logs}")


def test_two_tables_run_on_two_celery_workers(two_table_project, workers):
    from dagster import DagsterEventType, DagsterInstance

    queue, worker_names = workers
    out = subprocess.run([TABLETWIN, "run", "--executor", "celery", "--queue", queue,
                          "--date", DAY], cwd=two_table_project, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    for t in TABLES:
        assert f"published synthetic.{t}" in out.stdout

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
        hist = con.execute("SELECT table_name, published FROM synthetic.tabletwin_runs "
                           "WHERE partition_key = ? ORDER BY table_name", [DAY]).fetchall()
    finally:
        con.close()
    assert hist == [("accounts", True), ("customers", True)]

    # the steps ran on the workers: dagster-celery records which worker took each step
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.is_success and run.tags["dagster/partition"] == DAY
        assert "celery" in run.run_config["execution"]["config"]
        engine = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        starts = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)
        ends = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)
    ran_on = {}
    for e in engine:
        data = e.dagster_event.engine_event_data
        if data and "Celery worker" in data.metadata:
            ran_on[e.step_key] = data.metadata["Celery worker"].value.split("@")[0]
    started = {e.step_key for e in starts}
    assert len(started) == 2 * 21  # 8 assets + 13 checks per table
    assert set(ran_on) == started  # every step was executed by a worker ...
    assert set(ran_on.values()) == set(worker_names)  # ... and both workers took some
    assert {e.dagster_event.pid for e in starts}.isdisjoint({os.getpid()})
    # and two steps overlapped in time (so DuckDB was shared by two processes at once)
    spans = sorted((s.timestamp, next(x.timestamp for x in ends if x.step_key == s.step_key))
                   for s in starts)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def test_celery_run_without_workers_fails_at_once_naming_the_queue(broker, two_table_project):
    queue = f"tt_test_{uuid.uuid4().hex[:10]}"  # nobody listens on it
    out = subprocess.run([TABLETWIN, "run", "--executor", "celery", "--queue", queue, "--date",
                          DAY], cwd=two_table_project, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert f"no worker listens on queue {queue!r}" in out.stderr
    assert "guest:guest" not in out.stderr  # the broker's password is masked
