"""The whole in-memory chain on census for several seeds, each synthetic table judged by
../shared/bench/judge.py: the seed-to-seed spread of accuracy, DCR share, NNDR and TSTR.

    .venv/bin/python benchmarks/census_seeds.py 1 2 3 [--keep DIR]

``benchmarks/census_synth.py`` judges one seed (0); a change of a privacy or fidelity figure
smaller than this spread is noise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from census_synth import SHARED, run_judge  # noqa: E402  (the one way to call the judge)

FIGURES = ("accuracy", "dcr_share", "nndr_training", "nndr_holdout", "ims_training", "tstr_auc")


def main() -> int:
    from tabletwin.config.catalog import GeneratorConfig, TableConfig
    from tabletwin.chain.memory import synth_frame

    p = argparse.ArgumentParser()
    p.add_argument("seeds", nargs="+", type=int)
    p.add_argument("--keep", help="folder to keep each synthetic table and judge JSON in")
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
        judged = run_judge(data, res.synthetic, f"seed{seed}", args.keep, "income", ">50K")
        print(f"{seed:>4} " + "".join(f"{judged[f]:>15.4f}" for f in FIGURES), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
