"""Gaussian copula with empirical marginals.

Every column is mapped to a normal score through its marginal codec (ranks for continuous values,
jittered intervals for discrete levels); a correlation matrix of the scores captures dependence.
Missing values get their own latent dimension per nullable column, so null rates and null patterns
(which columns are missing together, and with what) are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from tabletwin.errors import GeneratorError
from tabletwin.synth.generators.base import Generator, TableMeta, register
from tabletwin.synth.generators.marginals import (RARE_K, Codec, check_enough_rows,
                                            fit_column_codec, restore)


def _normal_scores(u: np.ndarray) -> np.ndarray:
    return ndtri(np.clip(u, 1e-6, 1 - 1e-6))


def _nearest_correlation(c: np.ndarray, shrink: float) -> np.ndarray:
    c = (1 - shrink) * c + shrink * np.eye(len(c))
    w, v = np.linalg.eigh(c)
    c = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


@register
class GaussianCopula(Generator):
    """Gaussian copula over empirical marginals.

    Parameters
    ----------
    shrinkage: weight in [0, 1) pulling the correlation matrix toward identity (stability).
    chunk_rows: rows sampled per chunk (bounds memory when sampling millions of rows).
    rare_k: values seen fewer than ``rare_k`` times are never emitted (see ``marginals``).
    """

    name = "gaussian_copula"

    def __init__(self, shrinkage: float = 0.01, chunk_rows: int = 100_000, rare_k: int = RARE_K):
        self.shrinkage = shrinkage
        self.chunk_rows = chunk_rows
        self.rare_k = rare_k

    def _fit(self, table: pd.DataFrame, meta: TableMeta, seed: int) -> None:
        if not 0 <= self.shrinkage < 1:
            raise GeneratorError("shrinkage must be in [0, 1)", table=meta.table)
        check_enough_rows(len(table), meta.table)
        rng = np.random.default_rng(seed)
        codecs: list[Codec] = []
        null_rates: list[float] = []
        scores: list[np.ndarray] = []
        null_dims: list[int] = []
        n = len(table)
        if self.rare_k < 1:
            raise GeneratorError("rare_k must be >= 1", table=meta.table)
        for col in table.columns:
            codec, s, mask = fit_column_codec(table[col], col, rare_k=self.rare_k, rng=rng,
                                              table=meta.table)
            codecs.append(codec)
            rate = float(mask.mean())
            null_rates.append(rate)
            z = rng.standard_normal(n)  # nulls: independent noise in the value dimension
            if codec.kind != "null" and (~mask).any():
                z[~mask] = _normal_scores(codec.to_uniform(s[~mask], rng))
            scores.append(z)
            if 0.0 < rate < 1.0:
                u = np.where(mask, rng.uniform(0, rate, n), rng.uniform(rate, 1, n))
                scores.append(_normal_scores(u))
                null_dims.append(len(scores) - 1)
            else:
                null_dims.append(-1)
        z = np.column_stack(scores) if scores else np.zeros((n, 0))
        corr = (np.corrcoef(z, rowvar=False) if z.shape[1] > 1 and n > 2
                else np.eye(z.shape[1]))
        corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
        np.fill_diagonal(corr, 1.0)
        self.columns_ = list(table.columns)
        self.codecs_ = codecs
        self.null_rates_ = null_rates
        self.null_dims_ = null_dims
        self.corr_ = _nearest_correlation(corr, self.shrinkage) if len(corr) else corr
        self.chol_ = np.linalg.cholesky(self.corr_) if len(corr) else corr

    def _sample_chunk(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        d = self.chol_.shape[0]
        u = ndtr(rng.standard_normal((n, d)) @ self.chol_.T)
        out: dict[str, pd.Series] = {}
        dim = 0
        for col, codec, rate, ndim in zip(self.columns_, self.codecs_, self.null_rates_,
                                          self.null_dims_):
            vdim = dim
            dim += 1 if ndim < 0 else 2
            if rate >= 1.0 or codec.kind == "null":
                null_mask = np.ones(n, dtype=bool)
            elif ndim >= 0:
                null_mask = u[:, ndim] < rate
            else:
                null_mask = np.zeros(n, dtype=bool)
            values = (codec.from_uniform(u[:, vdim], rng) if codec.kind != "null"
                      else np.empty(n, dtype=object))
            out[col] = restore(values, null_mask, codec)
        return pd.DataFrame(out)

    def _sample(self, n: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        if n == 0:
            return self._sample_chunk(0, rng)
        chunks = [self._sample_chunk(min(self.chunk_rows, n - start), rng)
                  for start in range(0, n, self.chunk_rows)]
        return pd.concat(chunks, ignore_index=True)
