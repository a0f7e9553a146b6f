"""Soak: consecutive daily runs with random ``kill -9``, then history, versions and view must agree
and no run may be left STARTED in the Dagster instance.

    .venv/bin/python benchmarks/soak.py [--runs 50] [--kill-share 0.4] [--publication-share 0.35]
                                        [--seed 1]
                                        [--customers 400] [--max-minutes 10] [--work DIR]

Local only: a small demo warehouse (``tabletwin.demo.build_demo_warehouse``) in a temporary folder,
a catalog of the demo's two smallest tables (customers and its child support_tickets), a SQLite
Dagster instance of its own. Run ``i`` is ``tabletwin run --date <start + i days>`` in a subprocess;
a seeded random subset of runs (never the first: it measures how long a run takes) is killed with
SIGKILL at a seeded random moment between 0 and 1.1 times that duration, or, for a share of the
kills (``--publication-share``), 0-0.5 s after the run's ``published_table`` step starts (random
moments rarely fall in that short step). Bounded: a run taking
longer than ``--run-timeout`` seconds is killed and counted, and no run starts after
``--max-minutes``.

Checked afterwards (:func:`check_invariants`), per table:
- the view ``synthetic.<table>`` selects the newest kept version, and that version is the newest
  partition published according to the history (``synthetic.tabletwin_runs``);
- every partition published according to the history has its version table, unless it is older
  than the newest ``versions_kept`` published partitions (pruned), and those are exactly the kept
  versions: no version table without a published history row;
- the view has the version's row count;
- every run that exited 0 has its day published in the history;
and no run of the instance is STARTING or STARTED (after the sweep ``tabletwin run`` does at start,
and a last one here for the final run).

Prints: runs, kills, kills inside publication (the run's ``published_table`` step had started and
not finished), exit statuses, mismatches found, wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("customers", "support_tickets")  # the demo's two smallest tables (a parent and child)
START = dt.date(2026, 1, 1)


def make_project(work: Path, *, customers: int, versions_kept: int = 3,
                 fidelity_min: float = 0.6) -> Path:
    """A demo warehouse and a two-table catalog in ``work``; returns the catalog path. The gate's
    fidelity threshold is lowered as the tests' is: histograms of a few hundred rows are noisy."""
    from tabletwin.demo.load import build_demo_warehouse

    (work / "data").mkdir(parents=True, exist_ok=True)
    build_demo_warehouse(work / "data" / "demo_warehouse.duckdb", customers=customers,
                         transactions=10)
    data = yaml.safe_load((ROOT / "tabletwin.yaml").read_text())
    data["tables"] = {t: data["tables"][t] for t in TABLES}
    for cfg in data["tables"].values():
        cfg.setdefault("checks", {})["fidelity_min"] = fidelity_min
    data["partitions_start"] = START.isoformat()
    data["versions_kept"] = versions_kept
    path = work / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def env_for(work: Path) -> dict[str, str]:
    return dict(os.environ, DAGSTER_HOME=str(work / "dagster_home"),
                TABLETWIN_PSEUDONYM_KEY=os.environ.get("TABLETWIN_PSEUDONYM_KEY",
                                                       "soak-pseudonym-key-0123456789abcdef"))


def _publication_started(instance, pid: int) -> tuple[str | None, bool]:
    """The run of process ``pid`` (None if it never started one) and whether it was killed inside
    a ``published_table`` step (started, neither succeeded nor failed)."""
    from dagster import DagsterEventType, RunsFilter

    from pipelines.status import PID_TAG

    records = instance.get_run_records(filters=RunsFilter(tags={PID_TAG: str(pid)}), limit=1)
    if not records:
        return None, False
    run_id = records[0].dagster_run.run_id
    open_steps: set[str] = set()
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key or "published_table" not in ev.step_key:
            continue
        if ev.event_type == DagsterEventType.STEP_START:
            open_steps.add(ev.step_key)
        elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            open_steps.discard(ev.step_key)
    return run_id, bool(open_steps)


def _preimport() -> None:
    import great_expectations  # noqa: F401

    import pipelines.build  # noqa: F401
    import pipelines.cli  # noqa: F401


class _Forked:
    """A forked ``tabletwin`` process with the :class:`subprocess.Popen` calls used here."""

    def __init__(self, argv: list[str], err_path: Path):
        self._err = err_path
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: its own session (killpg), output to files, never returns
            code = 1
            try:
                os.setsid()
                fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 2)
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                # Python's streams too (pytest, for one, replaces them with its own objects)
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                from pipelines.cli import main

                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - the child must not return into the soak
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        if self.returncode is not None:
            return "", self._err.read_text(errors="replace") if self._err.exists() else ""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
                return "", self._err.read_text(errors="replace") if self._err.exists() else ""
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"tabletwin pid {self.pid}", timeout)
            time.sleep(0.05)


