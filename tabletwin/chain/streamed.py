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
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tabletwin.chain.finishing import Finisher, output_schema, to_arrow
from tabletwin.chain.parquet_read import iter_columns, open_parquet, read_parquet_sample
from tabletwin.chain.source_index import SourceIndexing
from tabletwin.chain.synthesis import fit_generator, forbidden_values, fresh_keys
from tabletwin.chain.workers import ChunkContext, Chunks, forkserver_context, slim
from tabletwin.config.catalog import TableConfig
from tabletwin.config.roles import REGENERATED, split_source
from tabletwin import progress
from tabletwin.errors import InputError
from tabletwin.limits import check_rows
from tabletwin.metrics.rare_values import RareCopies, RareValueCounter
from tabletwin.pii import detect_pii, mask_table
from tabletwin.pii.leakage import LeakIndex
from tabletwin.pii.plan import PiiPlan
from tabletwin.quality.gate import QualityReport, evaluate
from tabletwin.quality.profile import TableProfile, profile_table
from tabletwin.seeds import stable_seed
from tabletwin.synth.generators import Generator, make_generator

__all__ = ["FileSynthResult", "StreamOptions", "StreamedSynthesis", "read_parquet_sample",
           "synth_file", "synthesize_file"]

PARQUET_SUFFIXES = (".parquet", ".pq")


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
    from tabletwin.files import check_output_path

    opts = options or StreamOptions()
    src, out = Path(path), Path(output)
    fmt = check_output_path(out, src)
    if src.suffix.lower() not in PARQUET_SUFFIXES:
        return _in_memory(src, out, table, rows=rows, seed=seed, key=key, force=force)
    pf = open_parquet(src)
    total = pf.metadata.num_rows
    if total <= opts.threshold:
        return _in_memory(src, out, table, rows=rows, seed=seed, key=key, force=force)

    make_generator(table.generator.name, table.generator.params, table=table.name)  # fail fast
    n = rows or table.rows or total
    check_rows(n, total, allow=table.allow_large_rows, table=table.name,
               what="--rows" if rows else "rows")
    return _synth_streamed(src, out, fmt, table, total=total, n=n,
                           seed=stable_seed(table.name, seed), key=key, opts=opts,
                           parent_keys=parent_keys, force=force)


def _synth_streamed(src: Path, out: Path, fmt: str, table: TableConfig, *, total: int, n: int,
                    seed: int, key: bytes, opts: StreamOptions,
                    parent_keys: dict[str, pd.Series] | None, force: bool) -> FileSynthResult:
    """:func:`synth_file` of a Parquet file over the threshold (module docstring, steps 1 to 4);
    ``seed``: the table's seed."""
    from tabletwin.files import temp_path

    watch = _Stopwatch()
    workers = _chunk_plan(n, opts)[1]
    if workers:
        forkserver_context()  # workers import their modules while this process reads and fits
    sample = read_parquet_sample(src, min(total, opts.sample_rows or table.generator.max_fit_rows),
                                 seed=seed, batch_rows=opts.batch_rows)
    watch.lap("read sample")
    plan = detect_pii(sample, table=table.name, overrides=table.overrides(),
                      key_columns=table.key_columns)
    # the source side of the leak check (every row), on another process while this one fits
    indexing = _indexing(src, plan, table, sample, opts, background=workers > 0)
    unchecked = temp_path(out)  # written beside the output, renamed there once the gate passed
    try:
        try:
            masked = mask_table(sample, plan, key=key, seed=seed, locale=table.locale)
            profile = profile_table(masked, plan)
            watch.lap("detect+mask+profile")
            gen = fit_generator(masked, plan, table, seed=seed)
            watch.lap("fit")
            try:
                streamed = synthesize_file(src, unchecked, gen, plan, table, sample=sample,
                                           masked=masked, n=n, seed=seed, options=opts,
                                           parent_keys=parent_keys, indexing=indexing,
                                           watch=watch, fmt=fmt)
            except OSError as exc:  # disk full, permissions: nothing renamed over the output
                raise _write_failed(out, exc) from None
        finally:
            indexing.close()
        report = streamed.apply(evaluate(
            source=sample.iloc[:opts.eval_rows], masked=masked, synthetic=streamed.head, plan=plan,
            profile=profile, table=table, rows_expected=n, seed=seed, generator=gen.describe(),
            parent_keys=parent_keys))
        watch.lap("evaluate")
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


