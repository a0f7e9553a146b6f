"""Per-column marginal codecs shared by the generators.

Each codec maps a column to uniform scores in (0, 1) and back, restoring the column's dtype. Nulls are
handled by the caller. Privacy is part of the codec, not bolted on, whatever the PII plan said about
the column (detection misses columns; this code must not rely on it):

* continuous values are drawn by interpolating a quantile grid spanning the protected range (the
  ``PROTECT_K``-th smallest to the ``PROTECT_K``-th largest value): never copied from a row, and the
  range ends are points of a continuous draw, not point masses (clipping a full-range grid made 2k/n
  of the draws equal to two real values);
* a level (category, string, few-valued number or date) seen fewer than ``rare_k`` times is *rare*:
  the codec does not even store it. Its mass goes to the frequent levels, or, when rare values make
  up most of the column (identifiers, names nobody flagged, free text), to fresh shape-alike values
  from :class:`~tabletwin.synth.generators.tail.TailModel`;
* numbers stored as text and ``Decimal`` values are modelled as numbers and written back in their
  own form (text, ``Decimal`` of the same scale), not as categories that would be copied;
* a numeric or datetime column with fewer than ``2 * PROTECT_K + 2`` values has no protected range:
  it is withheld (all null in the synthetic table).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import GeneratorError, InputError
from tabletwin.frames import datetime_to_ns
from tabletwin.synth.generators.tail import RareValueSet, TailModel
from tabletwin.protection import MIN_TRAINING_ROWS, PROTECT_K, RARE_K, TAIL_MIN_SHARE

#: Numeric columns with at most this many distinct values are modelled as discrete (exact levels).
DISCRETE_MAX_LEVELS = 30
#: Largest size of the stored quantile grid of a continuous column.
GRID_SIZE = 1001
#: Smallest grid, and the rows each grid step should span at least.
MIN_GRID_SIZE = 51
ROWS_PER_GRID_STEP = 25
#: A few-valued numeric/datetime column is modelled by its levels only when the rare levels hold at
#: most this share of its values; otherwise by its protected grid (so rare values are not lost).
DISCRETE_RARE_MAX = 0.05
#: A text column is numbers stored as text when at least this share of its values parse.
TEXT_NUMBER_MIN_SHARE = 0.9


def check_enough_rows(n: int, table: str) -> None:
    """Refuse to learn from fewer than :data:`MIN_TRAINING_ROWS` rows (an empty table included)."""
    if n == 0:
        raise InputError("cannot fit a generator on an empty table", table=table)
    if n < MIN_TRAINING_ROWS:
        raise InputError(f"only {n} row{'s' if n != 1 else ''} to learn from; at least "
                         f"{MIN_TRAINING_ROWS} are needed to "
                         "synthesise a table without copying its rows (values seen fewer than "
                         f"{RARE_K} times are never emitted)", table=table)


def _decimals(values: np.ndarray, limit: int = 6) -> int:
    """Smallest number of decimals (<= limit) that represents every sampled value exactly."""
    sample = values[: 5000]
    for d in range(limit + 1):
        if np.allclose(np.round(sample, d), sample, rtol=0, atol=10 ** -(limit + 3)):
            return d
    return limit


@dataclass
class Codec:
    """Base: ``kind`` names the strategy; ``dtype`` is the source dtype (restored on output)."""

    column: str
    dtype: str

    kind = "base"

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass
class ContinuousCodec(Codec):
    """Numeric or datetime values drawn by interpolating a protected quantile grid.

    ``number_format``: ``"text"`` (numbers stored as text) or ``"decimal"`` (``Decimal`` objects):
    modelled as floats, written back in that form with ``decimals`` places."""

    grid: np.ndarray = None  # type: ignore[assignment]
    decimals: int | None = None  # None: keep floats as they come (datetimes use 0)
    is_int: bool = False
    datetime_unit: str | None = None  # "ns" etc. when the column is a datetime
    tz: str | None = None
    date_only: bool = False
    number_format: str | None = None
    text_width: int | None = None  # numbers stored as text with a fixed width (ZIP codes): padded

    kind = "continuous"

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        x = _as_float(s, self)
        ranks = pd.Series(x).rank(method="average").to_numpy()
        return (ranks - 0.5) / len(x)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        probs = np.linspace(0.0, 1.0, len(self.grid))
        x = np.interp(u, probs, self.grid)
        if self.is_int or self.datetime_unit:
            x = np.round(x)
        elif self.decimals is not None:
            x = np.round(x, self.decimals)
        return x


@dataclass
class LevelsCodec(Codec):
    """Discrete levels (categories, booleans, few-valued numerics) with their frequencies.

    ``levels`` holds the *frequent* levels only (seen at least ``rare_k`` times), ordered (ascending
    value for ordinal data, descending frequency for nominal data); level i owns the interval
    [cum[i-1], cum[i]) of the unit line. Rare levels are not stored: ``rare`` holds keyed digests
    to recognise them, ``rare_share`` their share of the values. With a ``tail`` model the interval
    [cum[-1], 1) draws fresh shape-alike values; without one the frequent levels share it.
    """

    levels: np.ndarray = None  # type: ignore[assignment]
    cum: np.ndarray = None  # type: ignore[assignment]
    ordinal: bool = False
    counts: np.ndarray = None  # type: ignore[assignment]  # training rows per level
    rare_share: float = 0.0
    rare: RareValueSet | None = field(default=None, repr=False)
    tail: TailModel | None = field(default=None, repr=False)

    kind = "levels"

    def is_rare(self, values: list[Any]) -> np.ndarray:
        """True for values seen in fitting fewer than ``rare_k`` times (compared case-folded)."""
        if self.rare is None:
            return np.zeros(len(values), dtype=bool)
        return self.rare.contains(values)

    def to_uniform(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        idx = pd.Index(self.levels).get_indexer(s)
        known = idx >= 0
        lo = np.concatenate([[0.0], self.cum[:-1]])
        top = float(self.cum[-1]) if len(self.cum) else 0.0
        u = np.empty(len(idx))
        i = idx[known]
        u[known] = lo[i] + (self.cum[i] - lo[i]) * rng.uniform(0.001, 0.999, size=len(i))
        # rare values: the tail's interval, or (folded into the frequent levels) anywhere
        k = int((~known).sum())
        u[~known] = (top + (1.0 - top) * rng.uniform(0.001, 0.999, size=k) if self.tail is not None
                     else rng.uniform(0.001, 0.999, size=k))
        return u

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        out = np.empty(len(u), dtype=object)
        top = float(self.cum[-1]) if len(self.cum) else 0.0
        in_tail = (u >= top) if self.tail is not None else np.zeros(len(u), dtype=bool)
        if len(self.levels):
            idx = np.searchsorted(self.cum, u[~in_tail], side="right")
            out[~in_tail] = self.levels[np.minimum(idx, len(self.levels) - 1)]
        if in_tail.any():
            out[in_tail] = self.tail.sample(int(in_tail.sum()),
                                            rng if rng is not None else np.random.default_rng(0))
        return out


@dataclass
class NullCodec(Codec):
    """A column with no values to learn (none at all, or too few to draw privately): all null."""

    kind = "null"
    withheld: bool = False  # True: values existed but too few to model without copying


def _as_float(s: pd.Series, codec: ContinuousCodec) -> np.ndarray:
    if codec.datetime_unit:
        return datetime_to_ns(s)
    if codec.number_format and not pdt.is_numeric_dtype(s.dtype):
        # given values as stored (text, Decimal): the fitting path passes floats already
        return pd.to_numeric(pd.Series(np.asarray(s, dtype=object)).astype(str).str.strip(),
                             errors="coerce").to_numpy(dtype=float)
    return pd.to_numeric(s).to_numpy(dtype=float)


def model_values(s: pd.Series) -> tuple[pd.Series, str | None]:
    """The values a generator models for a column, and their number format.

    Numbers stored as text (at least ``TEXT_NUMBER_MIN_SHARE`` of the values parse) and ``Decimal``
    values become floats (``"text"`` / ``"decimal"``); a text cell that is no number becomes
    missing (modelled with the nulls; written back as null). Anything else is returned as is."""
    if s.dtype != object:
        return s, None
    vals = s.dropna()
    if len(vals) == 0:
        return s, None
    kinds = vals.map(type).value_counts()
    if len(kinds) == 1 and kinds.index[0] is decimal.Decimal:
        return pd.to_numeric(s.map(lambda v: None if v is None else float(v))), "decimal"
    if not all(k is str for k in kinds.index):
        return s, None
    parsed = pd.to_numeric(vals.str.strip(), errors="coerce")
    if parsed.notna().mean() < TEXT_NUMBER_MIN_SHARE or not np.isfinite(parsed.dropna()).all():
        return s, None
    out = pd.to_numeric(s.where(s.notna(), None).astype(object).map(
        lambda v: v.strip() if isinstance(v, str) else v), errors="coerce")
    return out, "text"


def _text_decimals(values: pd.Series) -> int:
    tail = values.astype(str).str.extract(r"\.(\d+)\s*$")[0].dropna()
    return int(tail.str.len().max()) if len(tail) else 0


def _decimal_scale(values: pd.Series) -> int:
    exps = [v.as_tuple().exponent for v in values if isinstance(v, decimal.Decimal)]
    return max([0] + [-e for e in exps if isinstance(e, int)])


def fit_column_codec(original: pd.Series, column: str, *, rare_k: int, rng: np.random.Generator,
                     table: str) -> tuple[Codec, pd.Series, np.ndarray]:
    """One column of a generator's fit table: its codec, the values it models
    (:func:`model_values`) and their null mask. A column the codecs cannot model is a
    :class:`GeneratorError` naming the table and the column."""
    s, number_format = model_values(original)
    mask = s.isna().to_numpy()
    try:
        codec = fit_codec(s[~mask], column, rare_k=rare_k, number_format=number_format,
                          original=original[~mask], rng=rng)
    except GeneratorError as exc:
        raise GeneratorError(str(exc).split(": ", 1)[-1], table=table, column=column) from None
    return codec, s, mask


def fit_codec(s: pd.Series, column: str, *, rare_k: int = RARE_K,
              number_format: str | None = None, original: pd.Series | None = None,
              rng: np.random.Generator | None = None) -> Codec:
    """Choose and fit the codec of one column (nulls already removed from ``s``).

    ``number_format``/``original``: from :func:`model_values` (``s`` then holds the floats,
    ``original`` the column as stored, which sets the output dtype and the decimals)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    dtype = str(original.dtype) if original is not None else str(s.dtype)
    if len(s) == 0:
        return NullCodec(column=column, dtype=dtype)
    if pdt.is_bool_dtype(s.dtype):
        return _fit_levels(s, column, dtype, ordinal=False, rare_k=rare_k, rng=rng)
    if pdt.is_datetime64_any_dtype(s.dtype):
        tz = str(s.dt.tz) if getattr(s.dt, "tz", None) is not None else None
        unit = np.datetime_data(s.dt.tz_localize(None).dtype if tz else s.dtype)[0]
        naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if tz else s
        date_only = bool((naive.dt.normalize() == naive).all())
        if _few_frequent_levels(s, rare_k):
            return _fit_levels(s, column, dtype, ordinal=True, rare_k=rare_k, rng=rng)
        codec = ContinuousCodec(column=column, dtype=dtype, datetime_unit=unit, tz=tz,
                                date_only=date_only)
        x = _as_float(s, codec)
        if len(x) < 2 * PROTECT_K + 2:
            return NullCodec(column=column, dtype=dtype, withheld=True)
        codec.grid = _grid(x)
        return codec
    if pdt.is_numeric_dtype(s.dtype):
        x = pd.to_numeric(s).to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise GeneratorError("numeric column holds infinite values", column=column)
        if number_format is None and _few_frequent_levels(s, rare_k):
            return _fit_levels(s, column, dtype, ordinal=True, rare_k=rare_k, rng=rng)
        if len(x) < 2 * PROTECT_K + 2:
            return NullCodec(column=column, dtype=dtype, withheld=True)
        stored = original.dropna() if number_format else None
        # the places the stored form shows (text, Decimal scale); None for plain numbers
        shown = (_text_decimals(stored) if number_format == "text" else
                 _decimal_scale(stored) if number_format == "decimal" else None)
        is_int = pdt.is_integer_dtype(s.dtype) or (
            shown == 0 and bool(np.all(x == np.round(x))))
        decimals = shown if number_format else (None if is_int else _decimals(x))
        width = None
        if number_format == "text" and is_int:
            text = stored.astype(str).str.strip()
            if text.str.len().nunique() == 1 and text.str.fullmatch(r"\d+").all():
                width = int(text.str.len().iloc[0])
        return ContinuousCodec(column=column, dtype=dtype, grid=_grid(x), is_int=is_int,
                               decimals=decimals, number_format=number_format, text_width=width)
    if any(t.__hash__ is None for t in s.map(type).unique()):
        raise GeneratorError("column holds unhashable values (lists or mappings)", column=column)
    return _fit_levels(s, column, dtype, ordinal=False, rare_k=rare_k, rng=rng)


