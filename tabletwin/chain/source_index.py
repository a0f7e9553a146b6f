"""The source side of the streamed leak check: the PII columns and keys of every source row, read
batch by batch into a :class:`~tabletwin.pii.leakage.LeakIndex` (hashes of the normalized values, a
few bytes per distinct value) and sorted key values; with workers on a process of its own while the
main process fits. Holds hashes only, never a value to print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api import types as pdt

from tabletwin.chain.parquet_read import iter_columns, open_parquet
from tabletwin.chain.workers import forkserver_context
from tabletwin.errors import InputError
from tabletwin.pii.leakage import LeakIndex, hash_strings
from tabletwin.pii.plan import ColumnDecision

__all__ = ["SourceIndexing", "index_source", "key_values"]


def index_source(path: str, decisions: list[ColumnDecision], key_columns: list[str],
                  batch_rows: int) -> tuple[LeakIndex, dict[str, np.ndarray]]:
    """Read the checked PII columns and the key columns of every row, batch by batch: the leak
    index and the sorted source key values (see :func:`key_values`)."""
    pf = open_parquet(Path(path))
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
        for batch in iter_columns(pf, wanted, batch_rows, file=Path(path).name):
            index.add(batch)
            for c in key_columns:
                parts[c].append(np.unique(key_values(batch[c])))
    index.compact()
    return index, {c: np.unique(np.concatenate(p)) if p else np.empty(0, dtype=np.int64)
                   for c, p in parts.items()}


def _index_to_pipe(conn: Any, *args: Any) -> None:
    try:
        conn.send((True, index_source(*args)))
    except Exception as exc:  # a TabletwinError (or a bug) is raised again by the receiver
        conn.send((False, exc))
    finally:
        conn.close()


class SourceIndexing:
    """:func:`index_source` on a process of its own (``background``), else here on demand."""

    def __init__(self, path: str, decisions: list[ColumnDecision], key_columns: list[str],
                 batch_rows: int, *, background: bool):
        self.args = (path, decisions, key_columns, batch_rows)
        self.proc: Any = None
        if background:
            ctx = forkserver_context()
            self.conn, send = ctx.Pipe(duplex=False)
            self.proc = ctx.Process(target=_index_to_pipe, args=(send, *self.args), daemon=True)
            self.proc.start()
            send.close()

    def result(self) -> tuple[LeakIndex, dict[str, np.ndarray]]:
        if self.proc is None:
            return index_source(*self.args)
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

def key_values(values: pd.Series) -> np.ndarray:
    """Key values comparable across frames: int64 for integer keys, hashes of the text else."""
    present = values.dropna()
    if pdt.is_integer_dtype(values.dtype) or (
            pdt.is_float_dtype(values.dtype) and bool((present == present.round()).all())):
        return present.to_numpy(dtype=np.int64)
    return hash_strings(present.astype(str).to_numpy(dtype=object))
