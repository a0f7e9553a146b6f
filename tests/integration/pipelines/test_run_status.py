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
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun

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
        # the same pid, another process start time: the pid was recycled, the run's process is gone
        recycled = _add(instance, {**me, PID_STARTED_TAG: "1"})
        elsewhere = _add(instance, {**me, HOST_TAG: "another-host", PID_TAG: str(_dead_pid())})
        untagged = _add(instance, {})  # no process known: left to run monitoring
        done = _add(instance, {**me, PID_TAG: str(_dead_pid())}, DagsterRunStatus.SUCCESS)

        swept = sweep_dead_runs(instance)

        assert sorted(swept) == sorted([dead, starting, recycled])
        status = {r: instance.get_run_by_id(r).status for r in
                  (alive, dead, starting, recycled, elsewhere, untagged, done)}
        assert status == {alive: DagsterRunStatus.STARTED, dead: DagsterRunStatus.FAILURE,
                          starting: DagsterRunStatus.FAILURE,
                          recycled: DagsterRunStatus.FAILURE,
                          elsewhere: DagsterRunStatus.STARTED,
                          untagged: DagsterRunStatus.STARTED, done: DagsterRunStatus.SUCCESS}
        # Dagster's own failure event, saying why
        events = instance.all_logs(dead)
        assert any(e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
                   and "is gone" in (e.dagster_event.message or "") for e in events)
        assert sweep_dead_runs(instance) == []  # once


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
