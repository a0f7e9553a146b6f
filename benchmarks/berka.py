"""The whole Berka bank (../shared/datasets/berka, seven related tables) through the real pipeline.

    .venv/bin/python benchmarks/berka.py [--out DIR] [--date YYYY-MM-DD] [--generator auto]

Steps: load the seven Parquet files into a DuckDB warehouse (schema ``main``; primary and foreign
keys declared; the date columns typed DATE, as a warehouse would hold them), write a catalog of the
seven tables (keys as in the dataset's README), run ``tabletwin run`` for one day (Dagster, every
table's chain, all checks, publication), then read the published tables back and print, per table
and per foreign key: rows, primary-key uniqueness, orphans, children-per-parent accuracy (1 - TVD of
the count histograms, parents without children included), single-table accuracy (the gate's
fidelity), join accuracy (parent column vs child column after the join) and, for event tables, the
gap (sequence) score. The figures are computed here from the published tables, not copied from the
run's reports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
BERKA = ROOT.parent / "shared" / "datasets" / "berka"

#: table -> (primary key, {foreign key: "parent.column"}, date columns)
SCHEMA: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "district": ("district_id", {}, ()),
    "account": ("account_id", {"district_id": "district.district_id"}, ("date",)),
    "client": ("client_id", {"district_id": "district.district_id"}, ()),
    "disp": ("disp_id", {"client_id": "client.client_id", "account_id": "account.account_id"}, ()),
    "card": ("card_id", {"disp_id": "disp.disp_id"}, ("issued",)),
    "loan": ("loan_id", {"account_id": "account.account_id"}, ("date",)),
    "order": ("order_id", {"account_id": "account.account_id"}, ()),
}
ORDER = ["district", "account", "client", "disp", "card", "loan", "order"]


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build_warehouse(path: Path) -> dict[str, int]:
    """The seven tables in ``main`` of a new DuckDB file, keys declared, dates typed."""
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    rows = {}
    try:
        for t in ORDER:
            df = pd.read_parquet(BERKA / f"{t}.parquet")
            pk, fks, dates = SCHEMA[t]
            for c in dates:
                df[c] = pd.to_datetime(df[c]).dt.date
            con.register("frame", df)
            cols = []
            for c in df.columns:
                sql = con.execute(f"SELECT typeof({q(c)}) FROM frame LIMIT 1").fetchone()[0]
                if c in dates:
                    sql = "DATE"
                extra = " PRIMARY KEY" if c == pk else ""
                if c in fks:
                    parent, pcol = fks[c].split(".")
                    extra += f" REFERENCES main.{q(parent)} ({q(pcol)})"
                cols.append(f"{q(c)} {sql}{extra}")
            con.execute(f"CREATE TABLE main.{q(t)} ({', '.join(cols)})")
            con.execute(f"INSERT INTO main.{q(t)} SELECT * FROM frame")
            con.unregister("frame")
            rows[t] = len(df)
    finally:
        con.close()
    return rows


def write_catalog(folder: Path, warehouse: Path, generator: str) -> Path:
    tables = {}
    for t in ORDER:
        pk, fks, _ = SCHEMA[t]
        cfg: dict = {"primary_key": pk, "generator": {"name": generator}}
        if fks:
            cfg["foreign_keys"] = dict(fks)
        if t == "district":  # 77 rows, one per district: 62 fit rows cannot carry the
            cfg["checks"] = {"fidelity_min": 0.5}  # bi/trivariate histograms of 16 columns
        if t == "loan":  # exact in the data: declared as a user would
            cfg["constraints"] = [{"kind": "formula", "column": "amount",
                                   "expression": "duration * payments"}]
        tables[t] = cfg
    catalog = {"warehouse": {"kind": "duckdb", "path": str(warehouse), "source_schema": "main",
                             "target_schema": "synthetic"},
               "storage_dir": str(folder / "storage"), "reports_dir": str(folder / "reports"),
               "partitions_start": "2026-01-01", "tables": tables}
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    return path


def figures(warehouse: Path, reports: Path, date: str) -> tuple[list[dict], list[dict]]:
    import duckdb

    from tabletwin.metrics.relations import (cardinality_accuracy, fanout_accuracy, orphans,
                                     sequence_accuracy)

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        real = {t: con.execute(f"SELECT * FROM main.{q(t)}").df() for t in ORDER}
        syn = {}
        for t in ORDER:
            try:
                syn[t] = con.execute(f"SELECT * FROM synthetic.{q(t)}").df()
            except duckdb.Error:
                syn[t] = None
    finally:
        con.close()
    per_table, per_fk = [], []
    for t in ORDER:
        pk, fks, dates = SCHEMA[t]
        report = reports / t / f"{date}.json"
        checks = {}
        if report.exists():
            checks = {c["name"]: c for c in json.loads(report.read_text())["checks"]}
        s = syn[t]
        per_table.append({
            "table": t, "rows_real": len(real[t]), "rows_synthetic": None if s is None else len(s),
            "pk_unique": None if s is None else bool(s[pk].is_unique and s[pk].notna().all()),
            "pk_fresh": None if s is None else not bool(s[pk].isin(real[t][pk]).any()),
            "accuracy": checks.get("fidelity_above_threshold", {}).get("value"),
            "dcr_share": checks.get("not_closer_to_training", {}).get("value"),
            "published": s is not None})
        for fk, ref in fks.items():
            parent, pcol = ref.split(".")
            ps = syn[parent]
            if s is None or ps is None:
                per_fk.append({"child": t, "fk": fk, "parent": parent, "orphans": None})
                continue
            rel = (checks.get("joins_like_source", {}).get("details", {})
                   .get("foreign_keys", {}).get(fk, {}))
            per_fk.append({
                "child": t, "fk": fk, "parent": parent,
                "orphans": orphans(s[fk], ps[pcol]),
                "children_per_parent": round(cardinality_accuracy(real[t][fk], real[parent][pcol],
                                                                  s[fk], ps[pcol]), 4),
                "fanout_10_bins": round(fanout_accuracy(real[t][fk], real[parent][pcol], s[fk],
                                                        ps[pcol]), 4),
                "fanout_noise_floor": _noise_floor(real[t][fk], real[parent][pcol]),
                "join_accuracy": rel.get("cross_table"),
                "sequence": _rounded(sequence_accuracy(real[t], s, fk, dates[0])
                                     if dates else None)})
    return per_table, per_fk


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _noise_floor(fk: pd.Series, parents: pd.Series, draws: int = 20) -> float:
    """Mean fan-out accuracy of the real counts against themselves resampled (same number of
    parents): what a perfect generator would score on this many parents."""
    import numpy as np

    from tabletwin.metrics.relations import children_per_parent, fanout_accuracy

    counts = children_per_parent(fk, parents)
    keys = np.arange(len(counts))
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(draws):
        again = rng.choice(counts, len(counts), replace=True)
        scores.append(fanout_accuracy(pd.Series(np.repeat(keys, counts)), pd.Series(keys),
                                      pd.Series(np.repeat(keys, again)), pd.Series(keys)))
    return round(float(np.mean(scores)), 4)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="folder for the warehouse, catalog, reports (default: a temp dir)")
    p.add_argument("--date", default="2026-11-01", help="partition to run")
    p.add_argument("--generator", default="auto")
    args = p.parse_args()
    if not BERKA.is_dir():
        print(f"berka not found at {BERKA}", file=sys.stderr)
        return 2
    out = Path(args.out or tempfile.mkdtemp(prefix="tt-berka-")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    wh = out / "berka.duckdb"
    t0 = time.perf_counter()
    rows = build_warehouse(wh)
    t_load = time.perf_counter() - t0
    catalog = write_catalog(out, wh, args.generator)
    os.environ.setdefault("DAGSTER_HOME", str(out / "dagster_home"))
    os.environ["TABLETWIN_TODAY"] = args.date  # the run reads the source as of its day
    os.environ.setdefault("TABLETWIN_PSEUDONYM_KEY", "berka-benchmark-key-0123456789abcdef")
    from pipelines.run import run_pipeline

    t1 = time.perf_counter()
    status = run_pipeline(catalog_path=catalog, date=args.date)
    t_run = time.perf_counter() - t1
    per_table, per_fk = figures(wh, out / "reports", args.date)
    print(f"\nberka: {len(rows)} tables, {sum(rows.values()):,} rows; load {t_load:.1f} s; "
          f"tabletwin run (all chains, checks, publication) {t_run:.1f} s; exit {status}")
    print(f"{'table':10} {'rows':>6} {'synthetic':>9} {'pk unique':>9} {'pk fresh':>8} "
          f"{'accuracy':>8} {'dcr share':>9}")
    for r in per_table:
        print(f"{r['table']:10} {r['rows_real']:>6} {str(r['rows_synthetic']):>9} "
              f"{str(r['pk_unique']):>9} {str(r['pk_fresh']):>8} {str(r['accuracy']):>8} "
              f"{str(r['dcr_share']):>9}")
    print(f"\n{'foreign key':34} {'orphans':>7} {'children/parent':>15} {'fan-out':>7} "
          f"{'(floor)':>7} {'join acc':>8} {'sequence':>8}")
    for r in per_fk:
        print(f"{r['child'] + '.' + r['fk'] + ' -> ' + r['parent']:34} {str(r['orphans']):>7} "
              f"{str(r.get('children_per_parent')):>15} {str(r.get('fanout_10_bins')):>7} "
              f"{str(r.get('fanout_noise_floor')):>7} {str(r.get('join_accuracy')):>8} "
              f"{str(r.get('sequence')):>8}")
    print("children/parent: 1 - TVD of the count histogram (0..19, 20+), as the gate; fan-out: "
          "10 quantile bins of the real counts; (floor): the fan-out score of the real counts "
          "resampled, i.e. the best a generator can expect on that many parents")
    worst = min((r.get("children_per_parent") or 0.0) for r in per_fk)
    print(f"\nworst children-per-parent accuracy {worst:.4f}; orphans "
          f"{sum(r['orphans'] or 0 for r in per_fk)}; output in {out}")
    (out / "figures.json").write_text(json.dumps({"tables": per_table, "foreign_keys": per_fk,
                                                  "run_seconds": t_run, "exit": status},
                                                 indent=2, default=str))
    return status


if __name__ == "__main__":
    sys.exit(main())
