"""True run status: runs whose process is gone are marked failed in the Dagster instance
(pipelines.status), runs still alive or on another host are left alone; the IO manager's writes
are atomic."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import uuid

import pandas as pd
import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from pipelines.status import HOST_TAG, PID_STARTED_TAG, PID_TAG, process_tags, sweep_dead_runs


def _add(instance, tags: dict[str, str], status=DagsterRunStatus.STARTED) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="daily_refresh_job", run_id=run_id, status=status,
                                tags=tags))
    return run_id


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_fails_runs_whose_process_is_gone(tmp_path):
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        me = process_tags()
        alive = _add(instance, me)
        dead = _add(instance, {**me, PID_TAG: str(_dead_pid())})
        starting = _add(instance, {**me, PID_TAG: str(_dead_pid())}, DagsterRunStatus.STARTING)
        # killed between creating its run and executing it: the run would never start
        created = _add(instance, {**me, PID_TAG: str(_dead_pid())}, DagsterRunStatus.NOT_STARTED)
        created_alive = _add(instance, me, DagsterRunStatus.NOT_STARTED)
        created_elsewhere = _add(instance, {}, DagsterRunStatus.NOT_STARTED)  # not tabletwin's
        # the same pid, another process start time: the pid was recycled, the run's process is gone
        recycled = _add(instance, {**me, PID_STARTED_TAG: "1"})
        elsewhere = _add(instance, {**me, HOST_TAG: "another-host", PID_TAG: str(_dead_pid())})
        untagged = _add(instance, {})  # no process known: left to run monitoring
        done = _add(instance, {**me, PID_TAG: str(_dead_pid())}, DagsterRunStatus.SUCCESS)

        swept = sweep_dead_runs(instance)

        assert sorted(swept) == sorted([dead, starting, created, recycled])
        status = {r: instance.get_run_by_id(r).status for r in
                  (alive, dead, starting, created, created_alive, created_elsewhere, recycled,
                   elsewhere, untagged, done)}
        assert status == {alive: DagsterRunStatus.STARTED, dead: DagsterRunStatus.FAILURE,
                          starting: DagsterRunStatus.FAILURE,
                          created: DagsterRunStatus.FAILURE,
                          created_alive: DagsterRunStatus.NOT_STARTED,
                          created_elsewhere: DagsterRunStatus.NOT_STARTED,
                          recycled: DagsterRunStatus.FAILURE,
                          elsewhere: DagsterRunStatus.STARTED,
                          untagged: DagsterRunStatus.STARTED, done: DagsterRunStatus.SUCCESS}
        # Dagster's own failure event, saying why
        events = instance.all_logs(dead)
        assert any(e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
                   and "is gone" in (e.dagster_event.message or "") for e in events)
        assert sweep_dead_runs(instance) == []  # once


def test_started_runs_with_no_known_process_are_named_not_failed(tmp_path, capsys):
    """A local STARTED run tabletwin did not start (no tags, no launched pid): left as it is (its
    process may still be running) and named on stderr; a STARTING one is run monitoring's."""
    from pipelines.status import sweep_and_say

    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        untagged = _add(instance, {})
        starting = _add(instance, {}, DagsterRunStatus.STARTING)
        dead = _add(instance, {**process_tags(), PID_TAG: str(_dead_pid())})
        assert sweep_and_say(instance) == [dead]
        err = capsys.readouterr().err
        assert f"marked 1 run(s) failed whose process is gone: {dead[:8]}" in err
        assert f"1 run(s) STARTED outside tabletwin, process unknown, left as they are: " \
               f"{untagged[:8]}" in err and starting[:8] not in err
        assert instance.get_run_by_id(untagged).status == DagsterRunStatus.STARTED


def test_run_storage_is_local_from_the_instance_config(tmp_path):
    from pipelines.instance import run_storage_is_local

    class Instance:  # what run_storage_is_local reads of a DagsterInstance
        is_ephemeral = False
        root_directory = str(tmp_path)

    cfg = tmp_path / "dagster.yaml"
    for text, local in [(None, True), ("telemetry:\n  enabled: false\n", True),
                        ("storage:\n  sqlite:\n    base_dir: x\n", True),
                        ("storage:\n  postgres:\n    postgres_url: {env: U}\n", False),
                        ("run_storage:\n  module: dagster_postgres.run_storage\n"
                         "  class: PostgresRunStorage\n", False),
                        ("run_storage:\n  module: dagster.core.storage.runs\n"
                         "  class: SqliteRunStorage\n", True),
                        ("storage: [broken\n", False)]:
        cfg.unlink(missing_ok=True)
        if text is not None:
            cfg.write_text(text)
        assert run_storage_is_local(Instance()) is local, text
    (tmp_path / "home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        assert run_storage_is_local(instance)


def test_worker_sweeps_dead_runs_before_it_starts(tmp_path, monkeypatch):
    """`tabletwin worker`, like `run` and `ui`: runs killed earlier are failed on start."""
    import pipelines.cli as cli
    from tests.conftest import write_catalog

    catalog_file = write_catalog(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    calls = []
    monkeypatch.setattr(cli, "_sweep", lambda: calls.append("sweep"))

    def execv(path, argv):
        calls.append(argv[:3])
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execv", execv)
    with pytest.raises(SystemExit):
        cli.main(["worker", "--catalog", str(catalog_file)])
    assert calls == ["sweep", ["celery", "-A", "pipelines.celery_app"]]


def test_io_manager_write_failure_keeps_the_previous_value(tmp_path, monkeypatch):
    from dagster import build_input_context, build_output_context

    from resources.io import TabletwinIOManager

    io = TabletwinIOManager(base_dir=str(tmp_path / "storage"))
    out = build_output_context(asset_key=["t", "masked_table"])
    io.handle_output(out, pd.DataFrame({"a": [1, 2, 3]}))
    folder = tmp_path / "storage" / "t" / "masked_table"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def half_then_full(self, path, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_full)
    with pytest.raises(OSError):
        io.handle_output(out, pd.DataFrame({"a": [4, 5]}))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    back = io.load_input(build_input_context(asset_key=["t", "masked_table"]))
    assert back["a"].tolist() == [1, 2, 3]
    # a value of the other format replaces it (the stale Parquet file goes once it is written)
    io.handle_output(out, {"x": 1})
    assert sorted(p.name for p in folder.iterdir()) == ["_.pkl"]
    assert os.stat(tmp_path / "storage").st_mode & 0o777 == 0o700
