"""Streaming synthesis of large Parquet files (tabletwin.chain.streamed), on small files with the
streaming threshold lowered: row count, schema, fresh keys across chunks, no source PII, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tabletwin.config.catalog import ColumnConfig, GeneratorConfig, TableConfig
from tabletwin.cli import main
from tabletwin.pii import pii_leaks
from tabletwin.pii.fakes import fake_values
from tabletwin.pii.normalize import normalize_value
from tabletwin.pii.leakage import LeakIndex
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.chain.streamed import StreamOptions, read_parquet_sample, synth_file

KEY = b"test-key"
ROWS = 3_000


def _source(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # names from the fake generator itself: fresh fakes often meet a name the sample lacks,
    # so the redraw against the whole source is exercised
    names = fake_values("PERSON", n, rng)
    score = rng.integers(300, 850, n).astype(float)
    score[rng.random(n) < 0.05] = np.nan
    age = rng.integers(18, 90, n)
    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64),
        "account_no": [f"AC{v:08d}" for v in rng.choice(10**8, n, replace=False)],
        "name": names,
        "email": [f"{str(v).lower().replace(' ', '.')}{i}@mail.test" for i, v in enumerate(names)],
        "age": age,
        "income": np.round(20_000 + age * 800 + rng.normal(0, 5_000, n), 2),
        "score": score,
        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
        "active": rng.random(n) < 0.7,
        "joined": pd.Timestamp("2024-01-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 86_400 * 365, n), unit="s"),
    })


@pytest.fixture(scope="module")
def source_file(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    df = _source()
    path = tmp_path_factory.mktemp("stream") / "people.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=400)
    assert pq.ParquetFile(path).metadata.num_row_groups > 5
    return df, str(path)


TABLE = TableConfig(name="people", primary_key="customer_id",
                    columns={"account_no": ColumnConfig(pii=True)},
                    generator=GeneratorConfig(name="gaussian_copula"))
OPTIONS = StreamOptions(threshold=100, sample_rows=600, chunk_rows=700, eval_rows=1_000, workers=0,
                        batch_rows=500)


@pytest.fixture(scope="module")
def streamed(source_file, tmp_path_factory):
    df, path = source_file
    out = tmp_path_factory.mktemp("out") / "synthetic.parquet"
    res = synth_file(path, out, TABLE, rows=2_500, seed=4, key=KEY, options=OPTIONS)
    return df, res, pd.read_parquet(out)


def test_streamed_rows_columns_and_dtypes(streamed, source_file):
    df, res, syn = streamed
    assert res.streamed and res.rows == len(syn) == 2_500
    assert res.sample_rows == 600 and res.checked_rows == 1_000
    source = pd.read_parquet(source_file[1])
    assert list(syn.columns) == list(source.columns)
    assert syn.dtypes.to_dict() == source.dtypes.to_dict()
    assert res.report.rows_actual == 2_500 and res.report.rows_expected == 2_500
    assert not res.report.schema_problems


def test_fresh_keys_unique_across_chunks(streamed):
    df, res, syn = streamed
    assert syn["customer_id"].is_unique and not syn["customer_id"].isin(df["customer_id"]).any()
    assert res.plan["account_no"].action == "pseudonymize"
    tokens = syn["account_no"].dropna()
    assert tokens.is_unique and len(tokens) > 2_000
    assert not tokens.isin(df["account_no"]).any()


def test_no_source_pii_in_output(streamed):
    df, res, syn = streamed
    assert {res.plan["name"].entity, res.plan["email"].entity} == {"PERSON", "EMAIL_ADDRESS"}
    for col in ("name", "email"):
        source_values = {normalize_value(v) for v in df[col]}
        assert not {normalize_value(v) for v in syn[col].dropna()} & source_values
    leaks = pii_leaks(df, syn, res.plan)
    assert sum(leaks.values()) == 0
    assert sum(res.report.pii_leaks.values()) == 0
    outcomes = {o.name: o.passed for o in res.report.outcomes()}
    assert outcomes["no_pii_in_synthetic"] and outcomes["row_count_matches"]


def test_same_seed_same_output_any_worker_count(streamed, source_file, tmp_path):
    _, res, syn = streamed
    out = tmp_path / "again.parquet"
    options = StreamOptions(**{**OPTIONS.__dict__, "workers": 2})
    again = synth_file(source_file[1], out, TABLE, rows=2_500, seed=4, key=KEY, options=options)
    assert again.workers == 2
    pd.testing.assert_frame_equal(syn, pd.read_parquet(out))
    other = synth_file(source_file[1], tmp_path / "other.parquet", TABLE, rows=2_500, seed=5,
                       key=KEY, options=OPTIONS)
    assert not pd.read_parquet(other.output)["income"].equals(syn["income"])


def test_sample_has_the_dtypes_of_a_full_read(tmp_path):
    n = 2_000
    # a single null (and the only "z") in the last row group, which a small sample misses
    nums: list[int | None] = list(range(n - 1)) + [None]
    flags: list[bool | None] = [True] * (n - 1) + [None]
    cats = ["a"] * (n - 1) + ["z"]
    table = pa.table({"n": pa.array(nums, pa.int64()), "flag": pa.array(flags, pa.bool_()),
                      "cat": pa.array(cats).dictionary_encode()})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=500)
    full = pd.read_parquet(path)
    sample = read_parquet_sample(path, 10, seed=1, batch_rows=300)
    assert len(sample) == 10 and sample["n"].notna().all()
    assert sample.dtypes.to_dict() == full.dtypes.to_dict()
    assert list(sample["cat"].cat.categories) == list(full["cat"].cat.categories)


def test_leak_index_built_in_batches(source_file):
    df, _ = source_file
    plan = PiiPlan("people", [ColumnDecision("name", "PERSON", 1.0, "fake"),
                              ColumnDecision("email", "EMAIL_ADDRESS", 1.0, "fake")])
    index = LeakIndex(plan.columns)
    for start in range(0, len(df), 700):
        index.add(df.iloc[start:start + 700])
    candidate = df.sample(500, random_state=1).reset_index(drop=True)
    candidate.loc[0, "plan"] = f"call {df.loc[7, 'name']} today"
    assert index.leaks(candidate) == pii_leaks(df, candidate, plan)
    assert index.leaks(candidate)["name"] == 501
    assert index.leaking(candidate["plan"]).sum() == 1


def test_cli_streams_large_parquet(source_file, tmp_path, capsys):
    _, path = source_file
    out = tmp_path / "cli.parquet"
    assert main(["synth", path, "-o", str(out), "--rows", "1500", "--stream-above", "100",
                 "--sample-rows", "500", "--workers", "0", "--generator", "gaussian_copula"]) == 0
    text = capsys.readouterr().out
    assert "streamed" in text and "checks on a sample" in text
    assert "1,500 rows x 10 columns" in text
    assert len(pd.read_parquet(out)) == 1_500


def test_bad_stream_options_are_input_errors(source_file, tmp_path, capsys):
    _, path = source_file
    assert main(["synth", path, "-o", str(tmp_path / "x.parquet"), "--sample-rows", "0"]) == 2
    assert "sample_rows" in capsys.readouterr().err


def test_a_long_streamed_write_reports_progress(source_file, tmp_path, monkeypatch, caplog):
    import logging

    from tabletwin import progress

    _, path = source_file
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)  # a line after every chunk but the last
    monkeypatch.setattr(progress.log, "propagate", True)  # to caplog, after a CLI test's handler
    with caplog.at_level(logging.INFO, logger="tabletwin.progress"):
        synth_file(path, tmp_path / "p.parquet", TABLE, rows=2_500, seed=4, key=KEY,
                   options=OPTIONS)
    # (distinct: a record can reach pytest's capture twice, through the root and a CLI handler)
    lines = list(dict.fromkeys(r.getMessage() for r in caplog.records
                               if r.name == "tabletwin.progress"))
    assert len(lines) == 3, lines  # chunks of 700: 700, 1,400 and 2,100 of 2,500 rows
    assert lines[0].startswith("table people: 700 of 2,500 synthetic rows written (28%")
