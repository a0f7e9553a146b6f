"""One table source, whether the table fits in memory or is streamed.

Every stage reads a source table through :class:`TableSource`: a bounded seeded :meth:`~TableSource.sample`
for PII detection, masking, the profile and the fit (every row of a table that fits in memory), and
:meth:`~TableSource.chunks` for synthesis and scans of every row. Whether a table is streamed is
decided once, when it is read from the warehouse (:func:`tabletwin.chain.stages.load_source`: more
rows than the table's ``stream_above``), and then travels with it as :attr:`TableSource.streamed`.

Where the rows are stored is not decided here: the pipeline's IO manager gives a path to
:meth:`TableSource.store`, which writes the rows there (a Parquet file, atomically) and returns the
:class:`ParquetSource` that the later stages read. A streamed table is written chunk by chunk from the
warehouse and never held whole in memory; its samples are kept in small Parquet files beside it
(``<file>.sample-<rows>-<seed>.parquet``), so every stage reads the same rows.
"""

from __future__ import annotations

import dataclasses
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tabletwin.chain.parquet_read import read_parquet_sample
from tabletwin.config.schema_change import TableSchema
from tabletwin.errors import InputError

__all__ = ["FrameSource", "ParquetSource", "StreamedRows", "TableSource", "fit_sample",
           "sample_rows", "write_snapshot"]

#: Source rows read at a time from a stored file.
BATCH_ROWS = 250_000


