"""Tests of the seeded demo bank warehouse (tabletwin.demo)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tabletwin.demo.load import build_demo_warehouse

SMALL = {"customers": 500, "transactions": 3000}
MEDIUM = {"customers": 5000, "transactions": 100_000}

SCHEMA = {
    "customers": [
        ("customer_id", "BIGINT"), ("full_name", "VARCHAR"), ("email", "VARCHAR"), ("phone", "VARCHAR"),
        ("ssn", "VARCHAR"), ("street_address", "VARCHAR"), ("city", "VARCHAR"), ("state", "VARCHAR"),
        ("date_of_birth", "DATE"), ("signup_date", "DATE"), ("segment", "VARCHAR"),
        ("annual_income", "DOUBLE"), ("credit_score", "INTEGER"),
    ],
    "accounts": [
        ("account_id", "BIGINT"), ("customer_id", "BIGINT"), ("account_type", "VARCHAR"),
        ("opened_date", "DATE"), ("balance", "DOUBLE"),
    ],
    "transactions": [
        ("transaction_id", "BIGINT"), ("account_id", "BIGINT"), ("created_at", "TIMESTAMP"),
        ("amount", "DOUBLE"), ("merchant_category", "VARCHAR"), ("channel", "VARCHAR"),
        ("is_fraud", "BOOLEAN"),
    ],
    "support_tickets": [
        ("ticket_id", "BIGINT"), ("customer_id", "BIGINT"), ("created_at", "TIMESTAMP"),
        ("category", "VARCHAR"), ("notes", "VARCHAR"),
    ],
}
PRIMARY_KEYS = {"customers": "customer_id", "accounts": "account_id", "transactions": "transaction_id",
                "support_tickets": "ticket_id"}
FOREIGN_KEYS = [("accounts", "customer_id", "customers"), ("transactions", "account_id", "accounts"),
                ("support_tickets", "customer_id", "customers")]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "small.duckdb"
    counts = build_demo_warehouse(path, **SMALL)
    con = duckdb.connect(str(path), read_only=True)
    yield con, counts
    con.close()


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp("demo") / "medium.duckdb"
    build_demo_warehouse(path, **MEDIUM)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    [(value,)] = con.execute(sql).fetchall()
    return value


def test_tables_and_exact_columns(small) -> None:
    con, _ = small
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, []).append((column, data_type))
    assert found == SCHEMA


def test_keys_are_declared(small) -> None:
    con, _ = small
    rows = con.execute(
        "SELECT table_name, constraint_type, constraint_column_names, referenced_table "
        "FROM duckdb_constraints() "
        "WHERE schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
    ).fetchall()
    expected = {(t, "PRIMARY KEY", (pk,), None) for t, pk in PRIMARY_KEYS.items()}
    expected |= {(t, "FOREIGN KEY", (col,), parent) for t, col, parent in FOREIGN_KEYS}
    assert {(t, kind, tuple(cols), ref) for t, kind, cols, ref in rows} == expected


def test_row_counts(small) -> None:
    con, counts = small
    assert set(counts) == set(SCHEMA)
    for table, n in counts.items():
        assert scalar(con, f"SELECT count(*) FROM {table}") == n
    assert counts["customers"] == SMALL["customers"]
    assert counts["transactions"] == SMALL["transactions"]
    assert 1.3 <= counts["accounts"] / SMALL["customers"] <= 1.9
    assert 0.15 <= counts["support_tickets"] / SMALL["customers"] <= 0.35


@pytest.mark.parametrize(("table", "pk"), PRIMARY_KEYS.items())
def test_primary_keys_unique(small, table: str, pk: str) -> None:
    con, _ = small
    assert scalar(con, f"SELECT count(*) = count(DISTINCT {pk}) AND count({pk}) = count(*) FROM {table}")


@pytest.mark.parametrize(("child", "column", "parent"), FOREIGN_KEYS)
def test_no_orphans(small, child: str, column: str, parent: str) -> None:
    con, _ = small
    orphans = scalar(con, f"SELECT count(*) FROM {child} c ANTI JOIN {parent} p USING ({column})")
    assert orphans == 0


def test_dates_in_order_and_range(small) -> None:
    con, _ = small
    assert scalar(con, """
        SELECT count(*) FROM customers WHERE date_of_birth > DATE '2008-01-01'
            OR date_of_birth <= DATE '1935-01-01' OR signup_date < DATE '2015-01-01'
            OR signup_date > DATE '2026-06-30' OR signup_date < date_of_birth + INTERVAL 18 YEAR""") == 0
    assert scalar(con, """
        SELECT count(*) FROM accounts a JOIN customers c USING (customer_id)
        WHERE a.opened_date < c.signup_date OR a.opened_date > DATE '2026-10-31'""") == 0
    assert scalar(con, """
        SELECT count(*) FROM transactions t JOIN accounts a USING (account_id)
        WHERE t.created_at < a.opened_date OR t.created_at >= TIMESTAMP '2026-11-01'""") == 0
    assert scalar(con, """
        SELECT count(*) FROM support_tickets t JOIN customers c USING (customer_id)
        WHERE t.created_at <= c.signup_date OR t.created_at >= TIMESTAMP '2026-11-01'""") == 0


def test_ssns_valid_and_unique(small) -> None:
    con, _ = small
    ssns = [s for (s,) in con.execute("SELECT ssn FROM customers").fetchall()]
    assert len(set(ssns)) == len(ssns)
    for ssn in ssns:
        assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", ssn), ssn
        area, group, serial = ssn.split("-")
        assert area != "000" and area != "666" and int(area) < 900, ssn
        assert group != "00" and serial != "0000", ssn


def test_emails_unique_and_phones_plausible(small) -> None:
    con, _ = small
    rows = con.execute("SELECT email, phone FROM customers").fetchall()
    emails = [e for e, _ in rows]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z]+\.(com|net|org)", e) for e in emails)
    phone = re.compile(r"\((\d{3})\) (\d{3})-\d{4}|(\d{3})-(\d{3})-\d{4}|\+1 (\d{3}) (\d{3}) \d{4}"
                       r"|(\d{3})\.(\d{3})\.\d{4}")
    for _, number in rows:
        match = phone.fullmatch(number)
        assert match, number
        area, exchange = (int(g) for g in match.groups() if g is not None)
        assert 200 <= area <= 999 and 200 <= exchange <= 999 and exchange % 100 != 11, number


def test_value_domains(small) -> None:
    con, _ = small
    assert {s for (s,) in con.execute("SELECT DISTINCT segment FROM customers").fetchall()} <= {
        "mass", "affluent", "private", "student"}
    assert {s for (s,) in con.execute("SELECT DISTINCT account_type FROM accounts").fetchall()} == {
        "checking", "savings", "credit_card", "mortgage"}
    assert {s for (s,) in con.execute("SELECT DISTINCT channel FROM transactions").fetchall()} == {
        "pos", "online", "atm", "mobile"}
    assert {s for (s,) in con.execute("SELECT DISTINCT category FROM support_tickets").fetchall()} <= {
        "card", "login", "fees", "fraud", "address_change", "other"}
    assert scalar(con, "SELECT count(DISTINCT merchant_category) FROM transactions") >= 10
    assert scalar(con, "SELECT min(credit_score) >= 300 AND max(credit_score) <= 850 FROM customers")
    assert scalar(con, "SELECT min(amount) > 0 AND bool_and(amount = round(amount, 2)) "
                       "FROM transactions")
    assert scalar(con, "SELECT max(balance) FROM accounts WHERE account_type = 'credit_card'") <= 0
    null_income = scalar(con, "SELECT avg((annual_income IS NULL)::INT) FROM customers")
    assert 0 < null_income < 0.05
    assert scalar(con, "SELECT count(*) FROM customers "
                       "WHERE state <> upper(state) OR length(state) <> 2") == 0
    # the state is a function of the city
    assert scalar(con, "SELECT max(n) FROM "
                       "(SELECT count(DISTINCT state) AS n FROM customers GROUP BY city)") == 1


def test_fraud_rate_and_amount_effect(medium) -> None:
    rate = scalar(medium, "SELECT avg(is_fraud::INT) FROM transactions")
    assert 0.003 <= rate <= 0.008
    above, below = medium.execute("""
        WITH m AS (SELECT median(amount) AS med FROM transactions)
        SELECT avg(is_fraud::INT) FILTER (WHERE amount > med),
               avg(is_fraud::INT) FILTER (WHERE amount <= med)
        FROM transactions, m""").fetchone()
    assert above > below
    remote, in_person = medium.execute("""
        SELECT avg(is_fraud::INT) FILTER (WHERE channel IN ('online', 'mobile')),
               avg(is_fraud::INT) FILTER (WHERE channel IN ('pos', 'atm'))
        FROM transactions""").fetchone()
    assert remote > in_person


def test_income_dependencies(medium) -> None:
    assert scalar(medium, "SELECT corr(ln(annual_income), credit_score) FROM customers") > 0.3
    medians = dict(medium.execute(
        "SELECT segment, median(annual_income) FROM customers GROUP BY segment").fetchall())
    assert medians["student"] < medians["mass"] < medians["affluent"] < medians["private"]


def test_notes_quote_the_customers_pii(medium) -> None:
    share = scalar(medium, """
        SELECT avg((contains(t.notes, c.full_name) OR contains(t.notes, c.email)
                    OR contains(t.notes, c.phone))::INT)
        FROM support_tickets t JOIN customers c USING (customer_id)""")
    assert 0.33 <= share <= 0.47


def _dump(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: con.execute(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
                for table, pk in PRIMARY_KEYS.items()}


def test_deterministic_per_seed(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_demo_warehouse(first, seed=3, **SMALL)
    build_demo_warehouse(second, seed=3, **SMALL)
    build_demo_warehouse(other, seed=4, **SMALL)
    assert _dump(first) == _dump(second)
    different = _dump(other)
    assert all(different[t] != rows for t, rows in _dump(first).items())


def test_overwrites_existing_file_without_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    path.write_bytes(b"not a database")
    counts = build_demo_warehouse(path, customers=50, transactions=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]
    assert _dump(path)["customers"] and counts["customers"] == 50


@pytest.mark.parametrize("sizes", [{"customers": 0}, {"transactions": -1}])
def test_rejects_bad_sizes(tmp_path: Path, sizes: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        build_demo_warehouse(tmp_path / "x.duckdb", **sizes)
