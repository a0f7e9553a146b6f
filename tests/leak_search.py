"""Exact searches for marker values in everything a run leaves behind (shared by the leak tests)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance


def assert_clean(label: str, text: str, values: set[str], what: str = "raw PII values") -> None:
    """No value of ``values`` (case-folded) inside ``text``; the message counts, never shows."""
    low = text.casefold()
    found = [v for v in values if v.casefold() in low]
    assert not found, f"{label}: {len(found)} {what} escaped"


def event_log_text() -> str:
    """Every message and event payload (asset metadata included) of every run in the instance."""
    with DagsterInstance.get() as instance:
        chunks = []
        for run in instance.get_runs():
            for rec in instance.all_logs(run.run_id):
                chunks.append(rec.user_message or "")
                if rec.dagster_event is not None:
                    chunks.append(repr(rec.dagster_event.event_specific_data))
        return "\n".join(chunks)


def texts_under(folder: Path, skip: tuple[str, ...]) -> list[tuple[str, str]]:
    """(path, text) of every stored file below ``folder``: pickles as their attributes and bytes,
    Parquet as CSV, text files as they are; folders named in ``skip`` are left out."""
    out = []
    for path in folder.rglob("*"):
        if not path.is_file() or any(part in skip for part in path.parts):
            continue
        if path.suffix == ".pkl":
            obj = pickle.loads(path.read_bytes())
            out.append((str(path), repr(vars(obj) if hasattr(obj, "__dict__") else obj)
                        + repr(pickle.dumps(obj))))
        elif path.suffix == ".parquet":
            out.append((str(path), pd.read_parquet(path).to_csv()))
        elif path.suffix in (".html", ".json", ".md", ".txt", ".log", ".csv"):
            out.append((str(path), path.read_text(errors="replace")))
    return out