def _indexing(src: Path, plan: PiiPlan, table: TableConfig, sample: pd.DataFrame,
              opts: StreamOptions, *, background: bool) -> SourceIndexing:
    """The leak index of every source row: the PII columns except keys, and the key columns."""
    keys = set(table.key_columns)
    return SourceIndexing(str(src), [d for d in plan.columns if d.column not in keys],
                          [c for c in table.key_columns if c in sample.columns],
                          opts.batch_rows, background=background)


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
                    indexing: SourceIndexing | None = None,
                    watch: "_Stopwatch | None" = None, fmt: str = "parquet") -> StreamedSynthesis:
    """Sample ``n`` rows from a fitted ``generator`` into the Parquet file ``output``, chunk by
    chunk, with bounded memory (module docstring, steps 2 and 3). ``source`` is the full source
    Parquet file (read column by column for the leak check and the fresh keys), ``sample`` its
    raw sample and ``masked`` the masked sample the generator was fitted on. The file appears
    complete or not at all. ``fmt``: ``parquet`` or ``csv`` (pandas' CSV, as the in-memory
    path writes it). Only ``chunk_rows``, ``eval_rows``, ``workers`` and ``batch_rows`` of
    ``options`` apply here."""
    opts = options or StreamOptions()
    src, out = Path(source), Path(output)
    pf = open_parquet(src)
    watch = watch or _Stopwatch()
    sizes, workers = _chunk_plan(n, opts)
    own = indexing is None
    if own:
        indexing = _indexing(src, plan, table, sample, opts, background=False)
    try:
        index, source_keys = indexing.result()
    finally:
        if own:
            indexing.close()
    watch.lap("source index (rest)")
    finisher = _finisher(pf, generator, plan, table, sample=sample, masked=masked, n=n,
                         seed=seed, parent_keys=parent_keys, index=index,
                         source_keys=source_keys, batch_rows=opts.batch_rows,
                         source_name=src.name)
    schema = output_schema(masked, pf.schema_arrow, table.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    chunks = Chunks(finisher.context, sizes, workers)
    try:
        head, written = _write_chunks(chunks, finisher, partial, schema, fmt, opts.eval_rows,
                                      table.name, total=n)
        partial.replace(out)
    finally:
        chunks.close()
        partial.unlink(missing_ok=True)
    watch.lap("sample+write")
    return StreamedSynthesis(output=out, rows=written, head=head if head is not None else
                             pd.DataFrame(columns=list(masked.columns)),
                             leaks=dict(finisher.leaks), kept=dict(finisher.kept),
                             violations=dict(finisher.violations) if table.constraints else None,
                             workers=workers, timings=watch.timings,
                             rare_copies=finisher.rare.result() if finisher.rare else None)


def _finisher(pf: pq.ParquetFile, generator: Generator, plan: PiiPlan, table: TableConfig, *,
              sample: pd.DataFrame, masked: pd.DataFrame, n: int, seed: int,
              parent_keys: dict[str, pd.Series] | None, index: LeakIndex,
              source_keys: dict[str, np.ndarray], batch_rows: int, source_name: str) -> Finisher:
    """What every chunk needs: the chunk context workers make chunks from (the sample slimmed to
    the columns ``synthesize`` reads), and the main process's finishing state."""
    keys = set(table.key_columns)
    replaced = [d.column for d in plan.columns if d.is_pii and d.column not in keys
                and d.action in REGENERATED + ("drop",)]
    unique = [d.column for d in plan.columns if d.column in replaced and d.action == "pseudonymize"]
    fresh = None
    if table.primary_key:  # one draw for all rows: unique across chunks, none a source key
        pk_source = pd.concat([b[table.primary_key] for b in
                               iter_columns(pf, [table.primary_key], batch_rows,
                                                file=source_name)],
                              ignore_index=True)
        fresh = fresh_keys(pk_source, n, np.random.default_rng(stable_seed(seed, "primary key")))
        del pk_source
    needed = replaced + ([table.primary_key] if table.primary_key else [])
    context = ChunkContext(
        generator=generator, plan=plan, table=table, source=slim(sample, needed),
        masked=slim(masked, replaced + list(table.foreign_keys)), parent_keys=parent_keys,
        seed=seed)
    # the raw rows split as the generator's (masked) rows were
    training, holdout = split_source(sample, table, identity=masked)
    return Finisher(context=context, index=index, replaced=replaced,
                    forbidden=forbidden_values(sample, replaced), unique=unique, keys=fresh,
                    source_keys=source_keys,
                    rare=RareValueCounter(training, holdout) if len(holdout) else None)


def _write_chunks(chunks: Chunks, finisher: Finisher, partial: Path, schema: pa.Schema, fmt: str,
                  eval_rows: int, table: str, total: int) -> tuple[pd.DataFrame | None, int]:
    """Finish and append every chunk to ``partial``: the first ``eval_rows`` rows (None: no row)
    and the rows written; progress (of ``total`` rows) on :mod:`tabletwin.progress`."""
    head: list[pd.DataFrame] = []
    have = written = 0
    started = last = time.monotonic()
    with _writer(partial, schema, fmt) as write:
        for i, chunk in enumerate(chunks):
            chunk = finisher.finish(i, chunk)
            if have < eval_rows:
                head.append(chunk.iloc[:eval_rows - have].copy())
                have += len(head[-1])
            write(to_arrow(chunk, schema, table), first=i == 0)
            written += len(chunk)
            now = time.monotonic()
            if now - last >= progress.EVERY_SECONDS and written < total:
                last = now
                progress.log.info("table %s: %s of %s synthetic rows written (%.0f%%, %.0f s)",
                                  table, f"{written:,}", f"{total:,}", 100 * written / total,
                                  now - started)
    return (pd.concat(head, ignore_index=True) if head else None), written
