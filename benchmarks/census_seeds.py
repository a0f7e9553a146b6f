"""The whole in-memory chain on census for several seeds, each synthetic table judged by
../shared/bench/judge.py: the seed-to-seed spread of accuracy, DCR share, NNDR and TSTR.

    PY=$(../shared/bench/setup.sh)     # once: the judge's own venv
    .venv/bin/python benchmarks/census_seeds.py 1 2 3 [--judge-python PY]

``benchmarks/census_synth.py`` judges one seed (0); a change of a privacy or fidelity figure
smaller than this spread is noise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIGURES = ("accuracy", "dcr_share", "nndr_training", "nndr_holdout", "ims_training", "tstr_auc")


def main() -> int:
    from tabletwin.catalog import GeneratorConfig, TableConfig
    from tabletwin.chain import synth_frame

    p = argparse.ArgumentParser()
    p.add_argument("seeds", nargs="+", type=int)
    p.add_argument("--judge-python", default="/tmp/tabletwin-judge/bin/python")
    args = p.parse_args()
    data = SHARED / "datasets" / "census"
    if not (data / "train.parquet").exists():
        print(f"no census data at {data}: this benchmark needs ../shared/datasets", file=sys.stderr)
        return 2
    train = pd.read_parquet(data / "train.parquet")
    print("seed " + "".join(f"{f:>15}" for f in FIGURES))
    for seed in args.seeds:
        res = synth_frame(train, TableConfig(name="census", generator=GeneratorConfig(name="auto")),
                          seed=seed, key=b"benchmark-key")
        folder = Path(tempfile.mkdtemp(prefix="tabletwin-census-"))
        res.synthetic.to_parquet(folder / "syn.parquet", index=False)
        subprocess.run([args.judge_python, str(SHARED / "bench" / "judge.py"),
                        "--train", str(data / "train.parquet"),
                        "--holdout", str(data / "holdout.parquet"),
                        "--synthetic", str(folder / "syn.parquet"), "--target", "income",
                        "--positive", ">50K", "--json", str(folder / "judge.json")],
                       check=True, capture_output=True)
        judged = json.loads((folder / "judge.json").read_text())
        print(f"{seed:>4} " + "".join(f"{judged[f]:>15.4f}" for f in FIGURES), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
