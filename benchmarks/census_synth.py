"""Synthesize ../shared/datasets/census/train.parquet with each registered generator and print the
in-project scores, timings and (with --judge) the independent judge's figures.

    .venv/bin/python benchmarks/census_synth.py [--judge] [--generators gaussian_copula]

The judge runs in its own venv (../shared/bench/setup.sh); the generator never sees the holdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def main() -> int:
    from tabletwin.catalog import GeneratorConfig, TableConfig
    from tabletwin.generators import REGISTRY
    from tabletwin.metrics import fidelity
    from tabletwin.pipeline import synth_frame

    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(SHARED / "datasets" / "census"))
    p.add_argument("--generators", nargs="*", default=sorted(REGISTRY))
    p.add_argument("--judge", action="store_true", help="also run ../shared/bench/judge.py")
    args = p.parse_args()
    data = Path(args.data)
    if not (data / "train.parquet").exists():
        print(f"no census data at {data}: this benchmark needs ../shared/datasets", file=sys.stderr)
        return 2
    train = pd.read_parquet(data / "train.parquet")
    holdout = pd.read_parquet(data / "holdout.parquet")
    print(f"census: train {train.shape}, holdout {holdout.shape}")
    print(f"{'generator':<18} {'seconds':>8} {'acc(train)':>10} {'acc(holdout)':>12}  judge")
    for name in args.generators:
        table = TableConfig(name="census", generator=GeneratorConfig(name=name))
        t0 = time.perf_counter()
        res = synth_frame(train, table, seed=0, key=b"benchmark-key")
        secs = time.perf_counter() - t0
        syn = res.synthetic
        acc_tr = fidelity(train, syn).accuracy
        acc_ho = fidelity(holdout, syn).accuracy
        judge = ""
        if args.judge:
            judge = run_judge(data, syn)
        print(f"{name:<18} {secs:8.1f} {acc_tr:10.4f} {acc_ho:12.4f}  {judge}")
    return 0


def run_judge(data: Path, syn: pd.DataFrame) -> str:
    py = subprocess.run([str(SHARED / "bench" / "setup.sh")], capture_output=True, text=True,
                        check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        syn_path, out = Path(tmp) / "syn.parquet", Path(tmp) / "judge.json"
        syn.to_parquet(syn_path, index=False)
        subprocess.run([py, str(SHARED / "bench" / "judge.py"), "--train",
                        str(data / "train.parquet"), "--holdout", str(data / "holdout.parquet"),
                        "--synthetic", str(syn_path), "--target", "income", "--positive", ">50K",
                        "--json", str(out)], check=True, capture_output=True)
        j = json.loads(out.read_text())
    keys = ("accuracy", "dcr_share", "ims_training", "ims_holdout", "nndr_training",
            "nndr_holdout", "tstr_auc", "trtr_auc")
    return " ".join(f"{k}={j[k]:.4g}" for k in keys if k in j)


if __name__ == "__main__":
    sys.exit(main())