def _wait_for_publication(proc, rng: random.Random, timeout: float, delay: float = 0.5) -> None:
    """Return a random 0-``delay`` s after the run of ``proc`` starts a ``published_table`` step
    (or when the process ends, or after ``timeout``): the caller then kills it."""
    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    from pipelines.status import PID_TAG

    deadline = time.monotonic() + timeout
    with DagsterInstance.get() as instance:
        run_id = None
        while proc.poll() is None and time.monotonic() < deadline:
            if run_id is None:
                records = instance.get_run_records(
                    filters=RunsFilter(tags={PID_TAG: str(proc.pid)}), limit=1)
                run_id = records[0].dagster_run.run_id if records else None
            elif any(e.dagster_event and e.dagster_event.step_key
                     and "published_table" in e.dagster_event.step_key
                     for e in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)):
                time.sleep(rng.uniform(0.0, delay))
                return
            time.sleep(0.05)


def run_days(work: Path, catalog: Path, *, runs: int, kill_share: float, seed: int,
             run_timeout: float = 600.0, max_seconds: float = 900.0,
             kill_runs: set[int] | None = None, kill_after: dict[int, float] | None = None,
             quiet: bool = False, fork: bool = True, publication_share: float = 0.0,
             kill_at_publication: set[int] | None = None) -> dict:
    """Run ``runs`` consecutive days, killing a seeded subset (or exactly ``kill_runs``; or
    run ``i`` after ``kill_after[i]`` seconds; or runs ``kill_at_publication`` as soon as their
    ``published_table`` step starts, whatever the machine's speed).

    ``fork``: each run is a child forked from this process after the heavy imports (Dagster,
    Great Expectations: about 13 s a process here), running ``tabletwin run``'s ``main`` and
    killed with SIGKILL like any process; otherwise a fresh ``python -m pipelines.cli run``.
    Fork only from a process that has not run OpenMP code yet (scikit-learn's neighbours and
    trees): libgomp's thread pool does not survive a fork, and the child can segfault."""
    from dagster import DagsterInstance

    if fork:
        _preimport()

    rng = random.Random(seed)
    env = env_for(work)
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "TABLETWIN_PSEUDONYM_KEY")})
    durations: list[float] = []
    results: list[dict] = []
    began = time.monotonic()
    for i in range(runs):
        if time.monotonic() - began > max_seconds:
            break
        day = (START + dt.timedelta(days=i)).isoformat()
        kill = (i in kill_runs) if kill_runs is not None else (i > 0 and rng.random() < kill_share)
        after = rng.uniform(0.0, 1.1 * statistics.median(durations)) if kill and durations \
            else None
        if kill and after is None:
            after = rng.uniform(0.0, 30.0)
        if kill_after is not None:
            after = kill_after.get(i)
        # a share of the kills aimed at publication: random moments rarely fall in that short step
        at_publication = kill and kill_after is None and rng.random() < publication_share
        if kill_at_publication and i in kill_at_publication:
            kill = at_publication = True
        if at_publication:
            after = 0.0
        t0 = time.monotonic()
        argv = ["run", "--catalog", str(catalog), "--date", day]
        os.environ["TABLETWIN_TODAY"] = env["TABLETWIN_TODAY"] = day  # run i happens on its day
        limit = after if after is not None else run_timeout
        proc = (_Forked(argv, work / f"run-{i}.err") if fork else subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *argv], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True))
        try:
            if at_publication:
                _wait_for_publication(proc, rng, run_timeout,
                                      delay=0.0 if kill_at_publication else 0.5)
            _, err = proc.communicate(timeout=limit)
            killed = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and anything it started
            _, err = proc.communicate()
            killed = True
        took = time.monotonic() - t0
        if not fork:  # the forked runs write it themselves
            (work / f"run-{i}.err").write_text(err or "")
        row = {"run": i, "day": day, "status": proc.returncode, "killed": killed,
               "timed_out": killed and after is None, "seconds": round(took, 1)}
        if killed:
            with DagsterInstance.get() as instance:
                row["run_id"], row["in_publication"] = _publication_started(instance, proc.pid)
        else:
            durations.append(took)
            row["in_publication"] = False
            if proc.returncode not in (0, 1):
                row["stderr"] = err.strip().splitlines()[-3:]
        results.append(row)
        if not quiet:
            what = (f"killed after {took:.1f} s" + (" (inside publication)"
                                                    if row["in_publication"] else "")
                    if killed else f"exit {proc.returncode} in {took:.1f} s")
            print(f"run {i:2d} {day}: {what}", flush=True)
    return {"results": results, "seconds": time.monotonic() - began}


