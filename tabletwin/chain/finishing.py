"""Finishing each synthetic chunk in the main process, in chunk order: primary keys from the one
fresh draw, regenerated PII cells that leak a source value (anywhere in the source) or repeat an
earlier chunk's identifier drawn again, leaks, kept values, constraint violations and rare copies
counted over every row; and the Parquet schema every chunk is written with."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from tabletwin.chain.source_index import key_values
from tabletwin.chain.workers import ChunkContext
from tabletwin.errors import GeneratorError, InputError
from tabletwin.metrics.rare_values import RareValueCounter
from tabletwin.pii import fill_pii_columns
from tabletwin.pii.fakes import normalize_many
from tabletwin.pii.leakage import LeakIndex, member
from tabletwin.seeds import stable_seed

__all__ = ["Finisher", "output_schema", "to_arrow"]

#: Rounds of redrawing fresh values that collide with the source or an earlier chunk.
_MAX_REDRAWS = 8


class _SeenValues:
    """Hashes of the values written so far in a column that must stay unique across chunks."""

    def __init__(self) -> None:
        self.sorted = np.empty(0, dtype=np.uint64)
        self.recent: list[np.ndarray] = []

    @staticmethod
    def hashes(values: pd.Series) -> np.ndarray:
        return pd.util.hash_pandas_object(values, index=False).to_numpy()

    def repeated(self, values: pd.Series) -> np.ndarray:
        """Mask of cells repeating an earlier chunk's value or an earlier cell of this chunk."""
        present = values.notna().to_numpy()
        out = np.zeros(len(values), dtype=bool)
        h = self.hashes(values[present])
        bad = pd.Series(h).duplicated().to_numpy()
        for part in (self.sorted, *self.recent):
            bad |= member(h, part)
        out[np.flatnonzero(present)] = bad
        return out

    def add(self, values: pd.Series) -> None:
        self.recent.append(np.sort(self.hashes(values.dropna())))
        if sum(len(r) for r in self.recent) > max(len(self.sorted) // 4, 1_000_000):
            self.sorted = np.sort(np.concatenate([self.sorted, *self.recent]))
            self.recent = []


@dataclass
class Finisher:
    """Per-chunk work in the main process, in chunk order (see the module docstring, step 3)."""

    context: ChunkContext
    index: LeakIndex
    replaced: list[str]
    forbidden: dict[str, set[str]]
    unique: list[str]
    keys: pd.Series | None
    source_keys: dict[str, np.ndarray]
    leaks: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)  # PII columns the catalog keeps
    violations: dict[str, int] = field(default_factory=dict)
    seen: dict[str, _SeenValues] = field(default_factory=dict)
    offset: int = 0
    rare: RareValueCounter | None = None  # rare training values copied, over every row

    def __post_init__(self) -> None:
        self.leaks = {c: 0 for c in self.index.columns}
        self.kept = {c: 0 for c in self.index.kept_columns}
        self.leaks.update({k: 0 for k in self.source_keys})
        self.seen = {c: _SeenValues() for c in self.unique}

    def _redraw(self, chunk: pd.DataFrame, rows: np.ndarray, columns: list[str], seed: int
                ) -> pd.DataFrame:
        """The chunk with fresh values in ``columns`` for ``rows``: never one of the chunk's
        other values nor a value of the sample (as in :func:`synthesize`)."""
        plan, table = self.context.plan, self.context.table
        sub = chunk.iloc[rows]
        forbidden = {c: self.forbidden.get(c, set()) | set(normalize_many(chunk[c].dropna()))
                     for c in columns}
        fresh = fill_pii_columns(sub, plan, columns=columns, seed=seed, forbidden=forbidden,
                                 locale=table.locale)
        out = chunk.copy()
        for c in columns:
            values = out[c].astype(object)
            values.iloc[rows] = fresh[c].astype(object).to_numpy()
            try:
                out[c] = values.astype(chunk[c].dtype)
            except (TypeError, ValueError):
                out[c] = values
        return out

    def _settle(self, chunk: pd.DataFrame, seed: int) -> pd.DataFrame:
        """Redraw, in rounds, the rows whose regenerated cells leak a source value (equal or
        embed a value anywhere in the source, not only in the sample) or repeat an identifier
        token of an earlier chunk or row. Afterwards every regenerated cell has passed the leak
        check (:meth:`LeakIndex.leaking`, which covers every rule of :meth:`LeakIndex.leaks`)."""
        entities = {d.column: d.entity for d in self.context.plan.columns}
        for attempt in range(_MAX_REDRAWS + 1):
            bad = np.zeros(len(chunk), dtype=bool)
            culprit = None
            for c in self.replaced:
                hit = self.index.leaking(chunk[c], entities.get(c))
                if c in self.seen:
                    hit |= self.seen[c].repeated(chunk[c])
                if hit.any():
                    culprit = culprit or c
                    bad |= hit
            if not bad.any():
                break
            if attempt == _MAX_REDRAWS:
                raise GeneratorError("could not draw fresh values that avoid the source values "
                                     "and repeat no identifier", table=self.context.table.name,
                                     column=culprit)
            chunk = self._redraw(chunk, np.flatnonzero(bad), self.replaced,
                                 stable_seed(seed, "redraw", attempt))
        for c in self.unique:
            self.seen[c].add(chunk[c])
        return chunk

    def finish(self, i: int, chunk: pd.DataFrame) -> pd.DataFrame:
        table, seed = self.context.table, self.context.chunk_seed(i)
        n = len(chunk)
        if self.keys is not None and table.primary_key:
            pk = table.primary_key
            chunk[pk] = self.keys.iloc[self.offset:self.offset + n].to_numpy()
            want = self.context.masked[pk].dtype
            if str(chunk[pk].dtype) != str(want):
                try:
                    chunk[pk] = chunk[pk].astype(want)
                except (TypeError, ValueError):
                    pass
        self.offset += n
        if self.replaced:
            chunk = self._settle(chunk, seed)
        # the regenerated columns were just checked cell by cell and leak nothing: count the rest
        rest = [c for c in chunk.columns if c not in self.replaced]
        found = self.index.scan(chunk[rest])
        for column, count in found.leaks.items():
            self.leaks[column] += count
        for column, count in found.kept.items():
            self.kept[column] += count
        for k, values in self.source_keys.items():  # keys: same column only (as evaluate does)
            self.leaks[k] += int(member(key_values(chunk[k]), values).sum())
        if table.constraints:
            from tabletwin.synth.constraints import violations

            for label, count in violations(chunk, table.constraints).items():
                self.violations[label] = self.violations.get(label, 0) + count
        if self.rare is not None:
            self.rare.add(chunk)
        return chunk




