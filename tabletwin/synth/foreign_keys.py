"""Foreign keys of synthetic child rows, drawn from the synthetic parents' keys with the source's
children-per-parent distribution. Used by :mod:`tabletwin.chain.synthesis` (one foreign key) and
:class:`tabletwin.synth.relation.RelationStep` (its other foreign keys), so it lives apart from both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import InputError


def assign_foreign_keys(child_fk: pd.Series, parent_keys: pd.Series, n: int,
                        rng: np.random.Generator) -> pd.Series:
    """Draw n foreign-key values from the synthetic parents' keys.

    Children per referenced parent follow the source distribution; the share of null references is
    kept. Parents are drawn at random, so parents with no children appear as in the source when the
    parent table keeps its size.
    """
    null_rate = float(child_fk.isna().mean()) if len(child_fk) else 0.0
    counts = child_fk.dropna().value_counts().to_numpy()
    return draw_foreign_keys(counts, null_rate, parent_keys, n, rng, column=str(child_fk.name))


def draw_foreign_keys(counts: np.ndarray, null_rate: float, parent_keys: pd.Series, n: int,
                      rng: np.random.Generator, *, column: str | None = None) -> pd.Series:
    """:func:`assign_foreign_keys` from the source's children per referenced parent (``counts``,
    parents without children left out) and its share of null references."""
    out = np.empty(n, dtype=object)
    null_mask = rng.random(n) < null_rate
    need = int((~null_mask).sum())
    parents = parent_keys.dropna().to_numpy()
    if need and (len(counts) == 0 or len(parents) == 0):
        raise InputError("foreign key has no parent rows to point at", column=column)
    values = []
    if need:
        draws = rng.choice(counts, size=max(1, int(need / counts.mean() * 1.2) + 1))
        while draws.sum() < need:
            draws = np.concatenate([draws, rng.choice(counts, size=len(draws))])
        k = int(np.searchsorted(np.cumsum(draws), need) + 1)
        draws = draws[:k]
        chosen = rng.choice(parents, size=k, replace=k > len(parents))
        values = np.repeat(chosen, draws)[:need]
        rng.shuffle(values)
    out[~null_mask] = values
    result = pd.Series(out)
    result[null_mask] = None
    if pdt.is_integer_dtype(parent_keys.dtype):
        return result.astype("Int64" if null_mask.any() else parent_keys.dtype)
    return result
