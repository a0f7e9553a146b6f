"""Rows in and out of PostgreSQL with COPY, in bounded memory.

In: :func:`copy_frame` writes a DataFrame as CSV printed by Arrow's C++ writer (``COPY ... FROM
STDIN (FORMAT csv)``), or row by row through psycopg's adapters for columns Arrow cannot print as
PostgreSQL reads them back. Out: :func:`copy_frames` streams ``COPY (query) TO STDOUT`` through
Arrow's streaming CSV reader into typed DataFrames of a fixed number of rows, never holding the
whole result. Arrow's parse errors quote the offending value: they are replaced by an
:class:`InputError` naming only the table and column.
"""

from __future__ import annotations

import io
import re
from typing import Any, Iterator

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.errors import InputError
from tabletwin.warehouse.base import DEFAULT_CHUNK_ROWS, quote

# type OIDs of the result columns read as typed pandas columns (others as strings)
_INT_OIDS = {20, 21, 23, 26}
_FLOAT_OIDS = {700, 701, 1700}
_BOOL_OID, _DATE_OID, _TS_OID, _TSTZ_OID = 16, 1082, 1114, 1184


def _python_values(s: pd.Series) -> list:
    """Column values as Python objects psycopg adapts, NULL-like values as None."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    mask = s.isna().to_numpy()
    values = s.astype(object).to_numpy()
    if mask.any():
        values = values.copy()
        values[mask] = None
    return values.tolist()


# object columns Arrow types exactly (anything else, e.g. mixed types, takes psycopg's adapters)
_ARROW_OBJECTS = {"string", "empty", "date", "datetime", "boolean", "integer", "floating",
                  "decimal"}


def _arrow_ok(df: pd.DataFrame) -> bool:
    """Whether every column converts to Arrow and prints as PostgreSQL's CSV reads it back."""
    for c in df.columns:
        dt = df[c].dtype
        if isinstance(dt, pd.CategoricalDtype):
            dt = dt.categories.dtype
            if dt == object and pd.api.types.infer_dtype(df[c].cat.categories) != "string":
                return False
            continue
        if pdt.is_bool_dtype(dt) or pdt.is_integer_dtype(dt) or pdt.is_float_dtype(dt) \
                or pdt.is_datetime64_any_dtype(dt):
            continue
        if dt == object and pd.api.types.infer_dtype(df[c], skipna=True) in _ARROW_OBJECTS:
            continue
        return False
    return True


def _csv_chunk(part: pd.DataFrame) -> bytes:
    """Rows as PostgreSQL CSV: strings always quoted, NULLs unquoted empty (Arrow's C++ writer)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    buf = io.BytesIO()
    pcsv.write_csv(pa.Table.from_pandas(part, preserve_index=False), buf,
                   pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


def copy_frame(cur: Any, target: str, df: pd.DataFrame, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
    """Load ``df`` into the existing table ``target`` (quoted name) with COPY, in chunks: as CSV
    written by Arrow when every column allows it, else row by row through psycopg's adapters."""
    cols = ", ".join(quote(str(c)) for c in df.columns)
    if _arrow_ok(df):
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT csv)") as cp:
            for start in range(0, len(df), chunk_rows):
                cp.write(_csv_chunk(df.iloc[start:start + chunk_rows]))
        return
    with cur.copy(f"COPY {target} ({cols}) FROM STDIN") as cp:
        for start in range(0, len(df), chunk_rows):
            part = df.iloc[start:start + chunk_rows]
            for row in zip(*(_python_values(part[c]) for c in part.columns)):
                cp.write_row(row)


def _arrow_type(oid: int) -> Any:
    """How Arrow parses a result column of this type OID from PostgreSQL's CSV."""
    import pyarrow as pa

    if oid in _INT_OIDS:
        return pa.int64()
    if oid in _FLOAT_OIDS:
        return pa.float64()
    if oid == _BOOL_OID:
        return pa.bool_()
    if oid in (_DATE_OID, _TS_OID):
        return pa.timestamp("us")
    return pa.string()  # text; time zones (parsed below); the text form of json, uuid, arrays...


class _CopyStream(io.RawIOBase):
    """A file over the data blocks of a psycopg COPY TO (one block per row, from PostgreSQL)."""

    def __init__(self, copy: Any):
        self._blocks = iter(copy)
        self._buf = memoryview(b"")
        self.empty = True

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = 0
        while n < len(b):
            if not self._buf:
                try:
                    self._buf = memoryview(next(self._blocks))
                    self.empty = False
                except StopIteration:
                    break
            k = min(len(b) - n, len(self._buf))
            b[n:n + k] = self._buf[:k]
            self._buf = self._buf[k:]
            n += k
        return n