def check_invariants(work: Path, catalog: Path, results: list[dict]) -> list[str]:
    """Mismatches between history, versions, views and the Dagster instance (empty: all agree)."""
    import duckdb
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    from pipelines.status import sweep_dead_runs
    from tabletwin.warehouse.base import versions_schema, version_table

    cfg = yaml.safe_load(catalog.read_text())
    keep = int(cfg.get("versions_kept", 3))
    schema = cfg["warehouse"]["target_schema"]
    vschema = versions_schema(schema)
    problems: list[str] = []
    os.environ["DAGSTER_HOME"] = env_for(work)["DAGSTER_HOME"]
    with DagsterInstance.get() as instance:
        sweep_dead_runs(instance)  # the last run's process, if killed, is gone too
        left = instance.get_run_records(filters=RunsFilter(
            statuses=[DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                      DagsterRunStatus.STARTED]))
        for r in left:
            problems.append(f"run {r.dagster_run.run_id} left {r.dagster_run.status.value}")
    con = duckdb.connect(str(work / "data" / "demo_warehouse.duckdb"), read_only=True)
    try:
        hist = con.execute(f"SELECT table_name, partition_key, run_id, published FROM "
                           f"{schema}.tabletwin_runs").fetchall()
        for table in TABLES:
            published = sorted({p for t, p, _, pub in hist if t == table and pub})
            versions = sorted(
                name for (name,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_name LIKE ? ESCAPE '\\'",
                    [vschema, table.replace("_", "\\_") + "\\_\\_%"]).fetchall())
            expected = [version_table(table, p) for p in published[-keep:]]
            if versions != expected:
                problems.append(f"{table}: versions {versions} but the history's newest "
                                f"published partitions give {expected}")
            view = con.execute("SELECT sql FROM duckdb_views() WHERE schema_name = ? AND "
                               "view_name = ?", [schema, table]).fetchone()
            if not published:
                if view is not None:
                    problems.append(f"{table}: a view but nothing published in the history")
                continue
            newest = version_table(table, published[-1])
            shown = re.findall(r'\.\"?([A-Za-z0-9_]+)\"?\s*;?\s*$', view[0].strip()) if view else []
            if shown != [newest]:
                problems.append(f"{table}: the view does not select {newest} "
                                f"({view[0] if view else 'no view'})")
            elif newest in versions:
                n_view = con.execute(f'SELECT count(*) FROM {schema}."{table}"').fetchone()[0]
                n_ver = con.execute(f'SELECT count(*) FROM {vschema}."{newest}"').fetchone()[0]
                if n_view != n_ver:
                    problems.append(f"{table}: view has {n_view} rows, {newest} {n_ver}")
            for r in results:
                if r["status"] == 0 and not r["killed"] and r["day"] not in published:
                    problems.append(f"{table}: run {r['run']} exited 0 but {r['day']} is not "
                                    "published in the history")
    finally:
        con.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--kill-share", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--customers", type=int, default=400)
    ap.add_argument("--publication-share", type=float, default=0.35,
                    help="share of the kills aimed 0-0.5 s after a publication step starts")
    ap.add_argument("--run-timeout", type=float, default=300.0)
    ap.add_argument("--max-minutes", type=float, default=10.0,
                    help="start no run after this (default 10; 50 runs took 25 min here)")
    ap.add_argument("--work", default=None, help="folder to use (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--no-fork", action="store_true",
                    help="start every run as a fresh process (13 s more per run here)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tabletwin-soak-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        t0 = time.monotonic()
        catalog = make_project(work, customers=args.customers)
        done = run_days(work, catalog, runs=args.runs, kill_share=args.kill_share,
                        seed=args.seed, run_timeout=args.run_timeout,
                        max_seconds=args.max_minutes * 60, fork=not args.no_fork,
                        publication_share=args.publication_share)
        results = done["results"]
        problems = check_invariants(work, catalog, results)
        wall = time.monotonic() - t0
        figures = {
            "runs": len(results), "runs_asked": args.runs,
            "kills": sum(r["killed"] and not r["timed_out"] for r in results),
            "timeouts": sum(r["timed_out"] for r in results),
            "kills_inside_publication": sum(r["in_publication"] for r in results),
            "kills_after_run_started": sum(bool(r.get("run_id")) for r in results),
            "exit_0": sum(r["status"] == 0 for r in results),
            "exit_1": sum(r["status"] == 1 for r in results),
            "other_exits": [r for r in results if not r["killed"] and r["status"] not in (0, 1)],
            "mismatches": len(problems), "wall_seconds": round(wall, 1),
            "median_unkilled_run_seconds": round(statistics.median(
                [r["seconds"] for r in results if not r["killed"]] or [0]), 1),
        }
        for p in problems:
            print(f"MISMATCH {p}")
        print(f"soak: {figures['runs']} runs ({args.runs} asked), {figures['kills']} killed "
              f"({figures['kills_inside_publication']} inside publication, "
              f"{figures['kills_after_run_started']} after the Dagster run started), "
              f"{figures['timeouts']} timed out; exit 0: {figures['exit_0']}, exit 1: "
              f"{figures['exit_1']}, other: {len(figures['other_exits'])}; mismatches: "
              f"{figures['mismatches']}; wall {figures['wall_seconds']} s (median run "
              f"{figures['median_unkilled_run_seconds']} s)")
        if args.json:
            print(json.dumps(figures, default=str))
        return 1 if problems or figures["other_exits"] else 0


if __name__ == "__main__":
    sys.exit(main())
