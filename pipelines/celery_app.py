"""The Celery app tabletwin workers run (``celery -A pipelines.celery_app worker``; see
``tabletwin worker``).

It is dagster-celery's app and ``execute_plan`` task, configured from the same environment variables
as the run side (:mod:`pipelines.execution`), so no broker URL is written to a file.
"""

from __future__ import annotations

import os

from celery.signals import worker_init
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from pipelines.execution import BACKEND_ENV, BROKER_ENV, default_celery_env

default_celery_env()
app = make_app(CeleryExecutor.for_cli(broker=os.environ[BROKER_ENV],
                                      backend=os.environ[BACKEND_ENV]).app_args())
execute_plan = create_task(app)


@worker_init.connect
def _preload_code_location(**_kwargs) -> None:
    """Import the code location once in the worker's main process: the forked pool processes
    inherit it, so a step does not start by importing pandas, scikit-learn and the catalog."""
    import pipelines.definitions  # noqa: F401
