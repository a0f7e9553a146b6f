"""Time and peak memory of streaming a large PostgreSQL table with ``Warehouse.iter_table``.

    .venv/bin/python benchmarks/pg_read.py [--rows 10000000] [--chunk-rows 100000] [--url URL]
                                           [--publish-rows 1000000]

Creates ``--rows`` rows × 10 columns (2 bigint, 3 double precision, 2 text, date, timestamp,
boolean) with generate_series in a throwaway schema, reads it chunk by chunk (each chunk dropped
after a checksum, as a streaming consumer would), prints rows/s and the process's peak RSS, and
drops the schema. With ``--publish-rows`` it also times one publication (COPY + view swap) of
that many rows read back from the table. URL: --url, else $TABLETWIN_WAREHOUSE_URL, else the local
test server.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    from tabletwin.warehouse.base import RunRecord
    from tabletwin.warehouse.postgres import PostgresWarehouse

    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--chunk-rows", type=int, default=100_000)
    p.add_argument("--publish-rows", type=int, default=0)
    p.add_argument("--url", default=os.environ.get("TABLETWIN_WAREHOUSE_URL") or LOCAL)
    args = p.parse_args()

    wh = PostgresWarehouse(args.url)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    print(f"warehouse {wh.label}, schema {schema}, {args.rows:,} rows x 10 columns")
    t0 = time.perf_counter()
    with wh.connect() as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
        con.execute(f"""CREATE TABLE "{schema}".big AS SELECT
            i::bigint AS id, (i % 1000)::bigint AS grp,
            random() AS x1, i * 0.5 AS x2, (random() * 1000)::double precision AS x3,
            'name_' || (i % 50000) AS label, md5(i::text) AS code,
            DATE '2020-01-01' + (i % 2000) AS day,
            TIMESTAMP '2020-01-01' + (i % 100000) * INTERVAL '1 minute' AS at,
            (i % 3 = 0) AS flag
            FROM generate_series(1, {args.rows}) AS g(i)""")
        con.commit()
    print(f"created in {time.perf_counter() - t0:.1f} s (server side)")
    try:
        base = rss_mb()
        t0 = time.perf_counter()
        rows = chunks = 0
        checksum = 0.0
        for chunk in wh.iter_table(schema, "big", args.chunk_rows):
            rows += len(chunk)
            chunks += 1
            checksum += float(chunk["x2"].sum())
            del chunk
        secs = time.perf_counter() - t0
        assert rows == args.rows, (rows, args.rows)
        print(f"iter_table: {rows:,} rows in {chunks} chunks of {args.chunk_rows:,}: {secs:.1f} s "
              f"({rows / secs:,.0f} rows/s); peak RSS {rss_mb():,.0f} MB "
              f"(before reading {base:,.0f} MB)")
        if args.publish_rows:
            n = min(args.publish_rows, args.rows)
            df = wh.query(f'SELECT * FROM "{schema}".big ORDER BY id LIMIT {n}')
            rec = RunRecord(table_name="big", partition_key="2026-01-01", run_id="bench",
                            generator="-", seed=0, rows=n, passed=True, scores={},
                            code_version="bench")
            t0 = time.perf_counter()
            wh.publish(f"{schema}_syn", "big", df, column_types={}, record=rec)
            secs = time.perf_counter() - t0
            print(f"publish: {n:,} rows x 10 columns in {secs:.1f} s ({n / secs:,.0f} rows/s); "
                  f"peak RSS {rss_mb():,.0f} MB")
    finally:
        with wh.connect() as con:
            for s in (schema, f"{schema}_syn", f"{schema}_syn_versions"):
                con.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
            con.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
