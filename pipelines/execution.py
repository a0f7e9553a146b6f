"""How a run's steps execute: in one process, in local subprocesses, or on Celery workers.

Every job of the code location uses :data:`tabletwin_executor`. Its run config picks the mode, so the
code location is the same in the process that orchestrates a run and in every worker that executes
its steps (a worker rebuilds the job and validates the run's config against it)::

    execution:
      config:
        multiprocess: {}            # the default (Dagster's own): local subprocesses
        # in_process: {}
        # celery:                   # dagster-celery: each step is a task on any worker
        #   broker: {env: TABLETWIN_CELERY_BROKER}
        #   backend: {env: TABLETWIN_CELERY_BACKEND}
        #   config_source: {task_default_queue: tabletwin}

The broker URL may hold a password: it only ever appears in run config as an ``{env: ...}``
reference, resolved in each process from its own environment.
"""

from __future__ import annotations

import os
from typing import Any

from dagster import (Field, InitExecutorContext, Selector, executor, multi_or_in_process_executor,
                     multiple_process_executor_requirements)
from dagster_celery import celery_executor
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor

BROKER_ENV = "TABLETWIN_CELERY_BROKER"
BACKEND_ENV = "TABLETWIN_CELERY_BACKEND"
DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"  # RabbitMQ's local default account
DEFAULT_BACKEND = "rpc://"
DEFAULT_QUEUE = "tabletwin"
EXECUTORS = ("in_process", "multiprocess", "celery")

_default_fields = multi_or_in_process_executor.config_schema.as_field().config_type.fields


def _requirements(config: dict) -> list:
    return multiple_process_executor_requirements() if set(config) & {"multiprocess", "celery"} \
        else []


@executor(name="tabletwin_executor",
          config_schema=Field(Selector({**_default_fields, "celery": CELERY_CONFIG}),
                              default_value={"multiprocess": {}}),
          requirements=_requirements)
def tabletwin_executor(init_context):
    """Dagster's multiprocess/in-process executor, or dagster-celery's celery executor."""
    config = init_context.executor_config
    if "celery" not in config:
        return multi_or_in_process_executor.executor_creation_fn(init_context)
    return celery_executor_from_config(init_context, config["celery"])


def celery_executor_from_config(init_context, config: dict) -> CeleryExecutor:
    """dagster-celery's own executor, built from the ``celery`` branch of our selector config:
    its public executor definition run on a context holding only that branch."""
    return celery_executor.executor_creation_fn(InitExecutorContext(
        job=init_context.job, executor_def=celery_executor, executor_config=config,
        instance=init_context.instance))


def default_celery_env() -> None:
    """Give the broker/backend variables their local defaults when unset (never overriding)."""
    os.environ.setdefault(BROKER_ENV, DEFAULT_BROKER)
    os.environ.setdefault(BACKEND_ENV, DEFAULT_BACKEND)


def execution_config(mode: str, *, queue: str = DEFAULT_QUEUE) -> dict[str, Any]:
    """The ``execution`` block of a run config for ``mode`` (one of :data:`EXECUTORS`)."""
    if mode not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {mode!r}")
    if mode != "celery":
        return {"config": {mode: {}}}
    return {"config": {"celery": {
        "broker": {"env": BROKER_ENV},
        "backend": {"env": BACKEND_ENV},
        # a step goes to this queue; workers listen on it (`tabletwin worker --queue`)
        "config_source": {"task_default_queue": queue},
    }}}


def broker_display(url: str) -> str:
    """The broker URL without its password, for messages (kombu's maybe_sanitize_url keeps the
    tail of a password holding a raw @: tabletwin.urls.mask_url does not)."""
    from tabletwin.urls import mask_url

    return mask_url(url)
