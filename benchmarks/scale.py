"""Scale benchmark: ``tabletwin synth`` on N rows x 20 mixed columns, wall time and peak memory.

    .venv/bin/python benchmarks/scale.py [--rows 1000000 10000000] [--workdir /tmp/tabletwin_scale]
                                         [--generator auto] [--keep-output] [--show]
                                         [--tabletwin CMD] [synth options, e.g. --workers 0]

For each N a Parquet file is built once (cached in ``--workdir``, written row group by row group with
pyarrow so building 10M rows stays small), then ``.venv/bin/tabletwin synth FILE -o OUT`` runs as a
subprocess (options this script does not know are passed on to it). Measured:

* peak RSS: the sum of the resident sets of the command and all its descendants (sampling worker
  processes included), polled from /proc every 50 ms; conservative, since pages shared between
  processes count once in each;
* max process RSS: GNU time's "Maximum resident set size" (the largest single process);
* CPU: user + system seconds of that process tree, and "other CPU": what the rest of the machine
  used meanwhile (contention from other jobs makes wall times longer, so it is printed too).

The 20 columns: integers (id, age, orders), floats with two decimals (income, balance, credit
score with ~5% nulls, spend, discount), booleans, categoricals with 3-20 levels, one with 5,000
(product code) and one with 200 (city, ~5% nulls), a five-digit zip-code string, dates (midnight
timestamps), time-zone-aware timestamps (~5% nulls), and PII: a full name and an e-mail. Columns
depend on each other: segment on age, income on age, balance and orders on income, spend on
orders, discount on segment, activity on the last login.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
BUILD_CHUNK = 500_000
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")

_FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
          "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
          "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
          "Mark", "Betty", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Kimberly", "Joshua",
          "Donna", "Kenneth", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa",
          "Timothy", "Deborah", "Ronald", "Stephanie", "Jason", "Rebecca"]
_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
         "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
         "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
         "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
         "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
         "Rivera", "Campbell", "Mitchell", "Carter", "Roberts"]
_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"]
_SEGMENTS = ["retail", "premium", "business", "student", "senior"]
_CHANNELS = ["web", "branch", "phone"]
_COUNTRIES = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "CZ", "MX", "BR", "JP",
              "AU", "IN", "IE", "PT", "AT", "BE"]
_COUNTRY_WEIGHTS = np.array([20, 8, 8, 7, 6, 5, 5, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], float)


def _chunk(start: int, n: int, seed: int) -> pa.Table:
    """Rows ``start .. start+n`` of the benchmark table (deterministic per chunk)."""
    rng = np.random.default_rng([seed, start])
    first = rng.choice(np.array(_FIRST, dtype=object), n)
    last = rng.choice(np.array(_LAST, dtype=object), n)
    # ~20 x 50 x 2,500 name variants: full names repeat, e-mails are nearly unique
    middle = rng.choice(np.array(["", "A.", "B.", "C.", "D.", "E.", "J.", "L.", "M.", "R."],
                                 dtype=object), n, p=[.55] + [.05] * 9)
    names = [f"{f} {m} {l}" if m else f"{f} {l}" for f, m, l in zip(first, middle, last)]
    nums = rng.integers(1, 100_000, n)
    domains = rng.choice(np.array(_DOMAINS, dtype=object), n)
    emails = [f"{f.lower()}.{l.lower()}{k}@{d}" for f, l, k, d in zip(first, last, nums, domains)]
    age = rng.integers(18, 91, n)
    segment_idx = np.where(age >= 65, 4, np.where(age < 25, 3, rng.choice(3, n, p=[.6, .25, .15])))
    segment = np.array(_SEGMENTS, dtype=object)[segment_idx]
    income = np.round(np.exp(rng.normal(10.2 + 0.012 * np.minimum(age, 60), 0.45)), 2)
    balance = np.round(income * rng.gamma(2.0, 0.08, n) - 2_000, 2)
    balance_null = rng.random(n) < 0.05
    orders = rng.poisson(2 + income / 25_000)
    spend = np.round(orders * rng.gamma(4.0, 12.0, n) + rng.normal(0, 3, n).clip(0), 2)
    discount = np.round(np.array([0.0, 0.1, 0.15, 0.2, 0.12])[segment_idx]
                        + rng.normal(0, 0.01, n), 2).clip(0)
    score = np.round(rng.normal(650 + (income - 30_000) / 1_000, 60), 2)
    score_null = rng.random(n) < 0.05
    # 5,000 product codes, Zipf-like popularity
    product = rng.zipf(1.3, n) % 5_000
    product_code = np.array([f"P{i:05d}" for i in range(5_000)], dtype=object)[product]
    city_idx = rng.zipf(1.5, n) % 200
    city = np.array([f"city_{i:03d}" for i in range(200)], dtype=object)[city_idx]
    city_null = rng.random(n) < 0.05
    zip_code = np.array([f"{z:05d}" for z in rng.integers(501, 99_951, n)], dtype=object)
    country = rng.choice(np.array(_COUNTRIES, dtype=object), n,
                         p=_COUNTRY_WEIGHTS / _COUNTRY_WEIGHTS.sum())
    epoch = np.datetime64("2026-01-01", "D")
    tenure = rng.integers(0, 3_650, n)
    signup = epoch - tenure.astype("timedelta64[D]")
    login_s = rng.integers(0, 86_400 * 90, n)
    last_login = (np.datetime64("2026-01-01T00:00:00", "s")
                  - login_s.astype("timedelta64[s]")).astype("datetime64[us]")
    login_null = rng.random(n) < 0.05
    active = (login_s < 86_400 * 30) | (rng.random(n) < 0.1)
    has_card = rng.random(n) < 0.4 + 0.002 * (age - 18)
    channel = rng.choice(np.array(_CHANNELS, dtype=object), n, p=[.7, .2, .1])
    return pa.table({
        "customer_id": pa.array(np.arange(start + 1, start + n + 1, dtype=np.int64)),
        "full_name": pa.array(names, pa.string()),
        "email": pa.array(emails, pa.string()),
        "age": pa.array(age.astype(np.int64)),
        "segment": pa.array(segment, pa.string()),
        "country": pa.array(country, pa.string()),
        "channel": pa.array(channel, pa.string()),
        "product_code": pa.array(product_code, pa.string()),
        "city": pa.array(city, pa.string(), mask=city_null),
        "zip_code": pa.array(zip_code, pa.string()),
        "income": pa.array(income),
        "balance": pa.array(balance, mask=balance_null),
        "credit_score": pa.array(score, mask=score_null),
        "n_orders": pa.array(orders.astype(np.int64)),
        "total_spend": pa.array(spend),
        "discount_rate": pa.array(discount),
        "is_active": pa.array(active),
        "has_card": pa.array(has_card),
        "signup_date": pa.array(signup.astype("datetime64[ms]"), pa.timestamp("ms")),
        "last_login": pa.array(last_login, pa.timestamp("us", tz="UTC"), mask=login_null),
    })


def build(rows: int, workdir: Path, seed: int = 11) -> Path:
    """The benchmark Parquet file of ``rows`` rows (built once, then reused)."""
    path = workdir / f"scale_{rows}.parquet"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    t0 = time.perf_counter()
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows, BUILD_CHUNK):
            table = _chunk(start, min(BUILD_CHUNK, rows - start), seed)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=BUILD_CHUNK)
    finally:
        if writer is not None:
            writer.close()
    tmp.rename(path)
    print(f"built {path} ({rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return path


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int, cpu: dict[int, float]) -> int:
    """Bytes resident in ``root`` and every descendant (sum of RSS); updates ``cpu`` (pid -> CPU
    seconds used so far)."""
    kids = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
            cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            pass
    return total


def _busy() -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / TICK  # minus idle and iowait


@dataclass
class Run:
    rows: int
    columns: int
    wall: float
    tree_rss: int
    max_rss: int
    output_rows: int
    returncode: int
    stdout: str
    cpu: float
    other_cpu: float


def run_command(cmd: list[str], env: dict | None = None) -> Run:
    """Run ``cmd`` (under GNU time when present) while polling its process tree's RSS and CPU."""
    timed = ["/usr/bin/time", "-v", *cmd] if Path("/usr/bin/time").exists() else cmd
    print("$ " + " ".join(cmd), flush=True)
    peak = 0
    cpu: dict[int, float] = {}
    busy0 = _busy()
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(timed, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT,
                                env=env)
        out_text: list[str] = []
        reader = threading.Thread(target=lambda: out_text.append(proc.stdout.read()), daemon=True)
        reader.start()
        while proc.poll() is None:
            peak = max(peak, _tree(proc.pid, cpu))
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        busy = _busy() - busy0
        reader.join()
        err.seek(0)
        stderr = err.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    max_rss = int(m.group(1)) * 1024 if m else 0
    if proc.returncode not in (0, 1):
        sys.stderr.write(stderr[-3000:])
    used = sum(cpu.values())
    return Run(0, 0, wall, peak, max_rss, 0, proc.returncode,
               out_text[0] if out_text else "", used, max(busy - used, 0.0))


