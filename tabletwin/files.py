"""Reading a table file (Parquet or CSV), kept apart from :mod:`tabletwin.pipeline` so that
``tabletwin scan`` does not import the generators (scikit-learn) it does not need.

Columns are checked before any work: names must be unique and non-empty (pandas would silently
rename a repeated CSV header ``a`` to ``a.1`` and an empty one to ``Unnamed: 2``), and Parquet
columns must be flat (a list, struct or map column has no single value per cell to model).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

import pandas as pd

from tabletwin.errors import InputError

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def check_column_names(names: Iterable[object], *, file: str) -> None:
    """Refuse empty and repeated column names, naming the file and the column."""
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        text = "" if name is None else str(name)
        if not text.strip():
            raise InputError(f"column {i} has an empty name; name every column", file=file)
        if text in seen:
            raise InputError("column name repeated; column names must be unique", file=file,
                             column=text)
        seen.add(text)


def check_parquet_schema(schema, *, file: str) -> None:
    """Flat, uniquely and non-emptily named columns (``schema``: a pyarrow Schema)."""
    import pyarrow as pa

    check_column_names(schema.names, file=file)
    for field in schema:
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t):
            kind = ("list" if pa.types.is_list(t) or pa.types.is_large_list(t)
                    or pa.types.is_fixed_size_list(t) else "map" if pa.types.is_map(t)
                    else "struct" if pa.types.is_struct(t) else "nested")
            raise InputError(f"{kind} columns are not supported (flatten it into plain "
                             "columns first)", file=file, column=field.name)


def _csv_header(p: Path, sep: str) -> list[str]:
    with open(p, newline="", encoding="utf-8", errors="replace") as fh:
        return next(csv.reader(fh, delimiter=sep), [])


def read_file(path: str | Path) -> pd.DataFrame:
    """Read a Parquet or CSV file; bad input raises InputError with a one-line reason."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a directory; give a .parquet or .csv file")
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    suffix = p.suffix.lower()
    if suffix not in PARQUET_SUFFIXES + CSV_SUFFIXES:
        raise InputError(f"{p.name}: unsupported format {suffix or '(none)'}: use .parquet or .csv")
    sep = "\t" if suffix == ".tsv" else ","
    try:
        if suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            check_parquet_schema(pq.read_schema(p), file=p.name)
            df = pd.read_parquet(p)
        else:
            check_column_names(_csv_header(p, sep), file=p.name)
            df = pd.read_csv(p, sep=sep, low_memory=False)
    except InputError:
        raise
    except Exception as exc:  # pyarrow / parser errors: report the kind, not the content
        raise InputError(f"cannot read {p.name}: {type(exc).__name__}") from None
    if len(df) == 0:
        raise InputError(f"{p.name} has no rows")
    if len(df.columns) == 0:
        raise InputError(f"{p.name} has no columns")
    return df
