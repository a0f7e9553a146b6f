"""Where the reports of a table's runs and days are, without importing the report renderer (its
metrics import scikit-learn: seconds that ``tabletwin report`` does not need to print a path)."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["day_report_path", "run_report_path"]

_RUN_ID = re.compile(r"[^A-Za-z0-9_.-]")


def run_report_path(directory: str | Path, table: str, partition: str, run_id: str) -> Path:
    """``<dir>/<table>/<partition>/<run id>.html``: the report of one run (never overwritten by
    another run)."""
    return Path(directory) / table / partition / f"{_RUN_ID.sub('_', run_id) or 'run'}.html"


def day_report_path(directory: str | Path, table: str, partition: str) -> Path:
    """``<dir>/<table>/<partition>.html``: the day's report (the published run's once one is)."""
    return Path(directory) / table / f"{partition}.html"
