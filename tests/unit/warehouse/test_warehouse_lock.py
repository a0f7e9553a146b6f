"""Another process holding the DuckDB warehouse: one line after the lock timeout, naming the file
and saying it is locked (not DuckDB's raw IOException); a wait longer than a moment is said on
stderr while it lasts."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from tabletwin.errors import InputError
import tabletwin.warehouse.duckdb as duckdb_warehouse
from tabletwin.warehouse.duckdb import DuckDBWarehouse


def _hold(path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_locked_warehouse_is_one_line_after_the_timeout(tmp_path, capsys):
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    holder = _hold(path)
    try:
        wh = DuckDBWarehouse(path, lock_timeout=1.0)
        t0 = time.monotonic()
        with pytest.raises(InputError) as exc:
            wh.columns("main", "t")
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    msg = str(exc.value)
    assert msg == (f"the DuckDB warehouse {path} is locked by another process (waited 1 s); "
                   "DuckDB allows one writer at a time"), msg
    assert "\n" not in msg and 1.0 <= waited < 10
    assert exc.value.__cause__ is None
    assert DuckDBWarehouse(path, lock_timeout=1.0).columns("main", "t") is None  # lock gone
    assert capsys.readouterr().err == ""  # a wait shorter than LOCK_NOTE_AFTER: nothing said


def test_a_long_wait_for_the_lock_is_said_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(duckdb_warehouse, "LOCK_NOTE_AFTER", 0.3)
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    holder = _hold(path)
    try:
        with pytest.raises(InputError):
            DuckDBWarehouse(path, lock_timeout=1.5).columns("main", "t")
    finally:
        holder.kill()
        holder.wait()
    assert capsys.readouterr().err == (f"tabletwin: the DuckDB warehouse {path} is locked by "
                                       "another process; waiting up to 2 s\n")
