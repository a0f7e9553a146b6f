"""Scale benchmark of the whole pipeline: ``tabletwin run`` on one N-row table, DuckDB or PostgreSQL.

    .venv/bin/python benchmarks/pipeline_scale.py [--rows 10000000] [--backend duckdb postgres]
        [--workdir /tmp/tabletwin_pipeline_scale] [--pg-url postgresql://postgres@127.0.0.1:5432/test]

The table is the 20-column mixed table of ``benchmarks/scale.py`` (integers, floats, nulls, booleans,
categoricals up to 5,000 levels, zip codes, dates, time-zone-aware timestamps, a name and an e-mail),
built once as Parquet and loaded into the warehouse: a DuckDB file (``CREATE TABLE AS SELECT FROM
read_parquet``) or PostgreSQL schema ``tt_scale`` (COPY batch by batch). A catalog with that one table
(``stream_above`` default: streamed past 1,000,000 rows) is written beside it and ``tabletwin run``
runs as a subprocess: source streamed to a snapshot, PII detection and masking, fit on a sample,
synthesis chunk by chunk, every check, publication into schema ``synthetic``. Measured: wall time,
the largest single process's peak RSS (GNU time) and the peak of the whole process tree (polled),
the rows published.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale  # noqa: E402  (the table builder and the process-tree measurement)


def load_duckdb(src: Path, path: Path) -> None:
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE main.people AS SELECT * FROM read_parquet(?)", [str(src)])
    finally:
        con.close()


def load_postgres(src: Path, url: str, schema: str) -> None:
    from tabletwin.warehouse.postgres import PostgresWarehouse, pg_type
    from tabletwin.warehouse.postgres_copy import copy_frame

    wh = PostgresWarehouse(url)
    pf = pq.ParquetFile(src)
    with wh.connect() as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        con.execute(f'CREATE SCHEMA "{schema}"')
        created = False
        with con.cursor() as cur:
            for batch in pf.iter_batches(batch_size=200_000):
                frame = batch.to_pandas()
                if not created:
                    cols = ", ".join(f'"{c}" {pg_type(frame[c])}' for c in frame.columns)
                    cur.execute(f'CREATE TABLE "{schema}".people ({cols})')
                    created = True
                copy_frame(cur, f'"{schema}".people', frame)
        con.commit()


def catalog(folder: Path, warehouse: dict) -> Path:
    data = {"warehouse": warehouse, "storage_dir": str(folder / "storage"),
            "reports_dir": str(folder / "reports"), "partitions_start": "2026-01-01",
            "tables": {"people": {"primary_key": "customer_id"}}}
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--backend", nargs="+", default=["duckdb", "postgres"],
                   choices=["duckdb", "postgres"])
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir())
                                            / "tabletwin_pipeline_scale"))
    p.add_argument("--pg-url", default=os.environ.get(
        "TABLETWIN_WAREHOUSE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    p.add_argument("--date", default="2026-11-01")
    args = p.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    src = scale.build(args.rows, work)
    exe = str(ROOT / ".venv" / "bin" / "tabletwin")
    results = []
    for backend in args.backend:
        folder = work / backend
        folder.mkdir(exist_ok=True)
        env = dict(os.environ, DAGSTER_HOME=str(folder / "dagster_home"), TABLETWIN_TODAY=args.date,
                   TABLETWIN_PSEUDONYM_KEY=os.environ.get("TABLETWIN_PSEUDONYM_KEY",
                                                          "scale-benchmark-key-0123456789abcdef"))
        (folder / "dagster_home").mkdir(exist_ok=True)
        if backend == "duckdb":
            wh_path = folder / "warehouse.duckdb"
            load_duckdb(src, wh_path)
            cat = catalog(folder, {"kind": "duckdb", "path": str(wh_path)})
        else:
            load_postgres(src, args.pg_url, "tt_scale")
            env["TABLETWIN_WAREHOUSE_URL"] = args.pg_url
            cat = catalog(folder, {"kind": "postgres", "url_env": "TABLETWIN_WAREHOUSE_URL",
                                   "source_schema": "tt_scale", "target_schema": "tt_scale_syn"})
        run = scale.run_command([exe, "run", "--catalog", str(cat), "--date", args.date], env)
        published = published_rows(backend, folder, args.pg_url)
        print(run.stdout, end="")
        print(f"{backend}: {args.rows:,} rows, exit {run.returncode}, {run.wall:.0f} s, max process "
              f"RSS {run.max_rss / 1e9:.2f} GB, process tree peak {run.tree_rss / 1e9:.2f} GB, "
              f"published {published:,} rows (CPU {run.cpu:.0f} s; other processes on the "
              f"machine {run.other_cpu:.0f} s)", flush=True)
        results.append((backend, run, published))
    print(f"\n{'backend':>9} {'rows':>12} {'wall s':>7} {'max proc GB':>12} {'tree GB':>8} "
          f"{'published':>12} {'exit':>5}")
    for backend, run, published in results:
        print(f"{backend:>9} {args.rows:>12,} {run.wall:>7.0f} {run.max_rss / 1e9:>12.2f} "
              f"{run.tree_rss / 1e9:>8.2f} {published:>12,} {run.returncode:>5}")
    return 0 if all(r.returncode == 0 for _, r, _ in results) else 1


def published_rows(backend: str, folder: Path, url: str) -> int:
    try:
        if backend == "duckdb":
            import duckdb

            con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
            try:
                return con.execute("SELECT count(*) FROM synthetic.people").fetchone()[0]
            finally:
                con.close()
        from tabletwin.warehouse.postgres import PostgresWarehouse

        return int(PostgresWarehouse(url).query(
            "SELECT count(*) AS n FROM tt_scale_syn.people")["n"].iloc[0])
    except Exception:  # noqa: BLE001 - nothing published
        return 0


if __name__ == "__main__":
    sys.exit(main())
