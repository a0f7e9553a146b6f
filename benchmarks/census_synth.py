"""Synthesize ../shared/datasets/census/train.parquet with each registered generator and print the
in-project scores, timings and (with --judge) the independent judge's figures.

    .venv/bin/python benchmarks/census_synth.py [--judge] [--generators gaussian_copula ...] [--keep DIR]
    .venv/bin/python benchmarks/census_synth.py --table FILE [--drop ID ...] [--target COL --positive V] --judge

With --judge the judge's figures are printed side by side, one column per generator.

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


FIGURES = ("accuracy", "accuracy_max", "univariate", "bivariate", "trivariate", "dcr_share",
           "ims_training", "ims_holdout", "nndr_training", "nndr_holdout", "sdmetrics", "tstr_auc",
           "trtr_auc")


def main() -> int:
    from tabletwin.config.catalog import GeneratorConfig, TableConfig
    from tabletwin.synth.generators import REGISTRY, make_generator
    from tabletwin.metrics.fidelity import fidelity
    from tabletwin.chain.memory import synth_frame

    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(SHARED / "datasets" / "census"))
    p.add_argument("--generators", nargs="*", default=sorted(REGISTRY))
    p.add_argument("--judge", action="store_true", help="also run ../shared/bench/judge.py")
    p.add_argument("--keep", help="folder to keep each synthetic table and judge JSON in")
    p.add_argument("--table", help="any Parquet/CSV table instead of census: split 80/20 (seed 42) "
                                   "into train and holdout; keys named by --drop are left out")
    p.add_argument("--drop", nargs="*", default=[], help="columns to leave out (ids, keys)")
    p.add_argument("--target", default="income", help="TSTR target column (census: income)")
    p.add_argument("--positive", default=">50K", help="TSTR positive class")
    args = p.parse_args()
    if args.table:
        from tabletwin.chain.stages import read_file
        from tabletwin.metrics.privacy import split_holdout

        full = read_file(args.table).drop(columns=args.drop)
        train, holdout = split_holdout(full, 0.2, seed=42)
        data = Path(tempfile.mkdtemp(prefix="tt-bench-"))
        train.to_parquet(data / "train.parquet", index=False)
        holdout.to_parquet(data / "holdout.parquet", index=False)
        label = Path(args.table).stem
    else:
        data = Path(args.data)
        if not (data / "train.parquet").exists():
            print(f"no census data at {data}: this benchmark needs ../shared/datasets",
                  file=sys.stderr)
            return 2
        train = pd.read_parquet(data / "train.parquet")
        holdout = pd.read_parquet(data / "holdout.parquet")
        label = "census"
    target = args.target if args.target in train.columns else None
    print(f"{label}: train {train.shape}, holdout {holdout.shape}")
    print(f"{'generator':<18} {'fit s':>6} {'sample s':>8} {'pipeline s':>10} {'acc(train)':>10} "
          f"{'acc(holdout)':>12}")
    judged: dict[str, dict] = {}
    for name in args.generators:
        # the generator alone, on the raw training table (fit + sample timings)
        t0 = time.perf_counter()
        gen = make_generator(name).fit(train, seed=0)
        t1 = time.perf_counter()
        gen.sample(len(train), seed=1)
        t2 = time.perf_counter()
        # the whole chain (PII detection, masking, fit, sample, scoring): what gets judged
        table = TableConfig(name=label, generator=GeneratorConfig(name=name))
        t3 = time.perf_counter()
        res = synth_frame(train, table, seed=0, key=b"benchmark-key")
        secs = time.perf_counter() - t3
        syn = res.synthetic
        acc_tr = fidelity(train, syn).accuracy
        acc_ho = fidelity(holdout, syn).accuracy
        print(f"{name:<18} {t1 - t0:6.1f} {t2 - t1:8.1f} {secs:10.1f} {acc_tr:10.4f} {acc_ho:12.4f}",
              flush=True)
        if args.judge:
            judged[name] = run_judge(data, syn, name, args.keep, target, args.positive)
    if judged:
        names = list(judged)
        print()
        print(f"{'judge':<16}" + "".join(f"{n:>18}" for n in names))
        for key in FIGURES:
            cells = [judged[n].get(key) for n in names]
            print(f"{key:<16}" + "".join(f"{c:>18.4f}" if isinstance(c, (int, float)) else
                                           f"{'-':>18}" for c in cells))
    return 0


def run_judge(data: Path, syn: pd.DataFrame, name: str, keep: str | None, target: str | None,
              positive: str) -> dict:
    py = subprocess.run([str(SHARED / "bench" / "setup.sh")], capture_output=True, text=True,
                        check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        syn_path, out = folder / f"syn_{name}.parquet", folder / f"judge_{name}.json"
        syn.to_parquet(syn_path, index=False)
        subprocess.run([py, str(SHARED / "bench" / "judge.py"), "--train",
                        str(data / "train.parquet"), "--holdout", str(data / "holdout.parquet"),
                        "--synthetic", str(syn_path), "--json", str(out)]
                       + (["--target", target, "--positive", positive] if target else []),
                       check=True, capture_output=True)
        return json.loads(out.read_text())


if __name__ == "__main__":
    sys.exit(main())
