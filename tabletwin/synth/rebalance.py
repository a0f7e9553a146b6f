"""Rebalancing: synthetic tables with a chosen mix of a categorical column.

``rebalance(table, "is_fraud", {True: 0.5}, n, seed)`` fits a :class:`SequentialTree` with the column
first in its order and samples ``n`` rows conditioned on a column of values that has exactly the
requested shares (counts by rounding); the values not named keep their relative proportions from the
fitted model's marginal (which never holds a rare category), nulls included. Every other column is
drawn given the rebalanced one, so its conditional distribution follows the source's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import ConfigError, GeneratorError
from tabletwin.synth.generators.base import TableMeta
from tabletwin.synth.generators.marginals import LevelsCodec, _cast
from tabletwin.synth.generators.sequential import SequentialTree

#: Tolerance on the sum of the named shares (it may reach 1).
_SUM_TOL = 1e-9


def _is_categorical(dtype: Any) -> bool:
    return (pdt.is_bool_dtype(dtype) or pdt.is_object_dtype(dtype) or pdt.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def _check_column(dtype: Any, column: str, table: str) -> None:
    if not _is_categorical(dtype):
        raise GeneratorError(
            f"cannot rebalance a column of dtype {dtype}: only categorical or boolean columns "
            "can be rebalanced (cast a numeric code to str or bool first)", table=table,
            column=column)


def _match(key: Any, levels: list[Any]) -> int | None:
    """Index of the level equal to ``key``; else the one whose str() is str(key) (then ignoring
    case); None when there is no single match."""
    for i, lev in enumerate(levels):
        try:
            if type(lev) is type(key) and lev == key:
                return i
        except (TypeError, ValueError):
            pass
    for i, lev in enumerate(levels):  # e.g. True vs np.True_, 1 vs 1.0
        try:
            if bool(lev == key) and str(lev) == str(key):
                return i
        except (TypeError, ValueError):
            pass
    for norm in (str, lambda v: str(v).casefold()):
        hits = [i for i, lev in enumerate(levels) if norm(lev) == norm(key)]
        if len(hits) == 1:
            return hits[0]
    return None


def _emitted_marginal(gen: SequentialTree, column: str) -> tuple[list[Any], np.ndarray, float,
                                                                 list[Any]]:
    """Levels the model can emit with their probabilities (summing to 1 - null rate), the null
    rate, and every level the codec stores (the frequent ones: rare levels are never stored)."""
    model = gen.models_[gen.columns_.index(column)]
    codec = model.codec
    assert isinstance(codec, LevelsCodec)
    p_all = np.diff(np.concatenate([[0.0], codec.cum]))
    p = np.zeros(len(codec.levels))
    p[model.kept] = p_all[model.kept]
    if model.other:
        rest = np.setdiff1d(np.arange(len(codec.levels)), model.kept)
        pool_p = np.diff(np.concatenate([[0.0], model.pool_cum]))
        np.add.at(p, model.pool_levels, pool_p * p_all[rest].sum())
    p = p / p.sum() * (1.0 - model.null_rate)
    emit = np.flatnonzero(p > 0)
    return list(codec.levels[emit]), p[emit], model.null_rate, list(codec.levels)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``weights``."""
    if total <= 0 or len(weights) == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = weights / weights.sum() * total
    counts = np.floor(raw).astype(np.int64)
    short = total - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def rebalanced_conditions(generator: SequentialTree, column: str, shares: dict[Any, float], n: int,
                          seed: int = 0, *, table: str = "table") -> pd.DataFrame:
    """A one-column frame of ``n`` values of ``column`` (in random order) where each named value
    has its share of the rows exactly (counts rounded); the other rows keep the other values'
    relative proportions (nulls included) from ``generator``'s fitted marginal.

    ``shares`` keys are matched to the column's values by equality, else by their str() (so
    ``{"True": 0.5}`` from a command line matches a boolean ``True``)."""
    generator._check_fitted()
    if column not in generator.columns_:
        raise GeneratorError("column to rebalance is not in the table", table=table, column=column)
    model = generator.models_[generator.columns_.index(column)]
    _check_column(pd.api.types.pandas_dtype(model.codec.dtype), column, table)
    if not isinstance(model.codec, LevelsCodec):
        raise GeneratorError("cannot rebalance a column without values", table=table, column=column)
    if n < 0:
        raise GeneratorError("cannot sample a negative number of rows", table=table)
    if not shares:
        raise GeneratorError("no target shares given", table=table, column=column)
    levels, p, null_rate, all_levels = _emitted_marginal(generator, column)
    named: dict[int, float] = {}  # index into levels -> share
    for key, share in shares.items():
        share = float(share)
        if not 0.0 < share < 1.0:
            raise GeneratorError(f"target share {share} must lie strictly between 0 and 1",
                                 table=table, column=column)
        i = _match(key, all_levels)
        if i is None and model.codec.is_rare([key]).any():
            raise GeneratorError(
                f"a value to rebalance occurs fewer than rare_k={generator.rare_k} times; it is "
                "never generated (privacy), so it cannot be rebalanced", table=table, column=column)
        if i is None:  # the key is not shown: it is a data value, and errors never carry one
            raise GeneratorError("a value to rebalance does not occur in the column",
                                 table=table, column=column)
        j = _match(all_levels[i], levels)
        if j is None or not _same(levels[j], all_levels[i]):
            raise GeneratorError(
                f"a value to rebalance occurs fewer than rare_k={generator.rare_k} times; it is "
                "never generated (privacy), so it cannot be rebalanced", table=table, column=column)
        if j in named:
            raise GeneratorError("two target shares name the same value", table=table,
                                 column=column)
        named[j] = share
    total_share = sum(named.values())
    if total_share > 1.0 + _SUM_TOL:
        raise GeneratorError(f"target shares sum to {total_share:.4f} > 1", table=table,
                             column=column)
    named_counts = {j: int(round(s * n)) for j, s in named.items()}
    if sum(named_counts.values()) > n:  # rounding up on shares summing to 1: trim the largest
        big = max(named_counts, key=lambda j: named_counts[j])
        named_counts[big] -= sum(named_counts.values()) - n
    rest_n = n - sum(named_counts.values())
    others = [j for j in range(len(levels)) if j not in named]
    weights = np.append(p[others], null_rate)  # last: null
    if rest_n > 0 and weights.sum() <= 0:
        raise GeneratorError("the named shares sum to less than 1 but the column has no other "
                             "values to fill the rest", table=table, column=column)
    rest_counts = _largest_remainder(weights, rest_n)
    values: list[Any] = []
    for j, c in named_counts.items():
        values += [levels[j]] * c
    for j, c in zip(others, rest_counts[:-1]):
        values += [levels[j]] * int(c)
    values += [None] * int(rest_counts[-1])
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    arr = arr[np.random.default_rng(seed).permutation(len(arr))]
    s = pd.Series(arr, dtype=object)
    mask = s.isna().to_numpy()
    return pd.DataFrame({column: _cast(s, model.codec.dtype, bool(mask.any()))})


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and str(a) == str(b)
    except (TypeError, ValueError):
        return a is b


