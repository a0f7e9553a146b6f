"""Red team: hostile tables through ``tabletwin synth`` and a Dagster pipeline run; no source value
that is rare in the source may reach any output, whatever PII detection decided.

The tables are built here from marker values (unique tokens such as ``Qzv0042``), so the searches
are exact: the published and written synthetic tables (cell by cell), the console, the HTML and JSON
reports (with the Great Expectations data docs), the stored plan/profile/generator/report and the
captured Dagster event log with its asset metadata. The raw snapshot and the masked table are the
pipeline's private inputs and hold real values by design; the search proves it can find them there.

Cases: a one-row and a five-row table (refused, never copied); unique made-up names under an
opaque column name; a high-cardinality code column; numbers stored as text with one bad cell;
``decimal(10,2)`` values (the type kept); free text with street addresses and names in four
locales; e--mails under an opaque name; high-precision floats of a 20-row table.
"""

from __future__ import annotations

from tests.conftest import run_on
import decimal
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from leak_search import assert_clean, event_log_text, texts_under
from pipelines.cli import main

SYL = ["ra", "do", "sla", "ve", "ku", "mi", "zo", "pe", "ta", "ni", "lo", "be"]
LAST = ["Adeyemi", "Kowalczyk", "Oyelaran", "Haddad", "Nguyen", "Szabo", "Iwu", "Vasquez"]


def _name(i: int) -> str:
    first = "".join(SYL[(i * k + 3) % len(SYL)] for k in (1, 5, 7)).capitalize()
    return f"{first}Qzv{i:04d} {LAST[i % len(LAST)]}-{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}"


def guests(n: int = 900, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amounts = [f"{v:.2f}" for v in rng.uniform(10, 10**6, n)]
    amounts[7] = "n/a"  # one bad cell: still numbers stored as text
    return pd.DataFrame({
        "gid": np.arange(1, n + 1, dtype=np.int64),
        "f1": [_name(i) for i in range(n)],                               # names, opaque name
        "code": [f"QK-{(i * 7919) % 10**6:06d}Z" for i in range(n)],       # unique codes
        "amt_txt": amounts,                                                # numbers as text
        "price": [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 10**6, n)],
        "c7": [f"qzmail{i:04d}.{LAST[i % 8].lower()}@example.net" for i in range(n)],
        "segment": rng.choice(["retail", "business", "private"], n),
        "visits": rng.integers(0, 40, n),
    })


STREETS = {
    "en": lambda i: f"ship to {100 + i} Qzelm{i:04d} Street, Springfield IL 627{i % 100:02d}",
    "de": lambda i: f"Lieferung an Qzmuster{i:04d}straße {1 + i % 90}, 10115 Berlin",
    "fr": lambda i: f"livrer au {1 + i % 90} rue de la Qzpaix{i:04d}, 75002 Paris",
    "es": lambda i: f"enviar a Calle Qzmayor{i:04d} {1 + i % 90}, 28013 Madrid",
}


def orders(n: int = 800, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    langs = list(STREETS)
    memo = [STREETS[langs[i % 4]](i) + f"; contact {_name(i + 5000)}" for i in range(n)]
    return pd.DataFrame({
        "oid": np.arange(1, n + 1, dtype=np.int64),
        "memo": memo,
        "total": np.round(rng.gamma(2.0, 50.0, n), 2),
        "status": rng.choice(["open", "shipped", "returned"], n, p=[0.2, 0.7, 0.1]),
    })


def board() -> pd.DataFrame:
    return pd.DataFrame({"id": [1], "full_name": ["Janeqzb Doeqzb"], "salary": [187654.32],
                         "hired": [pd.Timestamp("2019-03-14")], "title": ["Chief Qzbofficer"]})


def small(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"rid": np.arange(1, n + 1, dtype=np.int64),
                         "label": [f"Qzs{seed}row{i:03d}" for i in range(n)],
                         "reading": np.round(rng.normal(50, 10, n), 6)})


TABLES = {"guests": guests, "orders": orders, "board": board,
          "five": lambda: small(5, 1), "twenty": lambda: small(20, 2)}
KEYS = {"guests": "gid", "orders": "oid", "board": "id", "five": "rid", "twenty": "rid"}
#: Columns whose domain is so large that a fresh value equal to a source value is (about) never
#: chance: every synthetic cell is checked against the rare source values. Small domains (``total``
#: in cents, ``visits``) do coincide by chance as real rows do; the gate's no_rare_values_copied
#: measures those against the holdout, and the pipeline test asserts it passed.
EXACT = {"guests": ["f1", "code", "amt_txt", "price", "c7"], "orders": ["memo"],
         "twenty": ["label", "reading"]}
REFUSED = {"board", "five"}


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def rare_text(df: pd.DataFrame, name: str) -> set[str]:
    """Text forms of every value seen fewer than 5 times in the marker columns (every non-key
    column of a refused table), and the marker tokens inside free text."""
    out: set[str] = set()
    for c in EXACT.get(name, [c for c in df.columns if c != KEYS[name]]):
        s = df[c].dropna()
        counts = s.astype(str).value_counts()
        # plain numbers are compared cell by cell in their own column (assert_no_rare_cells): as
        # text anywhere in the output, a drawn amount equals one of 1,800 source amounts of
        # another column by chance in 1.65% of runs of guests (0.0165 hits per run, simulated)
        rare = [v for v in counts[counts < 5].index
                if len(v) >= 6 and not _NUMBER.fullmatch(v)]
        out |= set(rare)
        for v in rare:
            out |= {tok.strip(",;") for tok in v.split() if "Qz" in tok}
    return out


