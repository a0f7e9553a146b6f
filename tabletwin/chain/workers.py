"""Making synthetic chunks: in this process or on worker processes forked from a small server
process (multiprocessing's ``forkserver``) that imported the streamed chain once. Each chunk depends
only on its index and the seed, so the output is the same for any number of workers."""

from __future__ import annotations

import multiprocessing as mp
import pickle
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.chain.synthesis import synthesize
from tabletwin.config.catalog import TableConfig
from tabletwin.errors import GeneratorError
from tabletwin.pii.plan import PiiPlan
from tabletwin.seeds import stable_seed
from tabletwin.synth.generators import Generator

__all__ = ["ChunkContext", "Chunks", "forkserver_context", "slim"]


@dataclass
class ChunkContext:
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


def slim(frame: pd.DataFrame, keep: Sequence[str]) -> pd.DataFrame:
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


class Chunks:
    """Chunk ``i`` of ``n`` rows, in order: made here or on a pool of worker processes, with at
    most two chunks per worker in flight (bounded memory when writing is slower)."""

    def __init__(self, context: ChunkContext, sizes: list[int], workers: int):
        self.context, self.sizes, self.workers = context, sizes, workers
        self.pool: ProcessPoolExecutor | None = None
        if workers > 0 and len(sizes) > 1:
            payload = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
            self.pool = ProcessPoolExecutor(workers, mp_context=forkserver_context(),
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


def forkserver_context() -> mp.context.ForkServerContext:
    """The context worker processes start from: a server process that imported this module once
    and forks each worker (so workers start fast and do not inherit this, larger, process)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["tabletwin.chain.streamed"])
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return ctx
