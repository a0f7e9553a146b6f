"""Reading a table file (Parquet or CSV), kept apart from :mod:`tabletwin.chain.stages` so that
``tabletwin scan`` does not import the generators (scikit-learn) it does not need.

Columns are checked before any work: names must be unique and non-empty (pandas would silently
rename a repeated CSV header ``a`` to ``a.1`` and an empty one to ``Unnamed: 2``), and Parquet
columns must be flat (a list, struct or map column has no single value per cell to model).
"""

from __future__ import annotations

import csv
import os
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


#: Output file extensions ``synth`` writes, and the format each picks.
OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: str | Path) -> str:
    """``parquet`` or ``csv`` from the output file's extension; any other is refused (InputError)."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise InputError(f"output {Path(path).name}: extension {suffix or '(none)'} not "
                         "supported; use .parquet or .csv")
    return OUTPUT_FORMATS[suffix]


def check_output_path(output: str | Path, *inputs: str | Path | None) -> str:
    """Refuse an output path that is one of the input files (a failed or partial write must never
    destroy its own source); returns the output format (:func:`output_format`)."""
    out = Path(output)
    if out.is_dir():
        raise InputError(f"output {out} is a directory; name a .parquet or .csv file")
    fmt = output_format(out)
    for given in inputs:
        if given is None:
            continue
        src = Path(given)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            same = out.samefile(src)
        if same:
            raise InputError(f"output {out} is the input file {src}; write to another path")
    check_writable_parent(out, what="output")
    return fmt


def check_writable_parent(path: Path, *, what: str = "output") -> None:
    """Refuse (InputError, before any work) a path whose folder cannot be created or written:
    a file in the way, a missing permission."""
    folder = path.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{what} {path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{what} {path}: folder {probe} is not writable")


def temp_path(output: Path) -> Path:
    """A hidden temporary file beside ``output`` (same directory, so the final rename is atomic)."""
    return output.with_name(f".{output.name}.{os.getpid()}.tmp")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a hidden temporary file in the same folder renamed
    over it): a failure leaves the previous file, never half of the new one."""
    tmp = temp_path(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(df: pd.DataFrame, output: str | Path, *, like: str | Path | None = None) -> Path:
    """Write ``df`` to ``output`` in the format its extension names, atomically: a temporary file
    in the same directory, then a rename; an interrupted write leaves the old file (or none).
    ``like``: the source Parquet file, whose decimal columns keep their precision and scale
    (Arrow would infer the narrowest decimal type from the synthetic values)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(output)
    fmt = output_format(out)
    tmp = temp_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            table = pa.Table.from_pandas(df, preserve_index=False)
            source = (pq.read_schema(like) if like is not None
                      and Path(like).suffix.lower() in (".parquet", ".pq") else None)
            for i, f in enumerate(table.schema):
                want = source.field(f.name).type if source is not None and \
                    f.name in source.names else None
                if want is not None and pa.types.is_decimal(want) and pa.types.is_decimal(f.type):
                    table = table.set_column(i, pa.field(f.name, want), table.column(i).cast(want))
            pq.write_table(table, tmp)
        os.replace(tmp, out)
    except OSError as exc:  # disk full, permissions: the previous file (if any) stays as it was
        raise InputError(f"cannot write output {out}: {exc.strerror or type(exc).__name__}; "
                         "the previous file is unchanged") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out
