"""Reading Parquet files batch by batch: a seeded uniform sample with the dtypes a full read gives,
and chosen columns of every row. Nothing here prints or logs a data value (errors name the file and
the kind of failure only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tabletwin.errors import InputError
from tabletwin.seeds import stable_seed

__all__ = ["iter_columns", "open_parquet", "read_failed", "read_parquet_sample"]


def read_failed(name: str, exc: BaseException) -> InputError:
    """The one-line error of a Parquet input that fails to read after it opened: it names the
    input file and the kind of failure, never its content (a damaged or truncated row group, or
    the file changed while it was read)."""
    return InputError(f"cannot read the input: {type(exc).__name__} (damaged, truncated or "
                      "changed while it was read); nothing was written", file=name)


def open_parquet(path: Path) -> pq.ParquetFile:
    """The Parquet file at ``path``, its schema checked (errors name the file, not its content)."""
    from tabletwin.files import check_parquet_schema

    if path.is_dir():
        raise InputError(f"{path} is a directory; give a .parquet or .csv file")
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow errors: report the kind, not the content
        raise InputError(f"cannot read the input: {type(exc).__name__} (not a Parquet file, or a "
                         "damaged or truncated one)", file=path.name) from None
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
    pf = open_parquet(p)
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
        raise read_failed(p.name, exc) from None
    if len(frame.columns) == 0:
        raise InputError(f"{p.name} has no columns")
    try:
        return _full_read_dtypes(pf, frame, batch_rows)
    except Exception as exc:
        raise read_failed(p.name, exc) from None


def iter_columns(pf: pq.ParquetFile, columns: Sequence[str], batch_rows: int, *,
                 file: str) -> Iterator[pd.DataFrame]:
    """``columns`` of every row of ``pf``, batch by batch; a batch that fails to read (a damaged
    row group, a file truncated or rewritten meanwhile) raises the InputError of
    :func:`read_failed` naming ``file``, not a bare OSError a caller could take for its own."""
    batches = pf.iter_batches(batch_size=batch_rows, columns=list(columns))
    while True:
        try:
            batch = next(batches)
            frame = batch.to_pandas()
        except StopIteration:
            return
        except Exception as exc:
            raise read_failed(file, exc) from None
        yield frame