def rebalance(table: pd.DataFrame, column: str, shares: dict[Any, float], n: int, seed: int = 0,
              params: dict[str, Any] | None = None, *, table_name: str = "table") -> pd.DataFrame:
    """Fit ``SequentialTree(first=(column,), **params)`` on ``table`` and sample ``n`` rows whose
    ``column`` has the target ``shares`` (see :func:`rebalanced_conditions`); the other columns are
    drawn given it, so their distributions given ``column`` follow the source's."""
    if column not in table.columns:
        raise GeneratorError("column to rebalance is not in the table", table=table_name,
                             column=column)
    _check_column(table[column].dtype, column, table_name)
    params = dict(params or {})
    if "first" in params:
        raise GeneratorError("params must not set 'first': rebalance puts the column first",
                             table=table_name)
    gen = SequentialTree(first=(column,), **params)
    gen.fit(table, TableMeta(table=table_name), seed=seed)
    conditions = rebalanced_conditions(gen, column, shares, n, seed, table=table_name)
    return gen.sample(seed=seed, conditions=conditions)


def parse_rebalance(spec: str) -> tuple[str, dict[str, float]]:
    """``"is_fraud=True:0.5"`` -> ``("is_fraud", {"True": 0.5})``; several values are separated by
    commas (``"segment=a:0.3,b:0.2"``); a share may be written as a percentage (``"50%"``). Values
    stay strings: :func:`rebalance` matches them to the column's values by their str()."""
    column, sep, rest = spec.partition("=")
    column = column.strip()
    if not sep or not column or not rest.strip():
        raise ConfigError("rebalance spec is not COLUMN=VALUE:SHARE[,VALUE:SHARE...]",
                          field="rebalance")
    shares: dict[str, float] = {}
    for part in rest.split(","):
        value, sep, share_txt = part.rpartition(":")
        value, share_txt = value.strip(), share_txt.strip()
        if not sep or not share_txt:
            raise ConfigError("rebalance spec: a part is not VALUE:SHARE",
                              field="rebalance")
        try:
            share = (float(share_txt[:-1]) / 100 if share_txt.endswith("%")
                     else float(share_txt))
        except ValueError:
            raise ConfigError("rebalance spec: a share is not a number",
                              field="rebalance") from None
        if not 0.0 < share < 1.0:
            raise ConfigError(f"rebalance spec: share {share} must lie strictly between 0 and 1",
                              field="rebalance")
        if value in shares:
            raise ConfigError("rebalance spec names a value twice", field="rebalance")
        shares[value] = share
    if sum(shares.values()) > 1.0 + _SUM_TOL:
        raise ConfigError("rebalance spec: shares sum to more than 1", field="rebalance")
    return column, shares


def class_masks(values: pd.Series, shares: dict[Any, float]) -> dict[str, np.ndarray]:
    """Row masks of each named value of a rebalanced column (keys matched as in
    :func:`rebalanced_conditions`, labelled by ``str(key)``) and of every other row (``"rest"``,
    nulls included). A named value that does not occur gets an all-False mask."""
    levels = list(pd.unique(values.dropna()))
    named = np.zeros(len(values), dtype=bool)
    out: dict[str, np.ndarray] = {}
    arr = values.to_numpy(dtype=object)
    for key in shares:
        i = _match(key, levels)
        mask = np.zeros(len(values), dtype=bool)
        if i is not None:
            mask = values.notna().to_numpy() & np.array([_same(v, levels[i]) for v in arr])
        out[str(key)] = mask
        named |= mask
    out["rest"] = ~named
    return out
