"""The ``tabletwin`` console script: the core's commands (:mod:`tabletwin.cli`) plus the three that
run Dagster, which live here because the core package never imports Dagster or the pipelines.

    tabletwin run [--date D] [--table T]     materialize the Dagster pipeline for one day
        [--refit]
        [--executor in_process|multiprocess|celery] [--queue Q]
    tabletwin worker [--queue Q]             a Celery worker for `run --executor celery`
    tabletwin ui                             serve the Dagster UI (dagster dev)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tabletwin import cli as core_cli


def _cmd_run(args: argparse.Namespace) -> int:
    from pipelines.run import run_pipeline

    return run_pipeline(catalog_path=args.catalog, date=args.date, table=args.table,
                        verbose=args.verbose, executor=args.executor, queue=args.queue,
                        refit=args.refit)


def _cmd_worker(args: argparse.Namespace) -> int:
    """Replace this process by a Celery worker executing tabletwin steps (dagster-celery)."""
    from pipelines.instance import prepare_dagster_home
    from tabletwin.config.loader import load_catalog

    catalog = load_catalog(args.catalog)
    prepare_dagster_home(catalog.root)
    _sweep()  # like `run` and `ui`: runs killed earlier are failed, not STARTED for ever
    core_cli.pseudonym_key(catalog.root)
    # the worker rebuilds each step's job from pipelines.definitions, for this catalog
    os.environ["TABLETWIN_CATALOG"] = str(Path(catalog.path).resolve())
    cmd = ["celery", "-A", "pipelines.celery_app", "worker", "-Q", args.queue,
           "--prefetch-multiplier=1", "--concurrency", str(args.concurrency),
           "--loglevel", args.loglevel, "-n", f"{args.name}@%h"]
    os.execv(str(Path(sys.executable).parent / "celery"), cmd)
    return 0  # not reached


def _cmd_ui(args: argparse.Namespace) -> int:
    from pipelines.instance import prepare_dagster_home
    from tabletwin.config.loader import load_catalog

    catalog = load_catalog(args.catalog)
    prepare_dagster_home(catalog.root)
    _sweep()
    core_cli.pseudonym_key(catalog.root)
    os.environ["TABLETWIN_CATALOG"] = str(Path(catalog.path))
    cmd = ["dagster", "dev", "-h", args.host, "-p", str(args.port), "-m", "pipelines.definitions"]
    exe = Path(sys.executable).parent / "dagster"
    os.execv(str(exe), cmd)
    return 0  # not reached


def _sweep() -> None:
    """Runs of this instance whose process is gone (killed earlier): marked failed."""
    from dagster import DagsterInstance

    from pipelines.status import sweep_and_say

    with DagsterInstance.get() as instance:
        sweep_and_say(instance)


def add_dagster_commands(sub: argparse._SubParsersAction) -> None:
    """``run``, ``worker`` and ``ui`` on the core parser's subcommands."""
    r = sub.add_parser("run", help="run the pipeline for one day through Dagster")
    r.add_argument("--date", default=None,
                   help="partition YYYY-MM-DD (default: today); a past day re-runs from the "
                        "source snapshot kept that day, or is refused")
    r.add_argument("--table", default=None, help="only this table (and the parents it needs)")
    r.add_argument("--refit", action="store_true",
                   help="fit every model anew instead of reusing the last published day's")
    r.add_argument("--catalog", default=os.environ.get("TABLETWIN_CATALOG", "tabletwin.yaml"))
    r.add_argument("--verbose", action="store_true", help="print Dagster's event log too")
    r.add_argument("--executor", default=os.environ.get("TABLETWIN_EXECUTOR", "in_process"),
                   choices=("in_process", "multiprocess", "celery"),
                   help="where steps run: this process (default), local subprocesses, or "
                        "Celery workers (`tabletwin worker`); env TABLETWIN_EXECUTOR")
    r.add_argument("--queue", default=os.environ.get("TABLETWIN_CELERY_QUEUE", "tabletwin"),
                   help="Celery queue for --executor celery (default: tabletwin)")
    r.set_defaults(func=_cmd_run)

    w = sub.add_parser("worker", help="run a Celery worker executing the steps of "
                                      "`tabletwin run --executor celery`")
    w.add_argument("--queue", default=os.environ.get("TABLETWIN_CELERY_QUEUE", "tabletwin"),
                   help="queue to consume (default: tabletwin)")
    w.add_argument("--concurrency", type=int, default=1,
                   help="steps this worker runs at once (default: 1)")
    w.add_argument("--name", default=f"tabletwin-{os.getpid()}",
                   help="worker name (default: tabletwin-PID; @hostname is appended)")
    w.add_argument("--loglevel", default="INFO")
    w.add_argument("--catalog", default=os.environ.get("TABLETWIN_CATALOG", "tabletwin.yaml"))
    w.set_defaults(func=_cmd_worker)

    u = sub.add_parser("ui", help="serve the Dagster UI (dagster dev) for this catalog")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.add_argument("--catalog", default=os.environ.get("TABLETWIN_CATALOG", "tabletwin.yaml"))
    u.set_defaults(func=_cmd_ui)


def main(argv: list[str] | None = None) -> int:
    return core_cli.main(argv, extra_commands=(add_dagster_commands,))


if __name__ == "__main__":
    sys.exit(main())
