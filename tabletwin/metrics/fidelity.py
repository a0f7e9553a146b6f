"""Fidelity metrics computed in the project.

Accuracy follows the convention of the independent judge (mostlyai-qa): every column is discretised
into at most 10 bins defined on the reference table (quantile bins for numbers and datetimes, the 10
most frequent values plus "other" for categories, a separate bin for nulls); accuracy is 1 - total
variation distance between binned distributions, averaged over columns (univariate) and over column
pairs (bivariate) and over column triples (trivariate, a bounded random subset on wide tables); the
overall figure is the mean of the three. All scores lie in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.frames import as_numbers, datetime_to_ns, is_datetime, is_numeric
from tabletwin.protection import RARE_K

BINS = 10
MAX_ROWS = 50_000
MAX_TRIPLES = 400


@dataclass(frozen=True)
class FidelityScore:
    """accuracy = mean(univariate, bivariate, trivariate); each in [0, 1], 1 = identical."""

    accuracy: float
    univariate: float
    bivariate: float
    trivariate: float
    per_column: dict[str, float] = field(default_factory=dict)
    columns: tuple[str, ...] = ()


def _binner(ref: pd.Series):
    """Return a function mapping a Series to integer bin codes, fitted on ``ref``."""
    non_null = ref.dropna()
    if is_numeric(ref) and non_null.nunique() > BINS:
        edges = np.unique(np.quantile(as_numbers(non_null), np.linspace(0, 1, BINS + 1))[1:-1])

        def code(s: pd.Series) -> np.ndarray:
            x = as_numbers(s)  # NaN for nulls (NaT too): the null bin
            c = np.searchsorted(edges, x, side="right")
            return np.where(np.isnan(x), len(edges) + 1, c)

        return code
    # the most frequent values among those seen RARE_K times or more: rare values are never
    # generated (privacy), so they share the "other" bin instead of counting as misses
    counts = non_null.astype(str).value_counts()
    top = list(counts[counts >= RARE_K].index[:BINS])
    lookup = {v: i for i, v in enumerate(top)}

    def code_cat(s: pd.Series) -> np.ndarray:
        mask = s.isna().to_numpy()
        mapped = s.astype(str).map(lookup).fillna(len(top)).to_numpy(dtype=int)
        return np.where(mask, len(top) + 1, mapped)

    return code_cat


def _tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    pa = np.bincount(a, minlength=size) / max(len(a), 1)
    pb = np.bincount(b, minlength=size) / max(len(b), 1)
    return 0.5 * float(np.abs(pa - pb).sum())


def fidelity(reference: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str] | None = None,
             *, seed: int = 0) -> FidelityScore:
    """Univariate and bivariate accuracy of ``synthetic`` against ``reference`` on ``columns``."""
    cols = [c for c in (columns if columns is not None else list(reference.columns))
            if c in synthetic.columns]
    if not cols:
        return FidelityScore(accuracy=1.0, univariate=1.0, bivariate=1.0, trivariate=1.0, columns=())
    rng = np.random.default_rng(seed)
    ref = reference if len(reference) <= MAX_ROWS else reference.iloc[
        np.sort(rng.choice(len(reference), MAX_ROWS, replace=False))]
    syn = synthetic if len(synthetic) <= MAX_ROWS else synthetic.iloc[
        np.sort(rng.choice(len(synthetic), MAX_ROWS, replace=False))]
    codes_r, codes_s, sizes = {}, {}, {}
    for c in cols:
        f = _binner(ref[c])
        codes_r[c], codes_s[c] = f(ref[c]), f(syn[c])
        sizes[c] = int(max(codes_r[c].max(initial=0), codes_s[c].max(initial=0))) + 1
    per_col = {c: 1 - _tvd(codes_r[c], codes_s[c], sizes[c]) for c in cols}
    uni = float(np.mean(list(per_col.values())))
    pairs = []
    for a, b in combinations(cols, 2):
        size = sizes[a] * sizes[b]
        pairs.append(1 - _tvd(codes_r[a] * sizes[b] + codes_r[b], codes_s[a] * sizes[b] + codes_s[b],
                              size))
    bi = float(np.mean(pairs)) if pairs else uni
    triples = list(combinations(cols, 3))
    if len(triples) > MAX_TRIPLES:
        triples = [triples[i] for i in rng.choice(len(triples), MAX_TRIPLES, replace=False)]
    tri_scores = []
    for a, b, c in triples:
        size = sizes[a] * sizes[b] * sizes[c]
        tri_scores.append(1 - _tvd((codes_r[a] * sizes[b] + codes_r[b]) * sizes[c] + codes_r[c],
                                   (codes_s[a] * sizes[b] + codes_s[b]) * sizes[c] + codes_s[c],
                                   size))
    tri = float(np.mean(tri_scores)) if tri_scores else bi
    return FidelityScore(accuracy=(uni + bi + tri) / 3, univariate=uni, bivariate=bi,
                         trivariate=tri, per_column=per_col, columns=tuple(cols))


@dataclass(frozen=True)
class AssociationScore:
    """Pairwise association (Cramér's V over the binned columns, 0..1) in the real and the synthetic
    table; ``diff`` is the mean absolute difference over column pairs (0 = same structure)."""

    columns: tuple[str, ...]
    real: tuple[tuple[float, ...], ...]
    synthetic: tuple[tuple[float, ...], ...]
    diff: float


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    ka, kb = int(ai.max(initial=0)) + 1, int(bi.max(initial=0)) + 1
    if ka < 2 or kb < 2 or len(a) < 2:
        return 0.0
    table = np.bincount(ai * kb + bi, minlength=ka * kb).reshape(ka, kb).astype(float)
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.nansum((table - expected) ** 2 / np.where(expected > 0, expected, np.nan))
    return float(np.sqrt(min(1.0, chi2 / (n * (min(ka, kb) - 1)))))


def associations(reference: pd.DataFrame, synthetic: pd.DataFrame,
                 columns: list[str] | None = None, *, seed: int = 0,
                 max_columns: int = 40) -> AssociationScore:
    """Association matrices of both tables over ``columns`` (binned as for :func:`fidelity`)."""
    cols = [c for c in (columns if columns is not None else list(reference.columns))
            if c in synthetic.columns][:max_columns]
    rng = np.random.default_rng(seed)
    ref = reference if len(reference) <= MAX_ROWS else reference.iloc[
        np.sort(rng.choice(len(reference), MAX_ROWS, replace=False))]
    syn = synthetic if len(synthetic) <= MAX_ROWS else synthetic.iloc[
        np.sort(rng.choice(len(synthetic), MAX_ROWS, replace=False))]
    codes_r, codes_s = {}, {}
    for c in cols:
        f = _binner(ref[c])
        codes_r[c], codes_s[c] = f(ref[c]), f(syn[c])
    k = len(cols)
    real, synth = np.eye(k), np.eye(k)
    diffs = []
    for i, j in combinations(range(k), 2):
        real[i, j] = real[j, i] = _cramers_v(codes_r[cols[i]], codes_r[cols[j]])
        synth[i, j] = synth[j, i] = _cramers_v(codes_s[cols[i]], codes_s[cols[j]])
        diffs.append(abs(real[i, j] - synth[i, j]))
    return AssociationScore(columns=tuple(cols),
                            real=tuple(tuple(round(float(x), 4) for x in row) for row in real),
                            synthetic=tuple(tuple(round(float(x), 4) for x in row) for row in synth),
                            diff=float(np.mean(diffs)) if diffs else 0.0)


@dataclass(frozen=True)
class UtilityScore:
    """Train-synthetic-test-real: ``task`` is ``classification`` (ROC AUC, one-vs-rest macro for
    several classes) or ``regression`` (R², may be negative); ``real`` is the same model trained on
    the real fit rows. Both scored on the holdout. ``gap = real - synthetic``."""

    target: str
    task: str
    real: float
    synthetic: float

    @property
    def gap(self) -> float:
        return self.real - self.synthetic


def _features(df: pd.DataFrame, target: str, cats: dict[str, list[str]]) -> pd.DataFrame:
    X = df.drop(columns=[target]).copy()
    for c in X.columns:
        s = X[c]
        if c in cats:
            X[c] = pd.Categorical(s.astype(str).where(s.notna(), None),
                                  categories=cats[c]).codes.astype(float)
            X.loc[s.isna().to_numpy(), c] = np.nan
        elif is_datetime(s):
            X[c] = datetime_to_ns(s)
        else:
            X[c] = pd.to_numeric(s, errors="coerce").astype(float)
    return X


def utility(fit_part: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, target: str,
            *, seed: int = 0, max_rows: int = MAX_ROWS) -> UtilityScore | None:
    """TSTR vs TRTR with a gradient-boosting model; None when the holdout cannot score it (a
    constant target, too few rows).

    The models train on one OpenMP thread: the pipeline runs steps side by side (and other work
    shares the machine), and scikit-learn's gradient boosting on busy cores spends its time
    spinning: 31 s instead of 1.6 s for 30,000 rows on this 2-core machine under load."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _utility(fit_part, holdout, synthetic, target, seed=seed, max_rows=max_rows)


def _utility(fit_part: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, target: str,
             *, seed: int, max_rows: int) -> UtilityScore | None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import r2_score, roc_auc_score

    cols = [c for c in fit_part.columns if c in synthetic.columns and c in holdout.columns]
    if target not in cols or len(holdout) < 10:
        return None
    rng = np.random.default_rng(seed)

    def cap(df: pd.DataFrame) -> pd.DataFrame:
        df = df[cols]
        df = df[df[target].notna()]
        return df if len(df) <= max_rows else df.iloc[np.sort(rng.choice(len(df), max_rows,
                                                                          replace=False))]

    real, hold, syn = cap(fit_part), cap(holdout), cap(synthetic)
    y = real[target]
    numeric = (pdt.is_numeric_dtype(y.dtype) and not pdt.is_bool_dtype(y.dtype)
               and y.nunique() > 20)
    cats = {c: sorted(set(real[c].dropna().astype(str)) | set(syn[c].dropna().astype(str))
                      | set(hold[c].dropna().astype(str)))
            for c in cols if c != target and not is_numeric(real[c])}
    Xr, Xh, Xs = (_features(d, target, cats) for d in (real, hold, syn))
    if numeric:
        def fit_score(X: pd.DataFrame, yy: pd.Series) -> float:
            m = HistGradientBoostingRegressor(random_state=seed % 2**32).fit(X, yy.astype(float))
            return float(r2_score(hold[target].astype(float), m.predict(Xh)))
        return UtilityScore(target, "regression", fit_score(Xr, y), fit_score(Xs, syn[target]))
    labels = sorted(set(y.astype(str)))
    yh = hold[target].astype(str)
    if len(labels) < 2 or yh.nunique() < 2:
        return None

    def fit_score_cls(X: pd.DataFrame, yy: pd.Series) -> float:
        yy = yy.astype(str)
        if yy.nunique() < 2:
            return 0.5
        m = HistGradientBoostingClassifier(random_state=seed % 2**32).fit(X, yy)
        proba = m.predict_proba(Xh)
        classes = list(m.classes_)
        if len(labels) == 2:
            pos = labels[1] if labels[1] in classes else None
            if pos is None:
                return 0.5
            return float(roc_auc_score(yh == pos, proba[:, classes.index(pos)]))
        present = [c for c in classes if (yh == c).any() and (yh != c).any()]
        return float(np.mean([roc_auc_score(yh == c, proba[:, classes.index(c)]) for c in present]))

    return UtilityScore(target, "classification", fit_score_cls(Xr, y),
                        fit_score_cls(Xs, syn[target]))


def class_fidelity(reference: pd.DataFrame, synthetic: pd.DataFrame,
                   classes: dict[str, tuple[np.ndarray, np.ndarray]], columns: list[str], *,
                   min_rows: int = 2, seed: int = 0) -> tuple[FidelityScore, dict[str, float]]:
    """Fidelity of a rebalanced table: :func:`fidelity` of ``columns`` within each class
    (``classes``: label -> (reference row mask, synthetic row mask)), averaged over the classes
    with at least ``min_rows`` rows on both sides, each class weighing the same (the point of
    rebalancing is that the classes' mix changes, not their conditionals). Returns the averaged
    score and the accuracy per class."""
    scores: dict[str, FidelityScore] = {}
    for label, (ref_mask, syn_mask) in classes.items():
        if ref_mask.sum() >= min_rows and syn_mask.sum() >= min_rows:
            scores[label] = fidelity(reference[ref_mask], synthetic[syn_mask], columns, seed=seed)
    if not scores:  # every class too small: the other columns over the whole table
        whole = fidelity(reference, synthetic, columns, seed=seed)
        return whole, {"all_rows": round(whole.accuracy, 4)}
    vals = list(scores.values())
    per_col = {c: float(np.mean([s.per_column.get(c, np.nan) for s in vals]))
               for c in vals[0].per_column}
    mean = lambda attr: float(np.mean([getattr(s, attr) for s in vals]))  # noqa: E731
    return (FidelityScore(accuracy=mean("accuracy"), univariate=mean("univariate"),
                          bivariate=mean("bivariate"), trivariate=mean("trivariate"),
                          per_column=per_col, columns=vals[0].columns),
            {k: round(v.accuracy, 4) for k, v in scores.items()})