def _few_frequent_levels(s: pd.Series, rare_k: int) -> bool:
    """A numeric/datetime column is modelled by its levels when it has few distinct values and
    the rare ones hold at most ``DISCRETE_RARE_MAX`` of the rows (else by its protected grid)."""
    if s.nunique() > DISCRETE_MAX_LEVELS:
        return False
    counts = s.value_counts()
    return float(counts[counts < rare_k].sum()) <= DISCRETE_RARE_MAX * len(s)


def _grid(x: np.ndarray) -> np.ndarray:
    """Quantiles spanning the protected range [k-th smallest, k-th largest]: the whole unit line
    maps inside it, so no value beyond it is drawn and neither end is drawn more often than any
    other point (a grid clipped at the ends would give them the tails' mass)."""
    xs = np.sort(x)
    n = len(xs)
    k = min(PROTECT_K, max(0, (n - 1) // 2))
    pk = k / (n - 1) if n > 1 else 0.0
    # every grid interval spans about ROWS_PER_GRID_STEP rows, so drawn values follow the shape of
    # the distribution, not the positions of individual rows (small tables get a coarser grid)
    size = int(np.clip(n // ROWS_PER_GRID_STEP, MIN_GRID_SIZE, GRID_SIZE))
    return np.quantile(xs, np.linspace(pk, 1.0 - pk, size))


def _fit_levels(s: pd.Series, column: str, dtype: str, *, ordinal: bool, rare_k: int,
                rng: np.random.Generator) -> LevelsCodec:
    counts = s.value_counts(sort=True)
    if ordinal:
        counts = counts.sort_index()
    frequent = counts[counts >= rare_k]
    rare = counts[counts < rare_k]
    total = float(counts.sum())
    rare_share = float(rare.sum()) / total if total else 0.0
    rare_set = RareValueSet(list(rare.index)) if len(rare) else None
    tail = None
    if len(rare) and (rare_share >= TAIL_MIN_SHARE or len(frequent) == 0):
        tail = TailModel(rare_k).fit(s, rare_set, pd.Series(np.repeat(
            np.asarray(rare.index, dtype=object), rare.to_numpy())), rng)
    p = frequent.to_numpy(dtype=float)
    mass = (1.0 - rare_share) if tail is not None else 1.0
    cum = np.cumsum(p / p.sum()) * mass if len(p) else np.zeros(0)
    if len(cum) and tail is None:
        cum[-1] = 1.0
    levels = np.empty(len(frequent), dtype=object)
    levels[:] = list(frequent.index)
    return LevelsCodec(column=column, dtype=dtype, levels=levels, cum=cum, ordinal=ordinal,
                       counts=frequent.to_numpy(dtype=float), rare_share=rare_share,
                       rare=rare_set, tail=tail)


def restore(values: np.ndarray, null_mask: np.ndarray, codec: Codec) -> pd.Series:
    """Turn sampled raw values (+ null mask) back into a Series of the source dtype."""
    n = len(null_mask)
    if isinstance(codec, NullCodec):
        return _all_null(n, codec.dtype)
    if isinstance(codec, ContinuousCodec) and codec.datetime_unit:
        ns = values.astype("int64")
        out = pd.Series(pd.to_datetime(ns, unit="ns"))
        if codec.date_only:
            out = out.dt.normalize()
        if codec.tz:
            out = out.dt.tz_localize("UTC").dt.tz_convert(codec.tz)
        out = out.astype(codec.dtype)
        out[null_mask] = pd.NaT
        return out
    if isinstance(codec, ContinuousCodec) and codec.number_format:
        d = 0 if codec.is_int else (codec.decimals or 0)
        text = [f"{x:.{d}f}" for x in np.asarray(values, dtype=float)]
        if codec.text_width:
            text = [t.zfill(codec.text_width) for t in text]
        vals = (np.array(text, dtype=object) if codec.number_format == "text"
                else np.array([decimal.Decimal(t) for t in text], dtype=object))
        out = pd.Series(vals, dtype=object)
        out[null_mask] = None
        return out
    out = pd.Series(values, dtype=object)
    out[null_mask] = None
    return _cast(out, codec.dtype, null_mask.any())


def _all_null(n: int, dtype: str) -> pd.Series:
    try:
        return pd.Series([None] * n, dtype=_nullable(dtype))
    except (TypeError, ValueError):
        return pd.Series([None] * n, dtype=object)


def _nullable(dtype: str) -> Any:
    d = pd.api.types.pandas_dtype(dtype)
    if pdt.is_bool_dtype(d):
        return "boolean"
    if pdt.is_integer_dtype(d) and not isinstance(d, pd.api.extensions.ExtensionDtype):
        return str(d).replace("uint", "UInt").replace("int", "Int")
    return d


def _cast(out: pd.Series, dtype: str, has_nulls: bool) -> pd.Series:
    target = _nullable(dtype) if has_nulls else pd.api.types.pandas_dtype(dtype)
    try:
        return out.astype(target)
    except (TypeError, ValueError):
        return out.infer_objects()
