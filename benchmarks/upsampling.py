"""Upsampling a tiny minority class: naive oversampling vs SMOTE-NC vs tabletwin synthetic rows.

Reproduces the published upsampling study on ../shared/datasets/census: the training set is made
heavily unbalanced by down-sampling the ``>50K`` class to 0.1%, 0.5%, 1% and 5% of the rows; it is
then balanced to 50:50 by

(a) naive random oversampling (copies of the few minority rows),
(b) SMOTE-NC (imbalanced-learn; ``pip install -e .[bench]``),
(c) tabletwin: synthetic minority rows *added* to the unbalanced set (the real rows are kept):
    by default (``--mode class_leaves``) the sequential tree fitted on the whole unbalanced set with
    ``income`` first, its node distributions re-estimated from the minority rows
    (:mod:`tabletwin.synth.minority`); ``conditional`` samples the plain conditional tree given the class
    (what ``--rebalance`` does), ``minority`` fits a small tree on the minority rows alone,

and a HistGradientBoosting classifier trained on each is scored on the untouched holdout: AUC-ROC and
AUC-PR, averaged over seeds (same classifier, hyperparameters, holdout and unbalanced sets for
every method). Privacy of the added minority rows of each method on the minority subset
(:func:`tabletwin.metrics.privacy.minority_privacy`): share identical to a real training minority row, and
the 5% quantile of their distance to the closest training minority row against the same quantile
for real minority rows the methods never saw (``dcr_ratio`` >= 1: no closer than a new real person).

    .venv/bin/python benchmarks/upsampling.py [--seeds 5] [--fractions 0.001 0.005 0.01 0.05]
                                              [--plot upsampling.png] [--mode class_leaves|conditional|minority]
                                              [--out results.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TARGET, POSITIVE = "income", ">50K"


def features(df: pd.DataFrame, cats: dict[str, list[str]]) -> pd.DataFrame:
    X = df.drop(columns=[TARGET]).copy()
    for c in X.columns:
        if c in cats:
            X[c] = pd.Categorical(X[c].astype(str), categories=cats[c]).codes
        else:
            X[c] = pd.to_numeric(X[c], errors="coerce")
    return X


def score(train: pd.DataFrame, holdout: pd.DataFrame, cats: dict[str, list[str]],
          seed: int) -> tuple[float, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = (train[TARGET].astype(str) == POSITIVE).astype(int)
    yh = (holdout[TARGET].astype(str) == POSITIVE).astype(int)
    cat_idx = [i for i, c in enumerate(train.drop(columns=[TARGET]).columns) if c in cats]
    model = HistGradientBoostingClassifier(random_state=seed, categorical_features=cat_idx)
    model.fit(features(train, cats), y)
    p = model.predict_proba(features(holdout, cats))[:, 1]
    return float(roc_auc_score(yh, p)), float(average_precision_score(yh, p))


def unbalance(train: pd.DataFrame, fraction: float, rng: np.random.Generator) -> pd.DataFrame:
    pos = train[train[TARGET] == POSITIVE]
    neg = train[train[TARGET] != POSITIVE]
    k = max(2, int(round(fraction * len(neg) / (1 - fraction))))
    keep = pos.iloc[rng.choice(len(pos), k, replace=False)]
    return pd.concat([neg, keep]).sample(frac=1.0, random_state=int(rng.integers(2**31)))


def naive(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    pos = df[df[TARGET] == POSITIVE]
    need = int((df[TARGET] != POSITIVE).sum() - len(pos))
    extra = pos.iloc[rng.integers(0, len(pos), need)]
    return pd.concat([df, extra], ignore_index=True)


def smote_nc(df: pd.DataFrame, cats: dict[str, list[str]], seed: int) -> pd.DataFrame:
    from imblearn.over_sampling import SMOTENC

    X = df.drop(columns=[TARGET])
    y = (df[TARGET] == POSITIVE).astype(int)
    k = int(min(5, y.sum() - 1))
    if k < 1:
        return naive(df, np.random.default_rng(seed))
    Xc = X.copy()
    for c in cats:
        Xc[c] = Xc[c].astype(str)
    cat_mask = [c in cats for c in X.columns]
    Xr, yr = SMOTENC(categorical_features=cat_mask, k_neighbors=k,
                     random_state=seed).fit_resample(Xc, y)
    out = pd.DataFrame(Xr, columns=X.columns)
    for c in X.columns:
        if c not in cats:
            out[c] = pd.to_numeric(out[c]).astype(X[c].dtype, errors="ignore")
    out[TARGET] = np.where(yr == 1, POSITIVE, "<=50K")
    return out


def tabletwin_upsample(df: pd.DataFrame, seed: int,
                       mode: str = "class_leaves") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic minority rows added to ``df`` (see the module docstring for the modes)."""
    from tabletwin.synth.generators import SequentialTree
    from tabletwin.synth.minority import upsample_class

    need = int((df[TARGET] != POSITIVE).sum() - (df[TARGET] == POSITIVE).sum())
    if mode == "class_leaves":
        extra = upsample_class(df.reset_index(drop=True), TARGET, POSITIVE, need, seed=seed)
    elif mode == "minority":
        pos = df[df[TARGET] == POSITIVE].reset_index(drop=True)
        leaf = max(5, len(pos) // 20)
        gen = SequentialTree(min_samples_leaf=leaf, leaf_scale=0.0, rare_k=2).fit(pos, seed=seed)
        extra = gen.sample(need, seed=seed + 1)
    else:
        # rare_k=1: the minority class itself may be a handful of rows; it must stay generable
        gen = SequentialTree(first=(TARGET,), rare_k=1).fit(df, seed=seed)
        cond = pd.DataFrame({TARGET: pd.Series([POSITIVE] * need, dtype=df[TARGET].dtype)})
        extra = gen.sample(need, seed=seed + 1, conditions=cond)
    return pd.concat([df, extra], ignore_index=True), extra


def added_rows(balanced: pd.DataFrame, small: pd.DataFrame) -> pd.DataFrame:
    """The minority rows a method added (every method keeps the unbalanced set's rows first,
    except SMOTE-NC, which appends after them too)."""
    extra = balanced.iloc[len(small):]
    return extra[extra[TARGET] == POSITIVE]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--fractions", type=float, nargs="*", default=[0.001, 0.005, 0.01, 0.05])
    p.add_argument("--plot", default=None, help="write a PNG of AUC-PR by fraction and method")
    p.add_argument("--mode", choices=["class_leaves", "conditional", "minority"],
                   default="class_leaves",
                   help="how tabletwin makes minority rows (see tabletwin_upsample)")
    p.add_argument("--first-seed", type=int, default=0,
                   help="seeds run from here (tune on other seeds than the ones reported)")
    p.add_argument("--out", default=None, help="write every (fraction, seed, method) row as CSV")
    args = p.parse_args()
    from tabletwin.metrics.privacy import minority_privacy

    data = SHARED / "datasets" / "census"
    if not (data / "train.parquet").exists():
        print(f"no census data at {data}: this benchmark needs ../shared/datasets", file=sys.stderr)
        return 2
    train = pd.read_parquet(data / "train.parquet")
    holdout = pd.read_parquet(data / "holdout.parquet")
    cats = {c: sorted(set(train[c].astype(str)) | set(holdout[c].astype(str)))
            for c in train.columns if c != TARGET and not pd.api.types.is_numeric_dtype(train[c])}
    cols = [c for c in train.columns if c != TARGET]
    rows = []
    for fraction in args.fractions:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rng = np.random.default_rng(1000 + seed)
            small = unbalance(train, fraction, rng)
            real_pos = small[small[TARGET] == POSITIVE]
            # real minority rows no method saw: the privacy baseline ("a new real person")
            hold_pos = train[(train[TARGET] == POSITIVE) & ~train.index.isin(small.index)]
            hold_pos = hold_pos.sample(min(len(hold_pos), 2000), random_state=seed)
            makers = {"naive": lambda: naive(small, rng),
                      "smote_nc": lambda: smote_nc(small, cats, seed),
                      "tabletwin": lambda: tabletwin_upsample(small, seed, args.mode)[0]}
            for method, make in makers.items():
                t0 = time.perf_counter()
                df = make()
                took = time.perf_counter() - t0
                roc, pr = score(df, holdout, cats, seed)
                priv = minority_privacy(real_pos, hold_pos, added_rows(df, small), columns=cols,
                                        seed=seed)
                rows.append({"fraction": fraction, "seed": seed, "method": method,
                             "auc_roc": roc, "auc_pr": pr, "minority_rows": len(real_pos),
                             "identical": priv.identical,
                             "dcr_ratio": priv.dcr_q05 / priv.holdout_q05
                             if priv.holdout_q05 > 0 else np.nan,
                             "privacy_ok": priv.passed, "upsample_s": took})
            print(f"fraction {fraction:.3f} seed {seed}: minority rows "
                  f"{rows[-1]['minority_rows']}, " + ", ".join(
                      f"{r['method']} pr {r['auc_pr']:.3f}" for r in rows[-3:]), flush=True)
    res = pd.DataFrame(rows)
    table = res.groupby(["fraction", "method"]).agg(
        auc_roc=("auc_roc", "mean"), auc_pr=("auc_pr", "mean"), auc_pr_sd=("auc_pr", "std"),
        minority_rows=("minority_rows", "mean"), identical=("identical", "mean"),
        dcr_ratio=("dcr_ratio", "mean"), privacy_ok=("privacy_ok", "mean"),
        upsample_s=("upsample_s", "mean")).round(4)
    if args.out:
        res.to_csv(args.out, index=False)
    print()
    print(table.to_string())
    best = res.groupby(["fraction", "method"])["auc_pr"].mean().unstack()
    print()
    print("best AUC-PR per fraction:", best.idxmax(axis=1).to_dict())
    print("tabletwin - naive (AUC-PR):", (best["tabletwin"] - best["naive"]).round(4).to_dict())
    print("tabletwin - smote_nc (AUC-PR):",
          (best["tabletwin"] - best["smote_nc"]).round(4).to_dict())
    if args.plot:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), dpi=100)
        ax = fig.subplots()
        for method in best.columns:
            ax.plot(best.index, best[method], marker="o", label=method)
        ax.set_xscale("log")
        ax.set_xlabel("minority share of the unbalanced training set")
        ax.set_ylabel(f"mean AUC-PR on the holdout ({args.seeds} seeds)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot)
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
