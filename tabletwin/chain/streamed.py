"""Synthesize a file of any size with bounded memory: the CLI's ``synth``.

Small inputs (and CSV files) take the in-memory chain of :func:`tabletwin.chain.memory.synth_frame`.
A Parquet file with more rows than :attr:`StreamOptions.threshold` is never loaded whole:

1. A uniform sample of ``sample_rows`` rows (default: the generator's ``max_fit_rows``) is read batch
   by batch; it has the dtypes a full read would give. PII detection, masking, the profile and the
   fit use the sample only.
2. A second pass reads only the PII columns (and catalog keys) of every row, batch by batch, into a
   :class:`~tabletwin.pii.leakage.LeakIndex`: hashes of the normalized source values, a few bytes
   per distinct value. With workers it runs on a process of its own while this one fits.
3. Synthetic rows are made in chunks of ``chunk_rows``, each by :func:`~tabletwin.chain.synthesis.synthesize`
   (the same sampling and PII regeneration as in memory) with its own seed, on ``workers`` processes.
   The main process finishes each chunk in order and appends it to the output Parquet file: primary
   keys come from one :func:`~tabletwin.chain.synthesis.fresh_keys` draw for all rows, fresh PII cells
   that equal a value anywhere in the source (not only in the sample) are drawn again, identifier
   tokens that repeat an earlier chunk's are drawn again, and leaks are counted on every chunk.
4. The quality gate runs :func:`~tabletwin.quality.gate.evaluate` on the first ``eval_rows`` synthetic
   rows against the sample; the row count, the PII leak count (every row against every source
   row) and constraint violations (every row) replace its figures.

Worker processes are forked from a small server process (multiprocessing's ``forkserver``) that has
imported this module, not from this one. The output is the same for any number of workers: each
chunk depends only on its index and the seed.
Nothing here prints or logs a data value.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import pickle
import time
from collections import deque
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api import types as pdt

from tabletwin.config.catalog import TableConfig
from tabletwin.errors import GeneratorError, InputError
from tabletwin.synth.generators import Generator, make_generator
from tabletwin.limits import check_rows
from tabletwin.pii import detect_pii, fill_pii_columns, mask_table
from tabletwin.pii.normalize import normalize_many
from tabletwin.pii.leakage import LeakIndex, hash_strings, member
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.quality.profile import TableProfile, profile_table
from tabletwin.quality.gate import QualityReport, evaluate
from tabletwin.metrics.rare_values import RareCopies, RareValueCounter
from tabletwin.seeds import stable_seed
from tabletwin.chain.synthesis import fit_generator, forbidden_values, fresh_keys, synthesize
from tabletwin.config.roles import REGENERATED, split_source

__all__ = ["FileSynthResult", "StreamOptions", "StreamedSynthesis", "read_parquet_sample",
           "synth_file", "synthesize_file"]

PARQUET_SUFFIXES = (".parquet", ".pq")
#: Rounds of redrawing fresh values that collide with the source or an earlier chunk.
_MAX_REDRAWS = 8


@dataclass(frozen=True)
class StreamOptions:
    """How :func:`synth_file` bounds its memory.

    threshold: Parquet inputs with more rows than this are streamed; smaller ones (and CSV) are
        synthesized in memory.
    sample_rows: rows read for detection, masking, profile and fit (None: the generator's
        ``max_fit_rows``).
    chunk_rows: synthetic rows made, checked and written at a time.
    eval_rows: synthetic rows the quality gate's expectations and fidelity are computed on.
    workers: processes making chunks (None: one per core; 0: all in this process). They start
        with multiprocessing's ``forkserver`` method, so a script calling :func:`synth_file`
        with workers must guard its entry point with ``if __name__ == "__main__":``.
    batch_rows: source rows read at a time.
    """

    threshold: int = 500_000
    sample_rows: int | None = None
    chunk_rows: int = 100_000
    eval_rows: int = 100_000
    workers: int | None = None
    batch_rows: int = 250_000

    def __post_init__(self) -> None:
        for name in ("threshold", "chunk_rows", "eval_rows", "batch_rows"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be positive")
        if self.sample_rows is not None and self.sample_rows < 1:
            raise InputError("sample_rows must be positive")
        if self.workers is not None and self.workers < 0:
            raise InputError("workers must be >= 0")


@dataclass
class FileSynthResult:
    """What :func:`synth_file` wrote. ``synthetic`` is only kept by the in-memory path;
    ``checked_rows`` / ``sample_rows`` say which rows the sampled checks used (None: all)."""

    output: Path
    rows: int
    columns: list[str]
    plan: PiiPlan
    profile: TableProfile
    generator: Generator
    report: QualityReport
    streamed: bool
    source_rows: int
    sample_rows: int | None = None
    checked_rows: int | None = None
    synthetic: pd.DataFrame | None = None
    workers: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds (streamed only)
    written: bool = False  # False: a blocking check failed and ``force`` was not given
    failed_checks: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failed_checks


# --------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------


def _parquet(path: Path) -> pq.ParquetFile:
    from tabletwin.files import check_parquet_schema

    if path.is_dir():
        raise InputError(f"{path} is a directory; give a .parquet or .csv file")
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow errors: report the kind, not the content
        raise InputError(f"cannot read {path.name}: {type(exc).__name__}") from None
    check_parquet_schema(pf.schema_arrow, file=path.name)
    return pf


def _has_nulls(pf: pq.ParquetFile, column: str) -> bool:
    """Whether a column holds a null anywhere (row-group statistics; a scan where they lack)."""
    names = pf.schema_arrow.names
    leaf = [pf.metadata.schema.column(i).path for i in range(pf.metadata.num_columns)]
    if column in leaf:
        j = leaf.index(column)
        stats = [pf.metadata.row_group(g).column(j).statistics
                 for g in range(pf.metadata.num_row_groups)]
        if all(s is not None and s.has_null_count for s in stats):
            return any(s.null_count > 0 for s in stats)
    if column not in names:
        return False
    return any(b.column(0).null_count for b in pf.iter_batches(columns=[column]))


def _categories(pf: pq.ParquetFile, column: str, batch_rows: int) -> pd.Index:
    """The categories a full read gives a dictionary column (dictionaries unified in order)."""
    seen: list[pd.Index] = []
    for batch in pf.iter_batches(batch_size=batch_rows, columns=[column]):
        arr = batch.column(0)
        dictionary = arr.dictionary if pa.types.is_dictionary(arr.type) else arr.unique()
        seen.append(pd.Index(dictionary.to_pandas()))
    out = seen[0] if seen else pd.Index([])
    for idx in seen[1:]:
        out = out.append(idx[~idx.isin(out)])
    return out


def _full_read_dtypes(pf: pq.ParquetFile, frame: pd.DataFrame, batch_rows: int) -> pd.DataFrame:
    """``frame`` (rows of ``pf``) cast to the dtypes ``pd.read_parquet`` gives the whole file:
    integer columns with a null anywhere become float64, such boolean columns object, categoricals
    get every category of the file."""
    schema = pf.schema_arrow
    out = frame
    for column in frame.columns:
        if column not in schema.names:
            continue
        typ = schema.field(column).type
        dtype = frame[column].dtype
        if pa.types.is_dictionary(typ) and isinstance(dtype, pd.CategoricalDtype):
            cats = _categories(pf, column, batch_rows)
            if not cats.equals(dtype.categories):
                out = out if out is not frame else frame.copy()
                out[column] = frame[column].cat.set_categories(cats)
        elif isinstance(dtype, np.dtype) and (
                (pa.types.is_integer(typ) and dtype.kind in "iu")
                or (pa.types.is_boolean(typ) and dtype.kind == "b")):
            if _has_nulls(pf, column):
                out = out if out is not frame else frame.copy()
                out[column] = frame[column].astype(np.float64 if dtype.kind in "iu" else object)
    return out


def read_parquet_sample(path: str | Path, rows: int, *, seed: int = 0,
                        batch_rows: int = 250_000) -> pd.DataFrame:
    """A uniform random sample of ``rows`` rows of a Parquet file (all rows when it has fewer), in
    file order, read batch by batch, with the column dtypes ``pd.read_parquet`` gives the file."""
    p = Path(path)
    pf = _parquet(p)
    total = pf.metadata.num_rows
    if total == 0:
        raise InputError(f"{p.name} has no rows")
    rng = np.random.default_rng(stable_seed("sample", seed))
    take = np.sort(rng.choice(total, rows, replace=False)) if rows < total else np.arange(total)
    pieces: list[pa.RecordBatch] = []
    start = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_rows, use_pandas_metadata=True):
            lo, hi = np.searchsorted(take, [start, start + batch.num_rows])
            if hi > lo:
                pieces.append(batch.take(pa.array(take[lo:hi] - start)))
            start += batch.num_rows
        table = pa.Table.from_batches(pieces) if pieces else pf.schema_arrow.empty_table()
        table = table.replace_schema_metadata(pf.schema_arrow.metadata)
        frame = table.to_pandas().reset_index(drop=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {p.name}: {type(exc).__name__}") from None
    if len(frame.columns) == 0:
        raise InputError(f"{p.name} has no columns")
    return _full_read_dtypes(pf, frame, batch_rows)


def _iter_columns(pf: pq.ParquetFile, columns: Sequence[str],
                  batch_rows: int) -> Iterator[pd.DataFrame]:
    for batch in pf.iter_batches(batch_size=batch_rows, columns=list(columns)):
        yield batch.to_pandas()


# --------------------------------------------------------------------------------------------------
# chunks
# --------------------------------------------------------------------------------------------------


@dataclass
class _ChunkContext:
    """Everything a worker needs to make a chunk (pickled once per worker)."""

    generator: Generator
    plan: PiiPlan
    table: TableConfig
    source: pd.DataFrame  # the raw sample's columns synthesize reads (replaced PII, keys)
    masked: pd.DataFrame  # the masked sample (dtypes, null rates, foreign-key distribution)
    parent_keys: dict[str, pd.Series] | None
    seed: int

    def chunk_seed(self, index: int) -> int:
        return stable_seed(self.seed, "chunk", index)

    def make(self, index: int, n: int) -> pd.DataFrame:
        return synthesize(self.generator, self.plan, self.table, n=n, seed=self.chunk_seed(index),
                          source=self.source, masked=self.masked, parent_keys=self.parent_keys)


def _slim(frame: pd.DataFrame, keep: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the columns not in ``keep`` reduced to their first value repeated (dtype and
    length kept, almost no memory, small to pickle)."""
    if len(frame) == 0:
        return frame
    first = np.zeros(len(frame), dtype=np.intp)
    return pd.DataFrame({c: frame[c] if c in keep else frame[c].iloc[first].set_axis(frame.index)
                         for c in frame.columns})


