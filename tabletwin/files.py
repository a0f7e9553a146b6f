"""Reading a table file (Parquet or CSV), kept apart from :mod:`tabletwin.pipeline` so that
``tabletwin scan`` does not import the generators (scikit-learn) it does not need."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from tabletwin.errors import InputError


def read_file(path: str | Path) -> pd.DataFrame:
    """Read a Parquet or CSV file; bad input raises InputError with a one-line reason."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        elif suffix in (".csv", ".tsv", ".txt"):
            df = pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", low_memory=False)
        else:
            raise InputError(f"unsupported format {suffix or '(none)'}: use .parquet or .csv")
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
    if out.is_dir():
        raise InputError(f"output {out} is a directory; name a .parquet or .csv file")
    return fmt


def temp_path(output: Path) -> Path:
    """A hidden temporary file beside ``output`` (same directory, so the final rename is atomic)."""
    return output.with_name(f".{output.name}.{os.getpid()}.tmp")


def write_atomic(df: pd.DataFrame, output: str | Path, *, like: str | Path | None = None) -> Path:
    """Write ``df`` to ``output`` in the format its extension names, atomically: a temporary file
    in the same directory, then a rename; an interrupted write leaves the old file (or none).
    ``like``: the source Parquet file, whose decimal columns keep their precision and scale
    (Arrow would infer the narrowest decimal type from the synthetic values)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(output)
    fmt = output_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(out)
    try:
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
    finally:
        tmp.unlink(missing_ok=True)
    return out