def rare_cells(df: pd.DataFrame, column: str) -> set:
    counts = df[column].dropna().map(lambda v: float(v) if isinstance(v, decimal.Decimal) else v) \
        .value_counts()
    return set(counts[counts < 5].index)


def assert_no_rare_cells(label: str, source: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    for c in EXACT[label]:
        syn = synthetic[c].dropna().map(lambda v: float(v) if isinstance(v, decimal.Decimal) else v)
        hits = int(syn.isin(rare_cells(source, c)).sum())
        assert hits == 0, f"{label}.{c}: {hits} synthetic cells equal a rare source value"


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {name: make() for name, make in TABLES.items()}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_synth_never_writes_a_rare_value(name, frames, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / f"{name}.parquet"
    df = frames[name]
    if name == "guests":  # the source file's own decimal type: decimal(10,2)
        import pyarrow as pa

        schema = pa.Schema.from_pandas(df, preserve_index=False)
        schema = schema.set(schema.get_field_index("price"),
                            pa.field("price", pa.decimal128(10, 2)))
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), src)
    else:
        df.to_parquet(src, index=False)
    out = tmp_path / f"{name}_synthetic.parquet"
    code = main(["synth", str(src), "-o", str(out), "--force"])
    printed = capfd.readouterr()
    values = rare_text(frames[name], name)
    assert_clean(f"{name}: console", printed.out + printed.err, values)
    if name in REFUSED:
        assert code == 2 and not out.exists()
        assert "at least" in printed.err
        return
    assert code in (0, 1) and out.exists()
    syn = pd.read_parquet(out)
    assert_no_rare_cells(name, frames[name], syn)
    assert_clean(f"{name}: written table", syn.to_csv(), values)
    if name == "guests":  # decimal(10,2) stays decimal(10,2); numbers as text stay text
        assert str(pq.read_schema(out).field("price").type) == "decimal128(10, 2)"
        assert syn["amt_txt"].dropna().str.fullmatch(r"\d+\.\d{2}").all()


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, frames):
    root = tmp_path_factory.mktemp("redteam")
    (root / "data").mkdir()
    con = duckdb.connect(str(root / "data" / "wh.duckdb"))
    for name, df in frames.items():
        con.register("df", df)
        if name == "guests":  # the warehouse's own decimal type
            con.execute("CREATE TABLE main.guests AS SELECT * REPLACE "
                        "(CAST(price AS DECIMAL(10,2)) AS price) FROM df")
        else:
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM df")
        con.unregister("df")
    con.close()
    # what this test checks is escapes, not fidelity: the threshold only lets the tables publish
    # (the 20-row table's binned accuracy moves around 0.5 with the rows held out)
    catalog = {"warehouse": {"path": "data/wh.duckdb"},
               "tables": {name: {"primary_key": KEYS[name], "checks": {"fidelity_min": 0.3}}
                          for name in frames}}
    cat = root / "tabletwin.yaml"
    cat.write_text(yaml.safe_dump(catalog))
    return root, cat


def test_pipeline_publishes_no_rare_value(pipeline_run, frames, capfd):
    root, cat = pipeline_run
    code = run_on("2026-05-01", ["run", "--catalog", str(cat), "--date", "2026-05-01", "--verbose"])
    printed = capfd.readouterr()
    assert code == 1  # the refused tables fail their run; the others publish
    values = set().union(*(rare_text(df, name) for name, df in frames.items()))
    assert_clean("console", printed.out + printed.err, values)
    assert_clean("dagster event log and metadata", event_log_text(), values)
    con = duckdb.connect(str(root / "data" / "wh.duckdb"), read_only=True)
    published = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema='synthetic'").fetchall()}
    assert published >= {"guests", "orders", "twenty"} and not published & REFUSED
    for name in ("guests", "orders", "twenty"):
        syn = con.execute(f"SELECT * FROM synthetic.{name}").df()
        assert_no_rare_cells(name, frames[name], syn)
        assert_clean(f"synthetic.{name}", syn.to_csv(), values)
    price_type = con.execute("SELECT data_type FROM information_schema.columns WHERE "
                             "table_schema='synthetic' AND table_name='guests' AND "
                             "column_name='price'").fetchone()[0]
    history = con.execute("SELECT * FROM synthetic.tabletwin_runs").df().to_csv()
    con.close()
    assert price_type == "DECIMAL(10,2)"
    assert_clean("run history", history, values)
    for path, text in texts_under(root / "data" / "reports", skip=()):
        assert_clean(path, text, values)
    storage = root / "data" / "storage"
    private = ("source_table", "masked_table")
    for path, text in texts_under(storage, skip=private):
        assert_clean(path, text, values)
    report = json.loads((root / "data" / "reports" / "guests" / "2026-05-01.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["no_rare_values_copied"]["status"] == "passed"  # measured, and passed
    # the search finds real values where they legitimately are (not a vacuous search)
    raw = texts_under(storage / "guests" / "source_table", skip=())
    with pytest.raises(AssertionError, match="escaped"):
        assert_clean("raw snapshot", "\n".join(t for _, t in raw), values)
