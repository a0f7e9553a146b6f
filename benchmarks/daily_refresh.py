"""Seven simulated days of the demo warehouse: refit or reuse, schema changes, time per day.

    .venv/bin/python benchmarks/daily_refresh.py [--customers 20000] [--transactions 200000]
                                                 [--work DIR] [--start 2026-11-20]

The demo warehouse (``make demo``'s sizes by default) in a temporary folder, the demo catalog, a
Dagster instance of its own. Day ``i`` is ``tabletwin run`` with the clock on that day
(``TABLETWIN_TODAY``, see ``tabletwin/clock.py``), after the source changed as follows:

1. first day: nothing stored, every model is fitted;
2. no change;
3. no change;
4. 5% new rows in ``transactions`` (copies of existing rows under new ids, new days);
5. a distribution shift in one column: ``transactions.amount`` x 1.8;
6. a new PII column ``customers.work_email``: the run must block on ``schema_change_reviewed``;
   the catalog lines the message prints are then added to the catalog and the day re-run;
7. a retyped column ``transactions.amount`` DOUBLE -> DECIMAL(14,2): blocks, accepted the same way;
8. no change, ``tabletwin run --refit``: every model fitted again, right after the reuse days (the
   fair comparison: the first day also loads what later runs find warm on disk).

Prints one line per run (day, wall time, exit status, tables published) and per table what the
run did with its model (the run history's ``model`` column) and the ``fitted_generator`` step's
time (from the Dagster instance), then the mean wall time of the days where every model was reused
against that of the days where every model was fitted (days 1 and 8).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("customers", "accounts", "transactions", "support_tickets")


def make_project(work: Path, *, customers: int, transactions: int) -> Path:
    from tabletwin.demo.load import build_demo_warehouse

    (work / "data").mkdir(parents=True, exist_ok=True)
    build_demo_warehouse(work / "data" / "demo_warehouse.duckdb", customers=customers,
                         transactions=transactions)
    path = work / "tabletwin.yaml"
    path.write_text((ROOT / "tabletwin.yaml").read_text())
    return path


def change_source(db: Path, day: int) -> str:
    """The source change before day ``day`` (1-based); returns its description."""
    con = duckdb.connect(str(db))
    try:
        if day == 4:
            n = con.execute("SELECT count(*) FROM main.transactions").fetchone()[0]
            top = con.execute("SELECT max(transaction_id) FROM main.transactions").fetchone()[0]
            con.execute(
                f"INSERT INTO main.transactions SELECT transaction_id + {top} AS transaction_id, "
                "account_id, created_at + INTERVAL 30 DAY, amount, merchant_category, channel, "
                f"is_fraud FROM main.transactions USING SAMPLE {max(1, n // 20)} ROWS (reservoir, 4)")
            return "5% new rows in transactions"
        if day == 5:
            con.execute("UPDATE main.transactions SET amount = round(amount * 1.8, 2)")
            return "transactions.amount x 1.8 (a distribution shift)"
        if day == 6:
            con.execute("ALTER TABLE main.customers ADD COLUMN work_email VARCHAR")
            con.execute("UPDATE main.customers SET work_email = lower(replace(full_name, ' ', '.'))"
                        " || '@' || lower(state) || '-corp.example.com'")
            return "new PII column customers.work_email"
        if day == 7:
            # (a table other tables' foreign keys point at cannot be altered in DuckDB)
            con.execute("ALTER TABLE main.transactions ALTER amount TYPE DECIMAL(14,2)")
            return "transactions.amount retyped DOUBLE -> DECIMAL(14,2)"
        if day == 8:
            return "no change, --refit"
        return "no change" if day > 1 else "first day"
    finally:
        con.close()


def accept_lines(output: str) -> dict[str, dict[str, dict]]:
    """table -> column -> catalog entry, from the ``schema_change_reviewed`` message's lines
    ``to accept, add under tables.<t>.columns in <catalog>:`` and the indented entries after."""
    out: dict[str, dict[str, dict]] = {}
    table = None
    for line in output.splitlines():
        m = re.search(r"to accept, add under tables\.(\w+)\.columns", line)
        if m:
            table = m.group(1)
            continue
        if table and re.match(r"^\s{4,}\w+: \{", line):
            entry = yaml.safe_load(line.strip())
            out.setdefault(table, {}).update(entry)
        elif table and line.strip() and not line.startswith("    "):
            table = None
    return out


def accept(catalog: Path, lines: dict[str, dict[str, dict]]) -> None:
    data = yaml.safe_load(catalog.read_text())
    for table, columns in lines.items():
        data["tables"][table].setdefault("columns", {}).update(columns)
    tmp = catalog.with_name(".tabletwin.yaml.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    os.replace(tmp, catalog)


def run_day(work: Path, catalog: Path, day: str, *extra: str) -> tuple[float, int, str]:
    env = dict(os.environ, TABLETWIN_TODAY=day, DAGSTER_HOME=str(work / "dagster_home"),
               TABLETWIN_PSEUDONYM_KEY=os.environ.get("TABLETWIN_PSEUDONYM_KEY",
                                                      "daily-benchmark-key-0123456789abcdef"))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--catalog",
                           str(catalog), *extra], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    return time.perf_counter() - t0, proc.returncode, proc.stdout + proc.stderr


def run_id_of(output: str) -> str | None:
    m = re.search(r"^run (\S+) for \d{4}-\d\d-\d\d:", output, re.M)
    return m.group(1) if m else None


def models(db: Path, run_id: str) -> dict[str, tuple[str, bool]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT table_name, model, published FROM synthetic.tabletwin_runs "
                           "WHERE run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    return {t: (m or "-", bool(p)) for t, m, p in rows}


def fit_seconds(work: Path, run_id: str) -> dict[str, float]:
    """Seconds of each table's ``fitted_generator`` step in the run, from the Dagster instance."""
    os.environ["DAGSTER_HOME"] = str(work / "dagster_home")
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        stats = instance.get_run_step_stats(run_id)
    return {s.step_key.split("__")[0]: (s.end_time or 0) - (s.start_time or 0)
            for s in stats if s.step_key.endswith("fitted_generator")}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--transactions", type=int, default=200_000)
    p.add_argument("--start", default="2026-11-20", help="the first simulated day")
    p.add_argument("--work", default=None, help="folder to keep (default: a temporary one)")
    args = p.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="tabletwin-daily-"))
    catalog = make_project(work, customers=args.customers, transactions=args.transactions)
    db = work / "data" / "demo_warehouse.duckdb"
    print(f"demo warehouse: {args.customers:,} customers, {args.transactions:,} transactions; "
          f"project {work}")
    start = dt.date.fromisoformat(args.start)
    walls: dict[int, list[float]] = {}
    kinds: dict[int, str] = {}
    fit_total: dict[int, float] = {}
    for i in range(1, 9):
        day = (start + dt.timedelta(days=i - 1)).isoformat()
        change = change_source(db, i)
        attempt = 0
        while True:
            attempt += 1
            secs, code, out = run_day(work, catalog, day, *(["--refit"] if i == 8 else []))
            rid = run_id_of(out)
            per_table = models(db, rid) if rid else {}
            fits = fit_seconds(work, rid) if rid else {}
            published = [t for t, (_, pub) in per_table.items() if pub]
            print(f"day {i} {day} ({change}){' re-run after accepting' if attempt > 1 else ''}: "
                  f"{secs:6.1f} s, exit {code}, published {len(published)}/{len(TABLES)}")
            for t in TABLES:
                note, pub = per_table.get(t, ("(not run)", False))
                print(f"    {t:16s} {'published' if pub else 'NOT published':14s} "
                      f"fit step {fits.get(t, 0.0):5.1f} s   {note}")
            lines = accept_lines(out) if code != 0 else {}
            if code != 0:
                blocked = [ln for ln in out.splitlines()
                           if ln.startswith(("NOT published", "    ", "step "))]
                print("    output:\n" + "\n".join("      " + ln for ln in blocked[:16]))
            if code == 0 or not lines or attempt > 1:
                break
            accept(catalog, lines)
            print(f"    accepted in the catalog: {lines}")
        fitted = [not n.startswith("reused") for n, _ in per_table.values()]
        kinds[i] = "reuse" if not any(fitted) else "refit" if all(fitted) else "mixed"
        walls.setdefault(i, []).append(secs)
        fit_total[i] = sum(fits.values())
    reuse = [walls[i][-1] for i in walls if kinds[i] == "reuse"]
    refit = [walls[i][-1] for i in walls if kinds[i] == "refit"]
    if reuse and refit:
        a, b = sum(reuse) / len(reuse), sum(refit) / len(refit)
        print(f"every model reused: {len(reuse)} days, mean {a:.1f} s; every model fitted: "
              f"{len(refit)} days, mean {b:.1f} s; refit / reuse {b / a:.2f}x (whole run)")
        fa = sum(fit_total[i] for i in walls if kinds[i] == "reuse") / len(reuse)
        fb = sum(fit_total[i] for i in walls if kinds[i] == "refit") / len(refit)
        print(f"fitted_generator steps: reuse days {fa:.1f} s, refit days {fb:.1f} s; "
              f"refit / reuse {fb / max(fa, 1e-9):.2f}x")
    else:
        print(f"days reusing every model: {len(reuse)}, fitting every model: {len(refit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
