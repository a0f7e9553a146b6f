"""True run status: runs whose process was killed (``kill -9``, power loss, OOM killer) are marked
failed in the Dagster instance the next time ``tabletwin run``, ``tabletwin worker`` or
``tabletwin ui`` starts (each calls :func:`sweep_and_say`).

Dagster's run monitoring (``run_monitoring: enabled: true`` in the instance's dagster.yaml, applied
by the daemon that ``dagster dev`` starts) fails runs stuck in STARTING past a timeout and, with a
launcher that can check its run workers (Docker, Kubernetes, ECS), runs whose worker died. It cannot
see the runs ``tabletwin run`` executes in its own process (no launcher is involved) nor, with the
default launcher, a run worker that died: those stay STARTED for ever. So every run tabletwin starts
carries tags naming its process (host, pid and the process's start time, so a recycled pid is not
taken for the run's), and :func:`sweep_dead_runs` marks failed, with
``DagsterInstance.report_run_failed`` (Dagster's own run-failure event, so the UI, sensors and the
run history agree), every STARTING/STARTED run of this instance whose process is gone, and every
NOT_STARTED one tabletwin created (a process killed between creating its run and executing it). Runs launched
from the UI by the default launcher name their run worker's pid in Dagster's "Started process for
run" event; those are swept too when the instance is local (SQLite: one machine). A STARTED run
with neither (started outside tabletwin, e.g. ``dagster asset materialize``) is left as it is and
named on stderr: nothing says which process runs it, and failing a live run is worse than showing a
dead one as started (see :func:`_sweep`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

HOST_TAG = "tabletwin/host"
PID_TAG = "tabletwin/pid"
PID_STARTED_TAG = "tabletwin/pid_started"  # the process's start time, in clock ticks since boot


def _host() -> str:
    return socket.gethostname()


def _started(pid: int) -> str | None:
    """The start time of process ``pid`` (``/proc/<pid>/stat`` field 22), or None when there is no
    such process or no /proc (then only the pid is compared)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    return stat.rsplit(")", 1)[1].split()[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for every run tabletwin starts."""
    pid = os.getpid()
    tags = {HOST_TAG: _host(), PID_TAG: str(pid)}
    started = _started(pid)
    if started is not None:
        tags[PID_STARTED_TAG] = started
    return tags


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    if started is None or not Path("/proc").is_dir():
        return True
    return _started(pid) == started  # a different start time: the pid was recycled


def _launched_pid(instance, run_id: str) -> int | None:
    """The run worker's pid from Dagster's "Started process for run (pid: N)" engine event."""
    from dagster import DagsterEventType

    pid = None
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        meta = getattr(data, "metadata", None) or {}
        value = meta.get("pid")
        if value is not None:
            pid = int(getattr(value, "value", value))
    return pid


def sweep_dead_runs(instance) -> list[str]:
    """Mark failed every STARTING or STARTED run of ``instance`` whose process is gone (and every
    NOT_STARTED one tabletwin created whose process is gone: it would never start); returns
    their run ids. A run of another host (a shared PostgreSQL instance) is left alone: its process
    cannot be checked from here."""
    return _sweep(instance)[0]


def _sweep(instance) -> tuple[list[str], list[str]]:
    """:func:`sweep_dead_runs`, and the STARTED runs of a local instance with no process known:
    neither tagged by tabletwin nor launched by Dagster's default launcher (a ``dagster asset
    materialize`` or ``execute_in_process`` outside tabletwin). Those are left as they are on
    purpose: nothing says which process runs them, so one still running (a long materialization
    from a notebook) would be failed under its feet; :func:`sweep_and_say` names them instead."""
    from dagster import DagsterRunStatus, RunsFilter

    from pipelines.instance import run_storage_is_local

    host, local = _host(), None
    swept: list[str] = []
    unknown: list[str] = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=[
            DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])):
        run = record.dagster_run
        tags = run.tags
        if run.status == DagsterRunStatus.NOT_STARTED and PID_TAG not in tags:
            continue  # created by someone else, about to be launched: not ours to judge
        if PID_TAG in tags:
            if tags.get(HOST_TAG) != host:
                continue
            pid, started = int(tags[PID_TAG]), tags.get(PID_STARTED_TAG)
        else:
            if local is None:
                local = run_storage_is_local(instance)
            pid = _launched_pid(instance, run.run_id) if local else None
            if pid is None:
                # no process known: a STARTING one is run monitoring's (its start timeout)
                if local and run.status == DagsterRunStatus.STARTED:
                    unknown.append(run.run_id)
                continue
            started = None
        if _alive(pid, started):  # this process too, unless its pid was recycled
            continue
        instance.report_run_failed(
            run, message=f"the process running this run (pid {pid} on {host}) is gone (killed "
                         "or crashed); marked failed by tabletwin when it next started")
        swept.append(run.run_id)
    return swept, unknown


def _shown(run_ids: list[str]) -> str:
    return ", ".join(r[:8] for r in run_ids[:5]) + (" ..." if len(run_ids) > 5 else "")


def sweep_and_say(instance) -> list[str]:
    """:func:`sweep_dead_runs`, with one line on stderr when it marked any run, and one naming the
    STARTED runs whose process it cannot know (left as they are, see :func:`_sweep`)."""
    import sys

    swept, unknown = _sweep(instance)
    if swept:
        print(f"tabletwin: marked {len(swept)} run(s) failed whose process is gone: "
              f"{_shown(swept)}", file=sys.stderr)
    if unknown:
        print(f"tabletwin: {len(unknown)} run(s) STARTED outside tabletwin, process unknown, left "
              f"as they are: {_shown(unknown)} (if their process is gone, terminate them in the "
              "Dagster UI)", file=sys.stderr)
    return swept
