"""PostgreSQL specifics: concurrent readers during publication, the URL never shown, the demo
bank loaded into PostgreSQL and the whole pipeline publishing there."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import yaml

from tabletwin.errors import InputError, PublishError
from tabletwin.warehouse.base import RunRecord
from tabletwin.warehouse.split import SplitWarehouse
from tabletwin.warehouse.postgres import PostgresWarehouse, mask_url
from tests.conftest import ROOT, SMALL_CARDINALITY_MIN, SMALL_FIDELITY_MIN, pg_exec

SECRET = "pw-S3CRET-0xdeadbeef"


def with_password(url: str) -> str:
    """The test URL with a password (trust auth ignores it: it just must never be shown)."""
    return url.replace("postgres@", f"postgres:{SECRET}@").replace("root@", f"root:{SECRET}@")


def rec(partition: str, run: str) -> RunRecord:
    return RunRecord(table_name="t", partition_key=partition, run_id=run, generator="g", seed=1,
                     rows=0, passed=True, scores={}, code_version="test")


def test_a_concurrent_reader_sees_one_whole_version_or_another(pg_url, pg_schemas):
    wh = PostgresWarehouse(pg_url, lock_timeout=30)
    dst = pg_schemas("syn")
    sizes = [20_000, 35_000, 5_000, 50_000, 12_000, 27_000]
    wh.publish(dst, "t", pd.DataFrame({"id": range(sizes[0]), "tag": "v0"}), column_types={},
               record=rec("2026-01-01", "r0"), versions_kept=2)
    seen: list[tuple[int, int, str]] = []
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as con:
            while not stop.is_set():
                try:
                    n, tags, tag = con.execute(
                        f'SELECT count(*), count(DISTINCT tag), min(tag) FROM "{dst}".t').fetchone()
                    seen.append((n, tags, tag))
                except Exception as exc:  # noqa: BLE001 - any error is a failure of the test
                    errors.append(type(exc).__name__)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i, n in enumerate(sizes[1:], start=1):
            df = pd.DataFrame({"id": range(n), "tag": f"v{i}"})
            if i % 2:  # every other version has another column set: drop + create of the view
                df["extra"] = 1.0
            wh.publish(dst, "t", df, column_types={}, record=rec(f"2026-01-{i + 1:02d}", f"r{i}"),
                       versions_kept=2)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors
    print(f"{len(seen)} reads, versions seen: {sorted({t for _, _, t in seen})}")
    expected = {f"v{i}": n for i, n in enumerate(sizes)}
    assert len(seen) > len(sizes)
    for n, tags, tag in seen:
        assert tags == 1 and expected[tag] == n  # one whole published version, never a mix
    assert len({tag for _, _, tag in seen}) >= 2  # the reader did overlap the publications
    assert wh.versions(dst, "t") == ["2026-01-05", "2026-01-06"]


def test_the_url_password_is_never_shown(pg_url, pg_schemas):
    url = with_password(pg_url)
    assert SECRET in url
    wh = PostgresWarehouse(url)
    assert SECRET not in repr(wh) and SECRET not in wh.label and SECRET not in mask_url(url)
    assert SECRET not in mask_url(url + "?password=" + SECRET)
    # errors from the server: publication of bad values
    dst = pg_schemas("syn")
    with pytest.raises(PublishError) as exc:
        wh.publish(dst, "t", pd.DataFrame({"id": ["x"]}), column_types={"id": "BIGINT"},
                   record=rec("2026-01-01", "r"))
    assert SECRET not in str(exc.value)
    # errors connecting: nobody listens on port 1
    down = PostgresWarehouse(url.replace(":5432/", ":1/"))
    with pytest.raises(InputError, match="cannot connect") as exc:
        down.columns("public", "t")
    assert SECRET not in str(exc.value) and "***" in str(exc.value)
    split = SplitWarehouse(wh, down)
    assert SECRET not in repr(split)


def test_bad_urls_are_refused_without_echoing_them():
    with pytest.raises(InputError, match="postgresql\\+psycopg") as exc:
        PostgresWarehouse(f"mysql://u:{SECRET}@h/db")
    assert SECRET not in str(exc.value)
    with pytest.raises(InputError, match="empty"):
        PostgresWarehouse("  ")


def test_demo_bank_loads_into_postgres_with_keys_and_reloads_atomically(pg_url, pg_schemas):
    from tabletwin.cli import main

    schema = pg_schemas("demo")
    url = with_password(pg_url)
    assert main(["demo-warehouse", "--postgres", url, "--schema", schema,
                 "--customers", "50", "--transactions", "200"]) == 0
    wh = PostgresWarehouse(pg_url)
    assert wh.table_keys(schema, "customers") == (["customer_id"], {})
    assert wh.table_keys(schema, "accounts") == (["account_id"],
                                                 {"customer_id": "customers.customer_id"})
    assert wh.table_keys(schema, "transactions") == (["transaction_id"],
                                                     {"account_id": "accounts.account_id"})
    assert len(wh.read_table(schema, "transactions")) == 200
    # a load that fails (a view depends on a demo table) changes nothing
    pg_exec(pg_url, f'CREATE VIEW "{schema}".v AS SELECT * FROM "{schema}".customers')
    with pytest.raises(InputError, match="DependentObjectsStillExist") as exc:
        from tabletwin.demo.load import load_demo_postgres

        load_demo_postgres(url, schema=schema, customers=80, transactions=10)
    assert SECRET not in str(exc.value)
    assert len(wh.read_table(schema, "customers")) == 50
    assert len(wh.read_table(schema, "transactions")) == 200


def test_keys_come_from_the_postgres_constraints(pg_url, pg_schemas):
    from tabletwin.config.loader import parse_catalog
    from tabletwin.demo.load import load_demo_postgres
    from tabletwin.config.keys import with_warehouse_keys

    schema = pg_schemas("demo")
    load_demo_postgres(pg_url, schema=schema, customers=30, transactions=50)
    catalog = parse_catalog({"warehouse": {"kind": "postgres", "source_schema": schema},
                             "tables": {"customers": {}, "accounts": {}, "transactions": {}}})
    keyed = with_warehouse_keys(catalog, PostgresWarehouse(pg_url))
    assert keyed.tables["accounts"].primary_key == "account_id"
    assert keyed.tables["accounts"].foreign_keys == {"customer_id": "customers.customer_id"}
    assert keyed.ordered_tables() == ["customers", "accounts", "transactions"]


def pg_catalog(folder: Path, *, source: str, target: str, keys: bool) -> Path:
    data = yaml.safe_load((ROOT / "tabletwin.yaml").read_text())
    data["warehouse"] = {"kind": "postgres", "url_env": "TT_TEST_SOURCE_URL",
                         "target_url_env": "TT_TEST_TARGET_URL", "source_schema": source,
                         "target_schema": target}
    for cfg in data["tables"].values():
        cfg.setdefault("checks", {})["fidelity_min"] = SMALL_FIDELITY_MIN
        cfg["checks"]["cardinality_min"] = SMALL_CARDINALITY_MIN
        if not keys:  # the keys then come from the warehouse's constraints
            cfg.pop("primary_key", None)
            cfg.pop("foreign_keys", None)
    path = folder / "tabletwin.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_pipeline_publishes_the_demo_into_postgres(pg_url, pg_schemas, tmp_path, monkeypatch,
                                                       capsys):
    from pipelines.run import run_pipeline
    from tabletwin.demo.load import load_demo_postgres

    source, target = pg_schemas("demo"), pg_schemas("syn")
    counts = load_demo_postgres(pg_url, schema=source, customers=400, transactions=3000)
    # two URLs (same server, different spelling) exercise the source/target split
    monkeypatch.setenv("TT_TEST_SOURCE_URL", with_password(pg_url))
    monkeypatch.setenv("TT_TEST_TARGET_URL", with_password(pg_url).replace("+psycopg", ""))
    catalog = pg_catalog(tmp_path, source=source, target=target, keys=False)
    monkeypatch.setenv("TABLETWIN_TODAY", "2026-03-01")  # the run of that day reads its source
    assert run_pipeline(catalog_path=catalog, date="2026-03-01") == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    wh = PostgresWarehouse(pg_url)
    for table, n in counts.items():
        assert wh.query(f'SELECT count(*) AS n FROM "{target}".{table}')["n"][0] == n
        assert wh.versions(target, table) == ["2026-03-01"]
    orphans = wh.query(
        f'SELECT (SELECT count(*) FROM "{target}".accounts a WHERE NOT EXISTS (SELECT 1 FROM '
        f'"{target}".customers c WHERE c.customer_id = a.customer_id)) + (SELECT count(*) FROM '
        f'"{target}".transactions t WHERE NOT EXISTS (SELECT 1 FROM "{target}".accounts a '
        f'WHERE a.account_id = t.account_id)) + (SELECT count(*) FROM "{target}".support_tickets '
        f's WHERE NOT EXISTS (SELECT 1 FROM "{target}".customers c '
        f'WHERE c.customer_id = s.customer_id)) AS n')["n"][0]
    assert orphans == 0
    hist = wh.query(f'SELECT table_name, published FROM "{target}".tabletwin_runs')
    assert sorted(hist["table_name"]) == sorted(counts) and hist["published"].all()
    types = wh.columns(target, "transactions")
    assert types["created_at"] == "timestamp without time zone" and types["is_fraud"] == "boolean"
    # no PII of the source in the published copy
    real = set(wh.read_table(source, "customers")["email"])
    assert not real & set(wh.read_table(target, "customers")["email"])
    # the password is nowhere in Dagster's storage (event log, run config, metadata) or reports
    for folder in (Path(tmp_path), Path(__import__("os").environ["DAGSTER_HOME"])):
        for f in folder.rglob("*"):
            if f.is_file() and f.stat().st_size < 50_000_000:
                assert SECRET.encode() not in f.read_bytes(), f


def test_reads_keep_types_and_nulls(pg_url, pg_schemas):
    s = pg_schemas("src")
    pg_exec(pg_url, f'''CREATE SCHEMA "{s}"; CREATE TABLE "{s}".t (i INTEGER, b BOOLEAN,
        n NUMERIC(10, 2), d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, txt TEXT);
        INSERT INTO "{s}".t VALUES (1, true, 2.25, '2020-01-02', '2020-01-02 03:04:05.5',
                                    '2020-01-02 03:04:05+02', 'a'),
                                   (NULL, NULL, NULL, NULL, NULL, NULL, NULL)''')
    df = PostgresWarehouse(pg_url).read_table(s, "t")
    assert [str(t) for t in df.dtypes] == ["Int64", "boolean", "float64", "datetime64[us]",
                                           "datetime64[us]", "datetime64[us, UTC]", "object"]
    first = df.iloc[0]
    assert (first["i"], first["b"], first["n"], first["txt"]) == (1, True, 2.25, "a")
    assert first["d"] == pd.Timestamp("2020-01-02")
    assert first["ts"] == pd.Timestamp("2020-01-02 03:04:05.5")
    assert first["tz"] == pd.Timestamp("2020-01-02 01:04:05", tz="UTC")
    assert df.iloc[1].isna().all()
    pg_exec(pg_url, f"""INSERT INTO "{s}".t (d) VALUES ('infinity')""")
    with pytest.raises(InputError, match="column 'd'"):
        PostgresWarehouse(pg_url).read_table(s, "t")


def test_published_values_round_trip(pg_url, pg_schemas):
    """COPY text built column-wise: escapes, NULLs, empty strings, time zones, NaN, categories."""
    dst = pg_schemas("syn")
    wh = PostgresWarehouse(pg_url)
    nasty = ["tab\there", "new\nline", "back\\slash", "\\N", "", None, "ünïcødé", "cr\rx"]
    n = len(nasty)
    df = pd.DataFrame({
        "s": nasty,
        "i": pd.array([1, None, 3, 4, 5, 6, 7, -(2 ** 62)], dtype="Int64"),
        "f": [0.1, float("nan"), 1e-300, -2.5, 1e20, 3.0, float("inf"), 7.0],
        "b": pd.array([True, False, None, True, True, False, True, False], dtype="boolean"),
        "ts": pd.to_datetime(["2020-01-01 10:00:00.123456", None] + ["2021-06-30 00:00:00.000000"] * 6),
        "tz": pd.to_datetime(["2020-01-01 10:00:00+02:00"] * n, utc=True),
        "c": pd.Categorical(["x", "y"] * 4),
        "d": [pd.Timestamp("2020-02-03").date()] * (n - 1) + [None],
    })
    wh.publish(dst, "t", df, column_types={}, record=rec("2026-01-01", "r"))
    back = wh.query(f'SELECT * FROM "{dst}".t')
    assert back["s"].tolist() == nasty
    assert back["i"].tolist()[0] == 1 and pd.isna(back["i"][1]) and back["i"][7] == -(2 ** 62)
    assert back["f"].tolist()[2:] == df["f"].tolist()[2:] and back["f"][0] == 0.1
    assert pd.isna(back["f"][1])
    assert back["b"].tolist()[:2] == [True, False] and pd.isna(back["b"][2])
    assert back["ts"][0] == df["ts"][0] and pd.isna(back["ts"][1])
    assert (back["tz"] == df["tz"]).all()
    assert back["c"].tolist() == ["x", "y"] * 4
    types = wh.columns(dst, "t")
    assert types["d"] == "date" and types["tz"] == "timestamp with time zone"
    assert types["i"] == "bigint" and types["f"] == "double precision" and types["s"] == "text"
    # a column COPY text cannot be built for column-wise goes through psycopg's adapters
    slow = pd.DataFrame({"gap": pd.to_timedelta([1, None, 3], unit="h"), "s": ["a\tb", None, ""]})
    wh.publish(dst, "u", slow, column_types={}, record=rec("2026-01-01", "r"))
    assert wh.columns(dst, "u")["gap"] == "interval"
    assert wh.query(f'SELECT s FROM "{dst}".u')["s"].tolist() == ["a\tb", None, ""]
