"""Another process holding the DuckDB warehouse: one line after the lock timeout, naming the file
and saying it is locked (not DuckDB's raw IOException)."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from tabletwin.errors import InputError
from tabletwin.warehouse.duckdb import DuckDBWarehouse


def test_a_locked_warehouse_is_one_line_after_the_timeout(tmp_path):
    path = tmp_path / "wh.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
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