def output_schema(masked: pd.DataFrame, source: pa.Schema, table: str) -> pa.Schema:
    """The Parquet schema of every chunk: the masked sample's (so its pandas dtypes come back),
    with columns that are null throughout the sample typed as in the source file."""
    try:
        schema = pa.Schema.from_pandas(masked, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        for c in masked.columns:  # name the column
            try:
                pa.Schema.from_pandas(masked[[c]], preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                raise InputError("column values do not fit one Parquet type", table=table,
                                 column=str(c)) from None
        raise
    for i, f in enumerate(schema):
        if pa.types.is_null(f.type):
            typ = source.field(f.name).type if f.name in source.names else pa.string()
            schema = schema.set(i, pa.field(f.name, typ))
        elif pa.types.is_decimal(f.type) and f.name in source.names \
                and pa.types.is_decimal(source.field(f.name).type):
            # the source's precision and scale, not the narrowest type the sample's values fit
            schema = schema.set(i, pa.field(f.name, source.field(f.name).type))
    return schema


def to_arrow(chunk: pd.DataFrame, schema: pa.Schema, table: str) -> pa.Table:
    try:
        return pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        for f in schema:  # name the column that does not fit
            try:
                pa.Table.from_pandas(chunk[[f.name]], schema=pa.schema([f]),
                                     preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                raise GeneratorError("synthetic values do not fit the column's type",
                                     table=table, column=f.name) from None
        raise
