"""The production instance example (deploy/dagster.yaml): a pipeline run stored in PostgreSQL.

Needs a PostgreSQL server (``TABLETWIN_TEST_PG_HOST``, default 127.0.0.1:5432, trust or password in
the usual libpq variables); skips only when none is reachable. Each test creates a database of its
own (dagster-postgres creates its tables there) and drops it after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DAY = "2026-03-01"
HOST = os.environ.get("TABLETWIN_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("TABLETWIN_TEST_PG_PORT", "5432"))


def _admin_connection():
    """A connection to the maintenance database as the first role that works."""
    import psycopg

    errors = []
    for user in dict.fromkeys([os.environ.get("PGUSER"), "postgres", os.environ.get("USER"),
                               "root"]):
        if not user:
            continue
        for db in ("test", "postgres"):
            try:
                return psycopg.connect(host=HOST, port=PORT, user=user, dbname=db,
                                       connect_timeout=3, autocommit=True), user
            except psycopg.OperationalError as exc:
                errors.append(f"{user}@{db}: {str(exc).strip().splitlines()[0]}")
    pytest.skip(f"no PostgreSQL reachable at {HOST}:{PORT} ({'; '.join(errors[-2:])})")


@pytest.fixture
def pg_url():
    con, user = _admin_connection()
    name = f"tt_dagster_{uuid.uuid4().hex[:12]}"
    con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{user}@{HOST}:{PORT}/{name}"
    finally:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.close()


def test_example_instance_stores_runs_in_postgres(project, pg_url, tmp_path, monkeypatch):
    import psycopg
    from dagster import AssetKey, DagsterInstance

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    # the example holds no URL (no secret), only a reference to the environment
    assert yaml.safe_load((home / "dagster.yaml").read_text())["storage"] == {
        "postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", pg_url)

    out = subprocess.run([str(Path(sys.executable).parent / "tabletwin"), "run", "--table",
                          "customers", "--date", DAY], cwd=project, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "published synthetic.customers" in out.stdout
    run_id = out.stdout.split("run ", 1)[1].split()[0]
    # the example was used as is (not replaced by the local default), and nothing went to SQLite
    assert (home / "dagster.yaml").read_text() == (ROOT / "deploy" / "dagster.yaml").read_text()
    assert not list(home.rglob("*.db"))

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.is_success
        assert run.tags["dagster/partition"] == DAY
        for name in ("source_table", "pii_plan", "masked_table", "table_profile",
                     "fitted_generator", "synthetic_table", "quality_report", "published_table"):
            records = instance.fetch_materializations(AssetKey(["customers", name]),
                                                      limit=5).records
            assert [(r.run_id, r.partition_key) for r in records] == [(run_id, DAY)], name
        checks = instance.event_log_storage.get_asset_check_execution_history(
            _a_check_key(instance, run_id), limit=5)
        assert checks and checks[0].run_id == run_id

    # and it is really in that database: the rows are there for any PostgreSQL client
    with psycopg.connect(pg_url.replace("+psycopg2", "")) as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = %s",
                           [run_id]).fetchone() == ("SUCCESS",)
        n = con.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND "
                        "dagster_event_type = 'ASSET_MATERIALIZATION'", [run_id]).fetchone()[0]
        assert n == 8


def _a_check_key(instance, run_id):
    from dagster import DagsterEventType

    evals = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    data = evals[0].dagster_event.event_specific_data
    return data.asset_check_key


def test_a_psycopg3_url_is_refused_before_any_run(project, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql://dagster:s3cret-pw@db.example:5432/dagster")
    out = subprocess.run([str(Path(sys.executable).parent / "tabletwin"), "run", "--table",
                          "customers", "--date", DAY], cwd=project, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    assert "DAGSTER_PG_URL must start with postgresql+psycopg2://" in out.stderr
    assert "s3cret-pw" not in out.stdout + out.stderr
