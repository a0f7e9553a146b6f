"""The generator contract and registry (scikit-learn style, as in SDV/RDT).

``__init__`` stores parameters only; ``fit(table, meta, seed=)`` learns and returns self; learned
state ends in ``_``; ``sample(n, seed, conditions=None)`` returns a DataFrame with the fitted columns and
dtypes; ``save``/``load`` persist a fitted generator.

As in SDV's ``BaseSynthesizer``, the public ``fit``/``sample`` are defined once here and wrap each
model's private ``_fit``/``_sample``, so every generator checks its input, counts rows and takes
``conditions`` the same way. A model that conditions natively overrides ``_sample_conditioned``;
the others get rejection sampling from this class (:func:`sample_by_rejection`), which fails with an
error naming the columns when the model does not produce the wanted values often enough.
"""

from __future__ import annotations

import inspect
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np
import pandas as pd

from tabletwin.errors import ConfigError, GeneratorError


@dataclass(frozen=True)
class TableMeta:
    """What a generator may need beyond the frame: the table name (for errors) and hints.

    ``fixed``: columns ``sample(conditions=...)`` will fix (a relation step's parent context);
    a model that conditions natively prepares for them when fitting (the sequential tree puts
    them first in its column order)."""

    table: str = "table"
    free_text: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()


