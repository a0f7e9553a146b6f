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
    numeric = (pdt.is_numeric_dtype(ref.dtype) and not pdt.is_bool_dtype(ref.dtype)) or \
        pdt.is_datetime64_any_dtype(ref.dtype)
    if numeric and non_null.nunique() > BINS:
        def as_float(s: pd.Series) -> np.ndarray:
            if pdt.is_datetime64_any_dtype(s.dtype):
                if getattr(s.dt, "tz", None) is not None:
                    s = s.dt.tz_convert("UTC").dt.tz_localize(None)
                return s.astype("datetime64[ns]").astype("int64").to_numpy(dtype=float)
            return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)

        edges = np.unique(np.quantile(as_float(non_null), np.linspace(0, 1, BINS + 1))[1:-1])

        def code(s: pd.Series) -> np.ndarray:
            x = as_float(s)
            c = np.searchsorted(edges, x, side="right")
            return np.where(np.isnan(x), len(edges) + 1, c)

        return code
    top = list(non_null.astype(str).value_counts().index[:BINS])
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