_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes) -> None:
    from threadpoolctl import threadpool_limits

    _WORKER["context"] = pickle.loads(payload)
    _WORKER["limits"] = threadpool_limits(1)  # one process per core: no nested BLAS threads


def _make_chunk(index: int, n: int) -> pd.DataFrame:
    return _WORKER["context"].make(index, n)


class _Chunks:
    """Chunk ``i`` of ``n`` rows, in order: made here or on a pool of worker processes, with at
    most two chunks per worker in flight (bounded memory when writing is slower)."""

    def __init__(self, context: _ChunkContext, sizes: list[int], workers: int):
        self.context, self.sizes, self.workers = context, sizes, workers
        self.pool: ProcessPoolExecutor | None = None
        if workers > 0 and len(sizes) > 1:
            payload = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
            self.pool = ProcessPoolExecutor(workers, mp_context=_forkserver(),
                                            initializer=_init_worker,
                                            initargs=(payload,))

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self.pool is None:
            for i, n in enumerate(self.sizes):
                yield self.context.make(i, n)
            return
        pending: deque[Future[pd.DataFrame]] = deque()
        todo = iter(enumerate(self.sizes))
        for i, n in todo:
            pending.append(self.pool.submit(_make_chunk, i, n))
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            try:
                chunk = pending.popleft().result()
            except BrokenProcessPool:
                raise GeneratorError("a sampling worker process exited without a result (see "
                                     "its error above)", table=self.context.table.name) from None
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(self.pool.submit(_make_chunk, *nxt))
            yield chunk

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _forkserver() -> mp.context.ForkServerContext:
    """The context worker processes start from: a server process that imported this module once
    and forks each worker (so workers start fast and do not inherit this, larger, process)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["tabletwin.chain.streamed"])
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return ctx


def _index_source(path: str, decisions: list[ColumnDecision], key_columns: list[str],
                  batch_rows: int) -> tuple[LeakIndex, dict[str, np.ndarray]]:
    """Read the checked PII columns and the key columns of every row, batch by batch: the leak
    index and the sorted source key values (see :func:`_key_values`)."""
    pf = _parquet(Path(path))
    index = LeakIndex(decisions)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in key_columns}
    # kept non-PII columns are read for their legitimate values only when they hold text (the
    # leak index keeps none for numbers, dates and booleans: no need to read those)
    arrow = pf.schema_arrow
    text = {f.name for f in arrow if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
            or pa.types.is_dictionary(f.type)}
    legit = set(index.legit_columns) - set(index.columns) - set(index.kept_columns)
    wanted = list(dict.fromkeys([c for c in index.source_columns if c not in legit or c in text]
                                + key_columns))
    if wanted:
        for batch in _iter_columns(pf, wanted, batch_rows):
            index.add(batch)
            for c in key_columns:
                parts[c].append(np.unique(_key_values(batch[c])))
    index.compact()
    return index, {c: np.unique(np.concatenate(p)) if p else np.empty(0, dtype=np.int64)
                   for c, p in parts.items()}


def _index_to_pipe(conn: Any, *args: Any) -> None:
    try:
        conn.send((True, _index_source(*args)))
    except Exception as exc:  # a TabletwinError (or a bug) is raised again by the receiver
        conn.send((False, exc))
    finally:
        conn.close()


class _SourceIndexing:
    """:func:`_index_source` on a process of its own (``background``), else here on demand."""

    def __init__(self, path: str, decisions: list[ColumnDecision], key_columns: list[str],
                 batch_rows: int, *, background: bool):
        self.args = (path, decisions, key_columns, batch_rows)
        self.proc: Any = None
        if background:
            ctx = _forkserver()
            self.conn, send = ctx.Pipe(duplex=False)
            self.proc = ctx.Process(target=_index_to_pipe, args=(send, *self.args), daemon=True)
            self.proc.start()
            send.close()

    def result(self) -> tuple[LeakIndex, dict[str, np.ndarray]]:
        if self.proc is None:
            return _index_source(*self.args)
        try:
            ok, payload = self.conn.recv()
        except EOFError:
            raise InputError("the process reading the source PII columns exited without a "
                             "result (see its error above)") from None
        finally:
            self.close()
        if not ok:
            raise payload
        return payload

    def close(self) -> None:
        """Stop the process (when the run failed before it was needed)."""
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join()
            self.conn.close()
            self.proc = None


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
class _Finisher:
    """Per-chunk work in the main process, in chunk order (see the module docstring, step 3)."""

    context: _ChunkContext
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
            self.leaks[k] += int(member(_key_values(chunk[k]), values).sum())
        if table.constraints:
            from tabletwin.synth.constraints import violations

            for label, count in violations(chunk, table.constraints).items():
                self.violations[label] = self.violations.get(label, 0) + count
        if self.rare is not None:
            self.rare.add(chunk)
        return chunk


def _key_values(values: pd.Series) -> np.ndarray:
    """Key values comparable across frames: int64 for integer keys, hashes of the text else."""
    present = values.dropna()
    if pdt.is_integer_dtype(values.dtype) or (
            pdt.is_float_dtype(values.dtype) and bool((present == present.round()).all())):
        return present.to_numpy(dtype=np.int64)
    return hash_strings(present.astype(str).to_numpy(dtype=object))


def _output_schema(masked: pd.DataFrame, source: pa.Schema, table: str) -> pa.Schema:
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


def _to_arrow(chunk: pd.DataFrame, schema: pa.Schema, table: str) -> pa.Table:
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


# --------------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------------


def _in_memory(path: Path, output: Path, table: TableConfig, *, rows: int | None, seed: int,
               key: bytes, force: bool) -> FileSynthResult:
    from tabletwin.chain.memory import synth_frame
    from tabletwin.files import read_file, write_atomic

    df = read_file(path)
    res = synth_frame(df, table, rows=rows, seed=seed, key=key)
    written = res.passed or force
    if written:
        write_atomic(res.synthetic, output, like=path)
    return FileSynthResult(output=output, rows=len(res.synthetic),
                           columns=list(res.synthetic.columns), plan=res.plan,
                           profile=res.profile, generator=res.generator, report=res.report,
                           streamed=False, source_rows=len(df), synthetic=res.synthetic,
                           written=written, failed_checks=list(res.failed_checks))


def _write_failed(out: Path, exc: OSError) -> InputError:
    """The one-line error of a failed streamed write (the same as the in-memory path's)."""
    return InputError(f"cannot write output {out}: {exc.strerror or type(exc).__name__}; "
                      "the previous file is unchanged")


def synth_file(path: str | Path, output: str | Path, table: TableConfig, *, rows: int | None = None,
               seed: int = 0, key: bytes, options: StreamOptions | None = None,
               parent_keys: dict[str, pd.Series] | None = None,
               force: bool = False) -> FileSynthResult:
    """Detect and mask PII, fit, sample and score ``path`` into ``output`` (Parquet or CSV, by
    its extension; anything else, or the input path itself, is refused with an InputError).

    The quality gate decides the write: ``output`` is written (atomically: a temporary file in its
    directory, renamed once scored) only when no blocking check failed, or with ``force``;
    otherwise nothing appears there (``written`` is False). Streams large Parquet inputs (module
    docstring); otherwise runs the in-memory chain. ``rows``: synthetic rows (default:
    ``table.rows``, else as many as the input). ``parent_keys``: the synthetic parents' keys of
    each foreign key, as for :func:`synthesize`.
    """
    from tabletwin.files import check_output_path, temp_path

    opts = options or StreamOptions()
    src, out = Path(path), Path(output)
    fmt = check_output_path(out, src)
    if src.suffix.lower() not in PARQUET_SUFFIXES:
        return _in_memory(src, out, table, rows=rows, seed=seed, key=key, force=force)
    pf = _parquet(src)
    total = pf.metadata.num_rows
    if total <= opts.threshold:
        return _in_memory(src, out, table, rows=rows, seed=seed, key=key, force=force)

    make_generator(table.generator.name, table.generator.params, table=table.name)  # fail fast
    watch = _Stopwatch()
    lap = watch.lap

    s = stable_seed(table.name, seed)
    n = rows or table.rows or total
    check_rows(n, total, allow=table.allow_large_rows, table=table.name,
               what="--rows" if rows else "rows")
    workers = _chunk_plan(n, opts)[1]
    if workers:
        _forkserver()  # workers import their modules while this process reads and fits
    k = min(total, opts.sample_rows or table.generator.max_fit_rows)
    sample = read_parquet_sample(src, k, seed=s, batch_rows=opts.batch_rows)
    lap("read sample")
    plan = detect_pii(sample, table=table.name, overrides=table.overrides(),
                      key_columns=table.key_columns)
    keys = set(table.key_columns)
    # the source side of the leak check (every row), on another process while this one fits
    indexing = _SourceIndexing(str(src), [d for d in plan.columns if d.column not in keys],
                               [c for c in table.key_columns if c in sample.columns],
                               opts.batch_rows, background=workers > 0)
    # written beside the output, renamed there only once the gate passed
    unchecked = temp_path(out)
    try:
        try:
            masked = mask_table(sample, plan, key=key, seed=s, locale=table.locale)
            profile = profile_table(masked, plan)
            lap("detect+mask+profile")
            gen = fit_generator(masked, plan, table, seed=s)
            lap("fit")
            try:
                streamed = synthesize_file(src, unchecked, gen, plan, table, sample=sample,
                                           masked=masked, n=n, seed=s, options=opts,
                                           parent_keys=parent_keys, indexing=indexing,
                                           watch=watch, fmt=fmt)
            except OSError as exc:  # disk full, permissions: nothing renamed over the output
                raise _write_failed(out, exc) from None
        finally:
            indexing.close()
        report = evaluate(source=sample.iloc[:opts.eval_rows], masked=masked,
                          synthetic=streamed.head, plan=plan, profile=profile, table=table,
                          rows_expected=n, seed=s, generator=gen.describe(),
                          parent_keys=parent_keys)
        report = streamed.apply(report)
        lap("evaluate")
        written = report.passed or force
        if written:
            try:
                os.replace(unchecked, out)
            except OSError as exc:
                raise _write_failed(out, exc) from None
    finally:
        unchecked.unlink(missing_ok=True)
    return FileSynthResult(output=out, rows=streamed.rows, columns=list(masked.columns), plan=plan,
                           profile=profile, generator=gen, report=report, streamed=True,
                           source_rows=total, sample_rows=len(sample),
                           checked_rows=len(streamed.head), workers=streamed.workers,
                           timings=watch.timings, written=written,
                           failed_checks=list(report.failed_checks))


class _Stopwatch:
    """Seconds per stage: ``lap(stage)`` records the time since the previous lap."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 2)
        self._last = now


def _chunk_plan(n: int, opts: StreamOptions) -> tuple[list[int], int]:
    """Rows per chunk for ``n`` synthetic rows, and the worker processes making them (none for a
    single chunk)."""
    sizes = [min(opts.chunk_rows, n - start) for start in range(0, n, opts.chunk_rows)]
    workers = (os.cpu_count() or 1) if opts.workers is None else opts.workers
    return sizes, (min(workers, len(sizes)) if len(sizes) > 1 else 0)


@dataclass
class StreamedSynthesis:
    """What :func:`synthesize_file` wrote: ``rows`` synthetic rows in ``output``; ``head`` (the first
    ``eval_rows`` of them) for the sampled checks; leak counts over every synthetic row against
    every source row, and constraint violations over every synthetic row."""

    output: Path
    rows: int
    head: pd.DataFrame
    leaks: dict[str, int]
    violations: dict[str, int] | None  # None: the table has no constraints
    workers: int = 0
    kept: dict[str, int] = field(default_factory=dict)  # values of PII columns kept by catalog
    timings: dict[str, float] = field(default_factory=dict)
    rare_copies: RareCopies | None = None  # None: no holdout rows in the sample

    def apply(self, report: QualityReport) -> QualityReport:
        """``report`` (computed on ``head``) with the row count, leak counts, PII values kept by
        the catalog, constraint violations and rare training values copied, over every row."""
        updates: dict[str, Any] = {"rows_actual": self.rows, "pii_leaks": dict(self.leaks),
                                   "kept_by_catalog": dict(self.kept),
                                   "rare_copies": self.rare_copies}
        if self.violations is not None:
            updates["constraint_violations"] = dict(self.violations)
        return dataclasses.replace(report, **updates)


@contextmanager
def _writer(path: Path, schema: pa.Schema, fmt: str) -> Iterator[Any]:
    """``write(arrow_table, first=...)`` appending chunks to a Parquet or CSV file."""
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            # pandas' CSV, so a streamed output reads like an in-memory one
            yield lambda t, first: t.to_pandas().to_csv(f, header=first, index=False)
    else:
        with pq.ParquetWriter(path, schema) as writer:
            yield lambda t, first: writer.write_table(t)


def synthesize_file(source: str | Path, output: str | Path, generator: Generator, plan: PiiPlan,
                    table: TableConfig, *, sample: pd.DataFrame, masked: pd.DataFrame, n: int,
                    seed: int, options: StreamOptions | None = None,
                    parent_keys: dict[str, pd.Series] | None = None,
                    indexing: "_SourceIndexing | None" = None,
                    watch: "_Stopwatch | None" = None, fmt: str = "parquet") -> StreamedSynthesis:
    """Sample ``n`` rows from a fitted ``generator`` into the Parquet file ``output``, chunk by
    chunk, with bounded memory (module docstring, steps 2 and 3). ``source`` is the full source
    Parquet file (read column by column for the leak check and the fresh keys), ``sample`` its
    raw sample and ``masked`` the masked sample the generator was fitted on. The file appears
    complete or not at all. ``fmt``: ``parquet`` or ``csv`` (pandas' CSV, as the in-memory
    path writes it)."""
    opts = options or StreamOptions()
    src, out = Path(source), Path(output)
    pf = _parquet(src)
    watch = watch or _Stopwatch()
    lap = watch.lap

    s = seed
    sizes, workers = _chunk_plan(n, opts)
    keys = set(table.key_columns)
    own = indexing is None
    if own:
        indexing = _SourceIndexing(str(src), [d for d in plan.columns if d.column not in keys],
                                   [c for c in table.key_columns if c in sample.columns],
                                   opts.batch_rows, background=False)
    try:
        index, source_keys = indexing.result()
    finally:
        if own:
            indexing.close()
    lap("source index (rest)")
    replaced = [d.column for d in plan.columns if d.is_pii and d.column not in keys
                and d.action in REGENERATED + ("drop",)]
    unique = [d.column for d in plan.columns if d.column in replaced and d.action == "pseudonymize"]
    fresh = None
    if table.primary_key:  # one draw for all rows: unique across chunks, none a source key
        pk_source = pd.concat([b[table.primary_key] for b in
                               _iter_columns(pf, [table.primary_key], opts.batch_rows)],
                              ignore_index=True)
        fresh = fresh_keys(pk_source, n, np.random.default_rng(stable_seed(s, "primary key")))
        del pk_source

    needed = replaced + ([table.primary_key] if table.primary_key else [])
    context = _ChunkContext(
        generator=generator, plan=plan, table=table, source=_slim(sample, needed),
        masked=_slim(masked, replaced + list(table.foreign_keys)), parent_keys=parent_keys, seed=s)
    training, holdout = split_source(sample, table, s)  # the rows the generator learned from
    finisher = _Finisher(context=context, index=index, replaced=replaced,
                         forbidden=forbidden_values(sample, replaced), unique=unique, keys=fresh,
                         source_keys=source_keys,
                         rare=RareValueCounter(training, holdout) if len(holdout) else None)
    del training, holdout
    schema = _output_schema(masked, pf.schema_arrow, table.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    head: list[pd.DataFrame] = []
    have = written = 0
    chunks = _Chunks(context, sizes, workers)
    try:
        with _writer(partial, schema, fmt) as write:
            for i, chunk in enumerate(chunks):
                chunk = finisher.finish(i, chunk)
                if have < opts.eval_rows:
                    head.append(chunk.iloc[:opts.eval_rows - have].copy())
                    have += len(head[-1])
                write(_to_arrow(chunk, schema, table.name), first=i == 0)
                written += len(chunk)
        partial.replace(out)
    finally:
        chunks.close()
        partial.unlink(missing_ok=True)
    lap("sample+write")

    synthetic_head = pd.concat(head, ignore_index=True) if head else pd.DataFrame(
        columns=list(masked.columns))
    return StreamedSynthesis(output=out, rows=written, head=synthetic_head,
                             leaks=dict(finisher.leaks), kept=dict(finisher.kept),
                             violations=dict(finisher.violations) if table.constraints else None,
                             workers=workers, timings=watch.timings,
                             rare_copies=finisher.rare.result() if finisher.rare else None)