class TableSource(ABC):
    """A source table, read by every stage the same way (module docstring)."""

    #: Whether the table is streamed: never held whole in memory, sampled for detection and fit.
    streamed: bool
    #: The warehouse table's columns, declared types and keys when it was read (None: not read
    #: from a warehouse); what the schema-change check and the refit decision compare.
    schema: TableSchema | None = None

    @property
    @abstractmethod
    def num_rows(self) -> int: ...

    @property
    @abstractmethod
    def columns(self) -> tuple[str, ...]: ...

    @abstractmethod
    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        """A uniform sample of ``rows`` rows, the same for the same seed; every row of a table that
        fits in memory (its own sample: what the in-memory chain always fitted on)."""

    @abstractmethod
    def chunks(self, columns: Sequence[str] | None = None,
               batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        """Every row, in order, ``batch_rows`` at a time (only ``columns`` when given)."""

    @abstractmethod
    def store(self, path: str | Path) -> "ParquetSource":
        """Write every row to the Parquet file ``path`` (atomically) and return the source that
        reads it back."""

    def column(self, name: str) -> pd.Series:
        """One column of every row (keys: a few bytes per row)."""
        parts = [c[name] for c in self.chunks([name])]
        return pd.concat(parts, ignore_index=True) if parts else pd.Series(dtype=object)

    def __len__(self) -> int:
        return self.num_rows


class FrameSource(TableSource):
    """A table held in memory (read whole from the warehouse: at most ``stream_above`` rows)."""

    streamed = False

    def __init__(self, frame: pd.DataFrame, schema: TableSchema | None = None):
        self.frame, self.schema = frame, schema

    @property
    def num_rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.frame.columns)

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        return self.frame

    def chunks(self, columns: Sequence[str] | None = None,
               batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        frame = self.frame if columns is None else self.frame[list(columns)]
        for start in range(0, len(frame), batch_rows):
            yield frame.iloc[start:start + batch_rows]

    def store(self, path: str | Path) -> "ParquetSource":
        table = pa.Table.from_pandas(self.frame, preserve_index=False)
        _write_atomic(Path(path), [table])
        return ParquetSource(str(path), streamed=False, schema=self.schema)


class StreamedRows(TableSource):
    """A table too large for memory, not stored yet: its rows come chunk by chunk from
    ``read_chunks`` (a warehouse cursor) each time they are asked for; :meth:`store` writes them
    once to a snapshot, which the later stages sample and scan."""

    streamed = True

    def __init__(self, read_chunks: Callable[[], Iterable[pd.DataFrame]], num_rows: int,
                 columns: Sequence[str], *, table: str, schema: TableSchema | None = None):
        self._read, self._rows, self._columns, self.table = (read_chunks, num_rows,
                                                             tuple(columns), table)
        self.schema = schema

    @property
    def num_rows(self) -> int:
        return self._rows

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        raise InputError("a streamed source is sampled from its stored snapshot; store it first",
                         table=self.table)

    def chunks(self, columns: Sequence[str] | None = None,
               batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        for chunk in self._read():
            yield chunk if columns is None else chunk[list(columns)]

    def store(self, path: str | Path) -> "ParquetSource":
        return dataclasses.replace(write_snapshot(self._read(), path, table=self.table),
                                   schema=self.schema)


@dataclass(frozen=True)
class ParquetSource(TableSource):
    """A stored source: one Parquet file, read lazily (a small handle to pass between steps)."""

    path: str
    streamed: bool = True
    schema: TableSchema | None = None

    @property
    def num_rows(self) -> int:
        return pq.ParquetFile(self.path).metadata.num_rows

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(pq.read_schema(self.path).names)

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        """A streamed table: the seeded sample, read in one pass the first time and kept in a small
        Parquet file beside the snapshot (the same rows and dtypes in every stage). A table that
        fits in memory: every row."""
        if not self.streamed:
            return pd.read_parquet(self.path)
        rows = min(rows, self.num_rows)
        kept = Path(f"{self.path}.sample-{rows}-{seed}.parquet")
        if not kept.is_file():
            partial = kept.with_name(f".{kept.name}.partial")
            read_parquet_sample(self.path, rows, seed=seed).to_parquet(partial, index=False)
            os.replace(partial, kept)
        return pd.read_parquet(kept)

    def chunks(self, columns: Sequence[str] | None = None,
               batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
        pf = pq.ParquetFile(self.path)
        for batch in pf.iter_batches(batch_size=batch_rows, use_pandas_metadata=True,
                                     columns=None if columns is None else list(columns)):
            yield batch.to_pandas()

    def column(self, name: str) -> pd.Series:
        return pq.read_table(self.path, columns=[name]).column(0).to_pandas()

    def store(self, path: str | Path) -> "ParquetSource":
        if Path(path) == Path(self.path):
            return self
        tables = (pa.Table.from_batches([b]) for b in pq.ParquetFile(self.path).iter_batches())
        _write_atomic(Path(path), tables)
        return ParquetSource(str(path), streamed=self.streamed, schema=self.schema)


def write_snapshot(chunks: Iterable[pd.DataFrame], path: str | Path, *,
                   table: str) -> ParquetSource:
    """Write DataFrame chunks into one Parquet file, a streamed table's snapshot (atomically: a
    partial file never stays). Every chunk must fit the first chunk's column types."""
    schema: pa.Schema | None = None

    def tables() -> Iterator[pa.Table]:
        nonlocal schema
        for chunk in chunks:
            if schema is None:
                schema = pa.Schema.from_pandas(chunk, preserve_index=False)
            try:
                yield pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                bad = next((c for c in chunk.columns if _misfit(chunk, c, schema)), None)
                raise InputError("a chunk of the source has values of another type than the "
                                 "first chunk", table=table, column=bad) from None

    if _write_atomic(Path(path), tables()) == 0:
        raise InputError("source table is empty; nothing to synthesize", table=table)
    return ParquetSource(str(path), streamed=True)


def _write_atomic(out: Path, tables: Iterable[pa.Table]) -> int:
    """Write Arrow tables (one schema) into the Parquet file ``out``: into a hidden partial file
    renamed over ``out`` once complete, so a failed write leaves the previous file. Returns the
    rows written (0: nothing written, ``out`` unchanged). Stale samples of ``out`` go with it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            writer.write_table(table)
            rows += table.num_rows
        if writer is None:
            return 0
        writer.close()
        writer = None
        for stale in out.parent.glob(f"{out.name}.sample-*.parquet"):  # samples of an old file
            stale.unlink()
        partial.replace(out)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return rows


def _misfit(chunk: pd.DataFrame, column: str, schema: pa.Schema) -> bool:
    try:
        pa.Table.from_pandas(chunk[[column]], schema=pa.schema([schema.field(column)]),
                             preserve_index=False)
        return False
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True


def sample_rows(max_fit_rows: int, holdout_share: float) -> int:
    """Rows sampled from a streamed table: enough for ``max_fit_rows`` after the holdout split."""
    return int(max_fit_rows / max(1e-9, 1.0 - holdout_share)) + 1


def fit_sample(source: TableSource, table, seed: int) -> pd.DataFrame:
    """The rows detection, masking, the profile and the fit read: the seeded sample of a streamed
    table (the generator's ``max_fit_rows`` plus the holdout share), every row of another; the
    same rows in every stage for one seed."""
    return source.sample(sample_rows(table.generator.max_fit_rows, table.checks.holdout_share),
                         seed)