def run_synth(src: Path, out: Path, generator: str, extra: list[str], exe: str) -> Run:
    # --force: the benchmark times the whole write even when the quality gate would hold it back
    # (the exit status, 1 on a failed gate, is still reported)
    run = run_command([exe, "synth", str(src), "-o", str(out), "--generator", generator,
                       "--force", *extra])
    meta = pq.ParquetFile(src).metadata
    out_rows = pq.ParquetFile(out).metadata.num_rows if out.exists() else 0
    return dataclasses.replace(run, rows=meta.num_rows, columns=meta.num_columns,
                               output_rows=out_rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "tabletwin_scale"))
    p.add_argument("--generator", default="auto")
    p.add_argument("--keep-output", action="store_true", help="keep the synthetic Parquet files")
    p.add_argument("--show", action="store_true", help="print the synth command's output")
    p.add_argument("--tabletwin", default=str(ROOT / ".venv" / "bin" / "tabletwin"),
                   help="the command to benchmark (e.g. a wrapper running another checkout)")
    args, extra = p.parse_known_args()
    workdir = Path(args.workdir)
    runs: list[Run] = []
    for rows in args.rows:
        src = build(rows, workdir)
        out = workdir / f"synthetic_{rows}.parquet"
        out.unlink(missing_ok=True)
        run = run_synth(src, out, args.generator, extra, args.tabletwin)
        if args.show or run.returncode != 0:
            print(run.stdout, end="", flush=True)
        print(f"  {rows:,} rows: exit {run.returncode}, {run.wall:.1f} s, tree RSS "
              f"{run.tree_rss / 1e9:.2f} GB, max process RSS {run.max_rss / 1e9:.2f} GB, "
              f"CPU {run.cpu:.0f} s (other processes on the machine: {run.other_cpu:.0f} s)",
              flush=True)
        runs.append(run)
        if not args.keep_output:
            out.unlink(missing_ok=True)
    print()
    print(f"{'rows':>12} {'columns':>8} {'wall s':>8} {'peak RSS GB':>12} {'max proc GB':>12} "
          f"{'output rows':>12} {'CPU s':>7} {'other CPU s':>12} {'exit':>5}")
    for r in runs:
        print(f"{r.rows:>12,} {r.columns:>8} {r.wall:>8.1f} {r.tree_rss / 1e9:>12.2f} "
              f"{r.max_rss / 1e9:>12.2f} {r.output_rows:>12,} {r.cpu:>7.0f} {r.other_cpu:>12.0f} "
              f"{r.returncode:>5}")
    print(f"({os.cpu_count()} cores. peak RSS: sum over the synth process and its workers, "
          "polled every 50 ms; max proc: GNU time's largest single process; CPU: the synth "
          "tree's user+system seconds; other CPU: what the rest of the machine used meanwhile, "
          "i.e. contention)")
    return 0 if all(r.returncode in (0, 1) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
