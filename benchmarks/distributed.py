"""End-to-end ``tabletwin run`` of the demo in process and on local Celery workers: wall times.

    .venv/bin/python benchmarks/distributed.py [--workers 2] [--customers 20000]
                                               [--transactions 200000] [--workdir DIR]

Builds the demo warehouse (default: the `make demo` size) in a temporary project with the project's
catalog, then times, each on its own partition day and in the same fresh SQLite Dagster instance:
``tabletwin run`` (in process) and ``tabletwin run --executor celery`` with ``--workers`` local
``tabletwin worker`` processes (one step at a time each) on a queue of their own. Needs a broker
(RabbitMQ on 127.0.0.1:5672 or ``TABLETWIN_CELERY_BROKER``). Worker start-up is timed separately.
On one machine the workers share its cores: the figure shows the executor's overhead and what
parallel steps win there, not the gain from adding machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return secs, out.stdout.strip().splitlines()[-1]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--transactions", type=int, default=200_000)
    p.add_argument("--workdir", default=None, help="keep the project here (default: a temp dir)")
    args = p.parse_args()

    sys.path.insert(0, str(ROOT))
    from pipelines.workers import local_workers

    work = Path(args.workdir or tempfile.mkdtemp(prefix="tabletwin_distributed_"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tabletwin.yaml", work / "tabletwin.yaml")
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    os.environ.setdefault("TABLETWIN_PSEUDONYM_KEY", "benchmark-key-" + uuid.uuid4().hex)
    subprocess.run([str(BIN / "tabletwin"), "demo-warehouse", "data/demo_warehouse.duckdb",
                    "--customers", str(args.customers), "--transactions",
                    str(args.transactions)], cwd=work, check=True, capture_output=True)
    print(f"demo warehouse: {args.customers:,} customers, {args.transactions:,} transactions; "
          f"project {work}")

    os.environ["TABLETWIN_TODAY"] = "2026-03-01"  # each run reads its own day's source
    secs, last = timed([str(BIN / "tabletwin"), "run", "--date", "2026-03-01"], work)
    print(f"in process:            {secs:6.1f} s   {last}")

    queue = f"tt_bench_{uuid.uuid4().hex[:10]}"
    os.environ["TABLETWIN_TODAY"] = "2026-03-02"  # before the workers start: they run the steps
    t0 = time.perf_counter()
    with local_workers(queue, count=args.workers, catalog=work / "tabletwin.yaml",
                       log_dir=work) as names:
        print(f"{len(names)} workers ready:       {time.perf_counter() - t0:6.1f} s")
        secs, last = timed([str(BIN / "tabletwin"), "run", "--executor", "celery", "--queue",
                            queue, "--date", "2026-03-02"], work)
        print(f"celery, {args.workers} workers:      {secs:6.1f} s   {last}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
