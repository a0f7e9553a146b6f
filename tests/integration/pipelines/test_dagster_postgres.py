"""The production instance example (deploy/dagster.yaml): Dagster's storage in PostgreSQL.

A whole pipeline run stored through it, on Celery workers, is tests/integration/pipelines/test_celery.py. These need a
PostgreSQL server (default 127.0.0.1:5432) and skip only when none is reachable; each test gets a
database of its own (``dagster_pg_home`` in conftest), dropped after.
"""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT


def test_example_holds_no_secret_only_an_environment_reference():
    cfg = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert cfg["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    assert cfg["telemetry"] == {"enabled": False}


def test_example_builds_an_instance_with_every_storage_in_postgres(dagster_pg_home):
    import psycopg
    from dagster import DagsterInstance

    from pipelines.run import prepare_dagster_home

    home, url = dagster_pg_home
    assert prepare_dagster_home(ROOT) == home.resolve()  # kept as is, not the SQLite default
    assert (home / "dagster.yaml").read_text() == (ROOT / "deploy" / "dagster.yaml").read_text()
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.get_runs() == []
    with psycopg.connect(url.replace("+psycopg2", "")) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables
    assert not list(home.rglob("*.db"))  # nothing went to SQLite


def test_a_psycopg3_url_is_refused_without_printing_it(monkeypatch):
    from pipelines.run import check_pg_url
    from tabletwin.errors import ConfigError

    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql://dagster:s3cret-pw@db.example:5432/dagster")
    with pytest.raises(ConfigError) as err:
        check_pg_url()
    assert "postgresql+psycopg2://" in str(err.value) and "s3cret-pw" not in str(err.value)
    monkeypatch.setenv("DAGSTER_PG_URL", "postgresql+psycopg2://dagster@db.example/dagster")
    check_pg_url()
