"""Reading a table file (Parquet or CSV), kept apart from :mod:`tabletwin.pipeline` so that
``tabletwin scan`` does not import the generators (scikit-learn) it does not need."""

from __future__ import annotations

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
