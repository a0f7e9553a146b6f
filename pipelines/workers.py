"""Celery workers seen from the driver: which listen on a queue, and local workers for tests and
benchmarks (``tabletwin worker`` under a process supervisor in production). Apart from
:mod:`pipelines.execution` because it needs the Celery app, which itself reads execution's settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.execution import BROKER_ENV, broker_display, default_celery_env


def listening_workers(queue: str, *, timeout: float = 3.0) -> list[str]:
    """Names of the Celery workers consuming ``queue`` (asks them through the broker)."""
    from kombu.exceptions import OperationalError

    from tabletwin.errors import ConfigError

    default_celery_env()
    from pipelines.celery_app import app  # builds the Celery app from the environment just set

    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except (OperationalError, OSError) as exc:
        raise ConfigError(f"cannot reach the Celery broker {broker_display(os.environ[BROKER_ENV])}"
                          f" ({BROKER_ENV}): {type(exc).__name__}") from None
    return sorted(name for name, queues in replies.items()
                  if any(q.get("name") == queue for q in queues))


@contextmanager
def local_workers(queue: str, *, count: int, catalog: str | Path, log_dir: str | Path,
                  ready_timeout: float = 120.0) -> Iterator[list[str]]:
    """Start ``count`` ``tabletwin worker`` processes on this machine listening on ``queue``; yield
    their names once all listen. On exit they are stopped (their whole process groups) and the
    queue is deleted from the broker. For tests and benchmarks; in production start workers with
    ``tabletwin worker`` under your process supervisor."""
    import signal
    import subprocess
    import sys
    import time

    exe = str(Path(sys.executable).parent / "tabletwin")
    names = [f"w{i}-{queue}" for i in range(1, count + 1)]
    procs: list[subprocess.Popen] = []
    try:
        for name in names:
            with open(Path(log_dir) / f"{name}.log", "w") as log:
                procs.append(subprocess.Popen(
                    [exe, "worker", "--queue", queue, "--name", name, "--concurrency", "1",
                     "--catalog", str(catalog)], cwd=Path(catalog).parent, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + ready_timeout
        while len(up := listening_workers(queue, timeout=1.0)) < count:
            exited = [n for n, p in zip(names, procs) if p.poll() is not None]
            if exited or time.monotonic() > deadline:
                raise RuntimeError(f"workers not ready on {queue} (listening: {up}, exited: "
                                   f"{exited}); logs in {log_dir}")
        yield [u.split("@")[0] for u in up]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        from pipelines.celery_app import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