class Generator:
    """Base class of every generator: public ``fit``/``sample``, private ``_fit``/``_sample``."""

    name: ClassVar[str] = "base"

    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    # ---- fitting -------------------------------------------------------------------------------
    def fit(self, table: pd.DataFrame, meta: TableMeta | None = None, *,
            seed: int = 0) -> "Generator":
        """Learn from ``table`` and return self (learned state ends in ``_``)."""
        self._fit(table, meta or TableMeta(), seed)
        self.columns_ = list(table.columns)
        return self

    def _fit(self, table: pd.DataFrame, meta: TableMeta, seed: int) -> None:
        raise NotImplementedError

    # ---- sampling ------------------------------------------------------------------------------
    def sample(self, n: int | None = None, seed: int = 0,
               conditions: pd.DataFrame | None = None, *,
               parents: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """``n`` synthetic rows. With ``conditions`` (one row per wanted row; ``n`` is then its
        length or None) its columns are fixed: every row has the given values (nulls allowed) and
        the other columns are drawn given them. ``parents`` (foreign key -> the parent's synthetic
        table) is what a child table's relation step draws its rows from; a generator without one
        ignores it."""
        self._check_fitted()
        if conditions is not None:
            conditions = self._check_conditions(conditions, n)
            n = len(conditions)
        if n is None:
            raise GeneratorError("sample() needs n (or conditions)")
        if n < 0:
            raise GeneratorError("cannot sample a negative number of rows")
        return self._draw(n, seed, conditions, parents)

    def _draw(self, n: int, seed: int, conditions: pd.DataFrame | None,
              parents: Mapping[str, pd.DataFrame] | None) -> pd.DataFrame:
        """A model's draw (a composed generator overrides this to run its steps)."""
        if conditions is None or len(conditions.columns) == 0:
            return self._sample(n, seed)
        return self._sample_conditioned(conditions, seed)

    def _sample(self, n: int, seed: int) -> pd.DataFrame:
        raise NotImplementedError

    def _sample_conditioned(self, conditions: pd.DataFrame, seed: int) -> pd.DataFrame:
        """Rows with the ``conditions``' values; by rejection unless the model overrides this."""
        return sample_by_rejection(self._sample, conditions, seed)

    def _check_conditions(self, conditions: pd.DataFrame, n: int | None) -> pd.DataFrame:
        if not isinstance(conditions, pd.DataFrame):
            raise GeneratorError("conditions must be a DataFrame (one row per wanted row)")
        if n is not None and n != len(conditions):
            raise GeneratorError(f"n={n} differs from the {len(conditions)} rows of conditions")
        if len(set(conditions.columns)) != len(conditions.columns):
            raise GeneratorError("conditions name a column twice")
        for col in conditions.columns:
            if col not in self.columns_:
                raise GeneratorError("conditions name a column the generator was not fitted on",
                                     column=str(col))
        return conditions.reset_index(drop=True)

    # ---- what people and callers see -----------------------------------------------------------
    def describe(self) -> str:
        """The generator's name as shown to people (``auto`` adds what it chose)."""
        return self.name

    def choice(self) -> dict[str, Any]:
        """Why this model: ``reason`` and ``trial_scores`` (``auto`` tells its trial; a generator
        named in the catalog was configured)."""
        return {"reason": "configured", "trial_scores": {}}

    def leads_with(self, columns: list[str]) -> bool:
        """Whether the fitted model generates ``columns`` first, so ``sample(conditions=...)``
        on them draws every other column given them, natively (what a rebalanced mix and a
        seeded scenario need; other conditions fall back to rejection sampling)."""
        return False

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise GeneratorError(f"{type(self).__name__} is not fitted; call fit() first")

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def load(path: str | Path) -> "Generator":
        obj = pickle.loads(Path(path).read_bytes())
        if not isinstance(obj, Generator):
            raise GeneratorError(f"{path} does not hold a tabletwin generator")
        return obj


#: Batches drawn by rejection sampling before it gives up, and the smallest batch.
REJECTION_TRIES = 20
_REJECTION_MIN_BATCH = 1_000


def _key(v: Any) -> Any:
    if v is None or (not isinstance(v, (str, bytes)) and pd.isna(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return f"bool:{bool(v)}"
    if isinstance(v, (int, float, np.number)):
        return float(v)
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
    return str(v)


def _row_keys(frame: pd.DataFrame, cols: list[str]) -> pd.Index:
    """One key per row over ``cols``, comparable across dtypes (an int column and float
    conditions, object and string columns); nulls match nulls; True is not 1."""
    per_col = [[_key(v) for v in frame[c].to_numpy(dtype=object)] for c in cols]
    return pd.Index(list(zip(*per_col)) if per_col else [()] * len(frame), dtype=object,
                    tupleize_cols=False)


def sample_by_rejection(draw: Any, conditions: pd.DataFrame, seed: int, *,
                        tries: int = REJECTION_TRIES) -> pd.DataFrame:
    """Rows of ``draw(n, seed)`` whose ``conditions`` columns equal each condition row's values
    (nulls match nulls), in the conditions' order: batches are drawn (seeds from ``seed``) until
    every condition row has a match, at most ``tries`` batches. A value the model never produces
    (a rare value it must not emit, an exact number of a continuous column) raises GeneratorError
    naming the columns, never a value."""
    cols = list(conditions.columns)
    codes, labels = _row_keys(conditions, cols).factorize()
    need: dict[int, list[int]] = {}
    for row, g in enumerate(codes):
        need.setdefault(int(g), []).append(row)
    picked: list[pd.DataFrame] = []
    target = np.empty(len(conditions), dtype=np.int64)
    seeds = np.random.default_rng(seed).integers(2**31 - 1, size=tries)
    taken = 0
    for k in range(tries):
        left = sum(len(r) for r in need.values())
        if left == 0:
            break
        batch = draw(max(_REJECTION_MIN_BATCH, 10 * left), int(seeds[k]))
        code = labels.get_indexer(_row_keys(batch, cols))
        keep: list[int] = []
        for g in list(need):
            rows = need[g]
            hits = np.flatnonzero(code == g)[: len(rows)]
            for r, h in zip(rows, hits):
                target[r] = taken + len(keep)
                keep.append(int(h))
            need[g] = rows[len(hits):]
            if not need[g]:
                del need[g]
        picked.append(batch.iloc[keep])
        taken += len(keep)
    if need:
        raise GeneratorError(
            f"the model did not produce the fixed values of {', '.join(map(str, cols))} often "
            f"enough ({tries} batches drawn): a value it never emits (a rare value, an exact "
            "number of a continuous column) cannot be fixed by rejection")
    out = pd.concat(picked, ignore_index=True) if picked else draw(0, seed)
    return out.iloc[target].reset_index(drop=True)


REGISTRY: dict[str, type[Generator]] = {}


def register(cls: type[Generator]) -> type[Generator]:
    """Class decorator: make a generator selectable by ``cls.name`` in the catalog."""
    REGISTRY[cls.name] = cls
    return cls


def make_generator(name: str, params: dict[str, Any] | None = None, *,
                   table: str | None = None) -> Generator:
    """Instantiate a registered generator; unknown names or parameters raise ConfigError."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown generator {name!r} (known: {', '.join(sorted(REGISTRY))})",
                          table=table, field="generator.name")
    cls = REGISTRY[name]
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"bad parameters for generator {name!r}: {exc}", table=table,
                          field="generator.params") from None