def _csv_reader(stream: _CopyStream, oids: list[int]) -> Any:
    import pyarrow.csv as pcsv

    return pcsv.open_csv(
        io.BufferedReader(stream, buffer_size=1 << 20),
        read_options=pcsv.ReadOptions(column_names=[f"c{i}" for i in range(len(oids))],
                                      use_threads=False, block_size=1 << 22),
        # a one-column NULL row is an empty line: not to be skipped
        parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(
            column_types={f"c{i}": _arrow_type(oid) for i, oid in enumerate(oids)},
            null_values=[""], true_values=["t"], false_values=["f"], strings_can_be_null=True,
            quoted_strings_can_be_null=False))


def _cut(batches: list, n: int) -> tuple[Any, list, int]:
    """The first ``n`` rows of ``batches`` as a table, and the rest."""
    import pyarrow as pa

    table = pa.Table.from_batches(batches)
    rest = table.slice(n)
    return table.slice(0, n), rest.to_batches(), rest.num_rows


def _arrow_frame(table: Any, names: list[str], oids: list[int]) -> pd.DataFrame:
    """Typed pandas columns: int64/float64/bool/datetime64[us] (UTC for time zones); Int64 and
    boolean when an int or bool column has NULLs; Python strings for everything else."""
    import pyarrow as pa

    data = {}
    for i, oid in enumerate(oids):
        col = table.column(i)
        if pa.types.is_integer(col.type):
            data[i] = (pd.array(col.to_pandas(), dtype="Int64") if col.null_count
                       else col.to_numpy().astype(np.int64))
        elif pa.types.is_boolean(col.type):
            data[i] = (pd.array(col.to_pylist(), dtype="boolean") if col.null_count
                       else col.to_numpy(zero_copy_only=False).astype(bool))
        elif pa.types.is_timestamp(col.type):
            data[i] = pd.Series(col.to_numpy(zero_copy_only=False)).astype("datetime64[us]").array
        elif pa.types.is_floating(col.type):
            data[i] = col.to_numpy(zero_copy_only=False).astype(np.float64)
        elif oid == _TSTZ_OID:
            values = col.to_numpy(zero_copy_only=False).astype(object)
            try:
                data[i] = pd.to_datetime(values, utc=True, format="ISO8601").astype(
                    "datetime64[us, UTC]").array
            except (ValueError, OverflowError):
                raise InputError("values pandas cannot represent (infinite or out-of-range "
                                 "dates?)", column=names[i]) from None
        else:
            data[i] = col.to_numpy(zero_copy_only=False).astype(object)
    df = pd.DataFrame(data, index=pd.RangeIndex(table.num_rows))
    df.columns = names
    return df


def copy_frames(con: Any, sql: str, chunk_rows: int, table: str | None = None
                 ) -> Iterator[pd.DataFrame]:
    """The result of a SELECT as DataFrames of ``chunk_rows`` rows: ``COPY (sql) TO STDOUT`` as
    CSV, parsed by Arrow's streaming reader as it arrives; never held whole here or on the
    server. Always yields at least one (maybe empty) frame."""
    import pyarrow as pa

    sql = sql.strip().rstrip(";")
    with con.cursor() as cur:
        cur.execute(f"SELECT * FROM ({sql}) AS tabletwin_q LIMIT 0")  # the result's columns
        names = [d.name for d in cur.description]
        oids = [d.type_code for d in cur.description]
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            stream = _CopyStream(copy)
            pending: list[Any] = []
            held = 0
            reader = None
            yielded = False
            while True:
                try:
                    if reader is None:  # opening parses the first block already
                        reader = _csv_reader(stream, oids)
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - ArrowInvalid quotes the value
                    if stream.empty:
                        break  # no rows: no CSV at all
                    raise _parse_error(exc, names, table) from None
                pending.append(batch)
                held += batch.num_rows
                while held >= chunk_rows:
                    chunk, pending, held = _cut(pending, chunk_rows)
                    yielded = True
                    yield _arrow_frame(chunk, names, oids)
            if held or not yielded:
                empty = pa.schema([(f"c{i}", _arrow_type(o)) for i, o in enumerate(oids)])
                yield _arrow_frame(_cut(pending, held)[0] if held else empty.empty_table(),
                                   names, oids)


def _parse_error(exc: BaseException, names: list[str], table: str | None) -> InputError:
    """Which column Arrow could not read (its message quotes the value: never passed on)."""
    m = re.search(r"column #(\d+)", str(exc))
    column = names[int(m.group(1))] if m and int(m.group(1)) < len(names) else None
    return InputError("values pandas cannot represent (infinite or out-of-range dates?)",
                      table=table, column=column)
