"""The adversarial review's cases (issue 13), re-run through ``tabletwin synth``: how many synthetic
cells equal a value that is rare (seen fewer than 5 times) in the source, per case.

    .venv/bin/python benchmarks/rare_values.py [--out DIR]

Each case is a Parquet file made here; ``synth`` runs in process with ``--force --json`` (the
output is written even when a check fails, so it can be searched). Printed per case: exit status,
rows written, the column searched, synthetic cells equal to a rare source value (and their share),
and the status of the gate's ``no_rare_values_copied``.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYL = ["ra", "do", "sla", "ve", "ku", "mi", "zo", "pe", "ta", "ni", "lo", "be", "an", "dre"]
LAST = ["Adeyemi", "Kowalczyk", "Oyelaran", "Haddad", "Nguyen", "Szabo", "Iwu", "Vasquez"]


def names(n: int, rng: np.random.Generator) -> list[str]:
    """Unique made-up names with no hint in the column name (``Radoslav Adeyemi-QU``)."""
    out = set()
    while len(out) < n:
        first = "".join(rng.choice(SYL, 3)).capitalize()
        out.add(f"{first} {rng.choice(LAST)}-{''.join(rng.choice(list('ABCDEFGHJKLMNPQRSTUVWXYZ'), 2))}")
    return sorted(out)


def cases(rng: np.random.Generator) -> dict[str, tuple[pd.DataFrame, str, pa.Schema | None]]:
    n = 2000
    base = pd.DataFrame({"segment": rng.choice(["a", "b", "c"], n), "v": rng.integers(0, 50, n)})
    out: dict[str, tuple[pd.DataFrame, str, pa.Schema | None]] = {}
    out["one row (board)"] = (pd.DataFrame({"id": [1], "full_name": ["Jane Doe"],
                                            "salary": [187654.32], "title": ["Chief officer"]}),
                              "full_name", None)
    out["2,000 unique names, opaque column"] = (base.assign(c3=names(n, rng)), "c3", None)
    amounts = [f"{x:.2f}" for x in rng.uniform(10, 10**6, n)]
    amounts[3] = "n/a"
    out["numbers stored as text, one bad cell"] = (base.assign(amt=amounts), "amt", None)
    dec = base.assign(price=[decimal.Decimal(f"{x:.2f}") for x in rng.uniform(0, 10**6, n)])
    schema = pa.Schema.from_pandas(dec, preserve_index=False)
    schema = schema.set(schema.get_field_index("price"), pa.field("price", pa.decimal128(10, 2)))
    out["decimal(10,2)"] = (dec, "price", schema)
    for k in (20, 50, 100):
        out[f"floats, {k} rows"] = (pd.DataFrame({"x": np.round(rng.normal(50, 10, k), 6),
                                                  "g": rng.choice(["a", "b"], k)}), "x", None)
    memo = [f"ship to {100 + i} {rng.choice(LAST)}{i} Street, Springfield; ref {i}" for i in range(n)]
    out["free text with US addresses"] = (base.assign(memo=memo), "memo", None)
    memo_de = [f"Lieferung an {rng.choice(LAST)}straße {1 + i % 90}, 10115 Berlin, Nr {i}"
               for i in range(n)]
    out["free text with German addresses"] = (base.assign(memo=memo_de), "memo", None)
    codes = [f"QK-{(i * 7919) % 10**6:06d}" for i in range(n)]
    out["high-cardinality codes"] = (base.assign(code=codes), "code", None)
    return out


def rare_hits(source: pd.Series, synthetic: pd.Series) -> int:
    def norm(s: pd.Series) -> pd.Series:
        return s.dropna().map(lambda v: float(v) if isinstance(v, decimal.Decimal) else v)

    counts = norm(source).value_counts()
    return int(norm(synthetic).isin(set(counts[counts < 5].index)).sum())


def main() -> int:
    from tabletwin.cli import main as cli

    p = argparse.ArgumentParser()
    p.add_argument("--out", help="folder for the case files (default: a temporary one)")
    args = p.parse_args()
    folder = Path(args.out or tempfile.mkdtemp(prefix="tabletwin-rare-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'case':<38} {'exit':>4} {'rows':>6} {'column':<8} {'rare copies':>12} "
          f"{'no_rare_values_copied':>22}")
    for i, (label, (df, column, schema)) in enumerate(cases(np.random.default_rng(13)).items()):
        src, out = folder / f"case{i}.parquet", folder / f"case{i}_synthetic.parquet"
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), src)
        buf, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
            code = cli(["synth", str(src), "-o", str(out), "--force", "--json"])
        if not out.exists():
            print(f"{label:<38} {code:>4} {'-':>6} {column:<8} {'-':>12} "
                  f"{'refused: ' + err.getvalue().strip()[-60:]}")
            continue
        syn = pd.read_parquet(out)
        checks = {c["name"]: c for c in json.loads(buf.getvalue())["checks"]}
        hits = rare_hits(df[column], syn[column])
        extra = ""
        if label.startswith("decimal"):
            extra = f"  (type {pq.read_schema(out).field('price').type})"
        print(f"{label:<38} {code:>4} {len(syn):>6} {column:<8} "
              f"{hits:>5} ({hits / len(syn):6.1%}) {checks['no_rare_values_copied']['status']:>22}"
              + extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
