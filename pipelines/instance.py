"""The Dagster instance tabletwin runs on: ``$DAGSTER_HOME`` (default ``<project>/data/dagster_home``)
and its ``dagster.yaml``, which every ``tabletwin run``, ``worker`` and ``ui`` completes with
tabletwin's settings before Dagster loads it.

Only Dagster's documented instance configuration is read (the ``dagster.yaml`` keys ``storage``
and ``run_storage``), never Dagster's internal storage classes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tabletwin.errors import ConfigError

#: tabletwin's instance settings, by top-level key of dagster.yaml. Run monitoring: the daemon
#: (started by `tabletwin ui` / `dagster dev`) fails runs stuck in STARTING; runs whose process died
#: are swept by pipelines.status when tabletwin next starts.
INSTANCE_SETTINGS = {
    "telemetry": "telemetry:\n  enabled: false\n",
    "run_monitoring": "run_monitoring:\n  enabled: true\n  start_timeout_seconds: 180\n"
                      "  poll_interval_seconds: 60\n",
}
DAGSTER_YAML = "".join(INSTANCE_SETTINGS.values())
ADDED_NOTE = "# added by tabletwin (this file had no such setting; yours are never changed)\n"

PG_URL_ENV = "DAGSTER_PG_URL"  # what deploy/dagster.yaml reads


def prepare_dagster_home(root: Path) -> Path:
    """Use ``$DAGSTER_HOME`` or ``<project>/data/dagster_home``, its dagster.yaml holding
    tabletwin's settings (:func:`complete_instance_config`)."""
    home = Path(os.environ.get("DAGSTER_HOME") or root / "data" / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    complete_instance_config(home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    check_pg_url()
    return home


def complete_instance_config(cfg: Path) -> list[str]:
    """Write ``cfg`` (a dagster.yaml) with tabletwin's settings when it is absent; when it exists,
    append the top-level settings of :data:`INSTANCE_SETTINGS` it lacks (an instance configured
    before tabletwin turned run monitoring on), its own text and comments kept. A setting the
    file has is never changed (``run_monitoring: {enabled: false}`` stays off). Returns the keys
    added.

    Atomic: the new text goes to a temporary file renamed over ``cfg`` (a half-written instance
    config would break every run); two processes starting at once write the same text. A file
    that cannot be rewritten (read-only configuration) is left as it is, with one line on stderr
    naming what it lacks. A file that is not valid YAML is left to Dagster, which names it."""
    import yaml

    text = cfg.read_text() if cfg.exists() else ""
    try:
        have = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return []
    if not isinstance(have, dict):
        return []
    missing = [k for k in INSTANCE_SETTINGS if k not in have]
    if not missing:
        return []
    added = "".join(INSTANCE_SETTINGS[k] for k in missing)
    if text:
        added = ("" if text.endswith("\n") else "\n") + "\n" + ADDED_NOTE + added
    tmp = cfg.with_name(f".{cfg.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + added)
        if cfg.exists():
            os.chmod(tmp, cfg.stat().st_mode & 0o7777)
        os.replace(tmp, cfg)
    except OSError as exc:
        print(f"tabletwin: {cfg} has no {' or '.join(missing)} setting and cannot be completed "
              f"({type(exc).__name__}); add:\n{''.join(INSTANCE_SETTINGS[k] for k in missing)}",
              file=sys.stderr, end="")
        return []
    finally:
        tmp.unlink(missing_ok=True)
    return missing


def run_storage_is_local(instance) -> bool:
    """Whether ``instance`` keeps its runs in SQLite under its own directory (one machine: a run's
    process, if alive, is on this host). Read from the instance's dagster.yaml: no ``storage`` /
    ``run_storage`` (Dagster's default), or a SQLite one. Any other storage (PostgreSQL, MySQL, a
    custom class) may be shared between hosts: not local."""
    import yaml

    if instance.is_ephemeral:
        return True
    cfg = Path(instance.root_directory) / "dagster.yaml"
    try:
        config = yaml.safe_load(cfg.read_text()) if cfg.exists() else {}
    except (OSError, yaml.YAMLError):
        return False
    config = config if isinstance(config, dict) else {}
    storage = config.get("storage")
    if storage is not None:
        return isinstance(storage, dict) and set(storage) == {"sqlite"}
    run_storage = config.get("run_storage")
    if run_storage is not None:
        return isinstance(run_storage, dict) and run_storage.get("class") == "SqliteRunStorage"
    return True


def check_pg_url() -> None:
    """A PostgreSQL instance URL must name psycopg2: SQLAlchemy 2.1's default driver is psycopg 3,
    with which dagster-postgres fails on its first event. Never prints the URL."""
    url = os.environ.get(PG_URL_ENV)
    if url and url.split("://", 1)[0] in ("postgresql", "postgres"):
        raise ConfigError(f"{PG_URL_ENV} must start with postgresql+psycopg2:// (SQLAlchemy picks "
                          "psycopg 3 for postgresql://, which dagster-postgres 0.29 does not "
                          "support)")
