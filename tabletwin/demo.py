"""A seeded, realistic retail-bank warehouse in DuckDB, for demos, tests and benchmarks.

`build_demo_warehouse` writes four related tables to schema ``main`` of a DuckDB file:

* ``customers``: names, emails, phones, SSNs and addresses (all PII), plus demographics whose
  dependencies a model should pick up: income is hump-shaped in age and depends on segment, the
  credit score follows log income and age.
* ``accounts``: 0-4 per customer; the type mix depends on the segment, balances on type and income.
* ``transactions``: heavy-tailed activity per account, a daily hour profile, lognormal amounts by
  merchant category, and fraud flags drawn from a logistic model of amount, channel and night hours.
* ``support_tickets``: free-text notes from templates, about 40% of which quote the customer's own
  full name, email or phone exactly as stored in ``customers`` (PII hidden in free text).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed and sizes give identical
table contents. Names come from Faker's word lists drawn with numpy (calling Faker per row is far too
slow). The bank's "today" is 2026-10-31: nothing happens after that day.

This module is pure (no Dagster): assets and benchmarks call it.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from faker.providers.person.en_US import Provider as _FakerPerson

__all__ = ["ACCOUNT_TYPES", "CHANNELS", "MERCHANT_CATEGORIES", "SEGMENTS", "TICKET_CATEGORIES",
           "build_demo_warehouse"]

_AGE_REFERENCE = np.datetime64("2026-01-01")  # ages 18-90 are as of this day
_YOUNGEST_DOB = np.datetime64("2008-01-01")  # 18 on _AGE_REFERENCE
_OLDEST_DOB = np.datetime64("1935-01-02")  # 90 on _AGE_REFERENCE
_SIGNUP_FIRST = np.datetime64("2015-01-01")
_SIGNUP_LAST = np.datetime64("2026-06-30")
_TODAY = np.datetime64("2026-10-31")  # last day anything happens

# (city, state, weight ~ population in 100k, area codes serving the city)
_CITIES: tuple[tuple[str, str, float, tuple[int, ...]], ...] = (
    ("New York", "NY", 88.0, (212, 718, 917, 646, 347)),
    ("Los Angeles", "CA", 39.0, (213, 310, 323, 818)),
    ("Chicago", "IL", 27.0, (312, 773, 872)),
    ("Houston", "TX", 23.0, (713, 281, 832)),
    ("Phoenix", "AZ", 16.0, (602, 480, 623)),
    ("Philadelphia", "PA", 16.0, (215, 267)),
    ("San Antonio", "TX", 14.5, (210,)),
    ("San Diego", "CA", 13.9, (619, 858)),
    ("Dallas", "TX", 13.0, (214, 469, 972)),
    ("San Jose", "CA", 10.0, (408, 669)),
    ("Austin", "TX", 9.7, (512, 737)),
    ("Jacksonville", "FL", 9.5, (904,)),
    ("Fort Worth", "TX", 9.4, (817, 682)),
    ("Columbus", "OH", 9.0, (614, 380)),
    ("Charlotte", "NC", 8.8, (704, 980)),
    ("Indianapolis", "IN", 8.8, (317,)),
    ("San Francisco", "CA", 8.1, (415, 628)),
    ("Seattle", "WA", 7.5, (206,)),
    ("Denver", "CO", 7.2, (303, 720)),
    ("Washington", "DC", 6.8, (202,)),
    ("Nashville", "TN", 6.8, (615, 629)),
    ("Oklahoma City", "OK", 6.9, (405,)),
    ("El Paso", "TX", 6.8, (915,)),
    ("Boston", "MA", 6.5, (617, 857)),
    ("Portland", "OR", 6.3, (503, 971)),
    ("Las Vegas", "NV", 6.6, (702, 725)),
    ("Detroit", "MI", 6.2, (313,)),
    ("Memphis", "TN", 6.2, (901,)),
    ("Louisville", "KY", 6.2, (502,)),
    ("Baltimore", "MD", 5.7, (410, 443)),
    ("Milwaukee", "WI", 5.6, (414,)),
    ("Albuquerque", "NM", 5.6, (505,)),
    ("Tucson", "AZ", 5.4, (520,)),
    ("Fresno", "CA", 5.4, (559,)),
    ("Sacramento", "CA", 5.3, (916,)),
    ("Kansas City", "MO", 5.1, (816,)),
    ("Mesa", "AZ", 5.1, (480,)),
    ("Atlanta", "GA", 5.0, (404, 470, 678)),
    ("Omaha", "NE", 4.9, (402,)),
    ("Colorado Springs", "CO", 4.9, (719,)),
    ("Raleigh", "NC", 4.7, (919, 984)),
    ("Miami", "FL", 4.5, (305, 786)),
    ("Minneapolis", "MN", 4.3, (612,)),
    ("Tulsa", "OK", 4.1, (918,)),
    ("Cleveland", "OH", 3.7, (216,)),
    ("Wichita", "KS", 4.0, (316,)),
    ("New Orleans", "LA", 3.8, (504,)),
    ("Tampa", "FL", 4.0, (813,)),
    ("Pittsburgh", "PA", 3.0, (412,)),
    ("Cincinnati", "OH", 3.1, (513,)),
    ("St. Louis", "MO", 2.9, (314,)),
    ("Orlando", "FL", 3.1, (407, 321)),
    ("Salt Lake City", "UT", 2.0, (801, 385)),
    ("Buffalo", "NY", 2.8, (716,)),
    ("Richmond", "VA", 2.3, (804,)),
    ("Boise", "ID", 2.4, (208,)),
    ("Des Moines", "IA", 2.1, (515,)),
    ("Birmingham", "AL", 2.0, (205,)),
    ("Anchorage", "AK", 2.9, (907,)),
    ("Honolulu", "HI", 3.4, (808,)),
    ("Hartford", "CT", 1.2, (860,)),
    ("Providence", "RI", 1.9, (401,)),
    ("Spokane", "WA", 2.3, (509,)),
    ("Madison", "WI", 2.7, (608,)),
    ("Charleston", "SC", 1.5, (843,)),
    ("Little Rock", "AR", 2.0, (501,)),
    ("Newark", "NJ", 3.1, (973, 862)),
)
_CITY_NAMES = np.array([c[0] for c in _CITIES], dtype=object)
_CITY_STATES = np.array([c[1] for c in _CITIES], dtype=object)
_CITY_P = np.array([c[2] for c in _CITIES]) / sum(c[2] for c in _CITIES)
_AREA_CODES = np.array([code for c in _CITIES for code in c[3]])
_AREA_CODE_COUNT = np.array([len(c[3]) for c in _CITIES])
_AREA_CODE_START = np.cumsum(_AREA_CODE_COUNT) - _AREA_CODE_COUNT
# Central-office codes 200-999 except N11 service codes and the fictional 555.
_EXCHANGES = np.array([e for e in range(200, 1000) if e % 100 != 11 and e != 555])
_PHONE_FORMATS = ("({a}) {e}-{s:04d}", "{a}-{e}-{s:04d}", "+1 {a} {e} {s:04d}", "{a}.{e}.{s:04d}")
_PHONE_FORMAT_P = (0.35, 0.35, 0.15, 0.15)

# A few accented names (with the weight of a mid-frequency name) exercise unicode handling.
_EXTRA_MALE = {"José": 0.004, "André": 0.002, "Raúl": 0.0015, "Björn": 0.0005}
_EXTRA_FEMALE = {"Zoë": 0.002, "Renée": 0.002, "Chloé": 0.0015, "Inés": 0.001}
_EXTRA_LAST = {"García": 0.004, "Muñoz": 0.002, "Peña": 0.0015, "Núñez": 0.001, "Schäfer": 0.0005}
_MIDDLE_INITIALS = np.array(list("ABCDEFGHJKLMNPRSTW"), dtype=object)

_STREET_NAMES = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church",
    "Walnut", "Sunset", "Highland", "Jefferson", "Lincoln", "Madison", "Franklin", "Jackson",
    "Willow", "Cherry", "Spring", "Meadow", "River", "Forest", "Ridge", "Valley", "Chestnut",
    "Hickory", "Birch", "1st", "2nd", "3rd", "4th", "5th", "Center", "Mill", "Broad", "Market",
    "Adams", "Lakeview", "Dogwood", "Magnolia",
)
_STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Pl", "Ter", "Cir", "Pkwy")
_STREET_SUFFIX_P = (0.24, 0.2, 0.14, 0.12, 0.08, 0.05, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01)

_EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
                  "comcast.net", "example.com", "example.org", "example.net")
_EMAIL_DOMAIN_P = (0.38, 0.13, 0.1, 0.08, 0.09, 0.03, 0.03, 0.08, 0.04, 0.04)
_EMAIL_PATTERNS = ("{f}.{l}", "{f}{l}", "{f}_{l}", "{i}{l}", "{l}.{f}")
_EMAIL_PATTERN_P = (0.45, 0.15, 0.1, 0.2, 0.1)

SEGMENTS = ("mass", "affluent", "private", "student")
ACCOUNT_TYPES = ("checking", "savings", "credit_card", "mortgage")
CHANNELS = ("pos", "online", "atm", "mobile")
TICKET_CATEGORIES = ("card", "login", "fees", "fraud", "address_change", "other")

# Accounts per customer (0..4) by segment, and account type mix by segment (rows follow SEGMENTS).
_ACCOUNT_COUNT_P = np.array([
    [0.09, 0.47, 0.29, 0.11, 0.04],
    [0.04, 0.30, 0.36, 0.20, 0.10],
    [0.02, 0.20, 0.35, 0.25, 0.18],
    [0.12, 0.60, 0.23, 0.05, 0.00],
])
_ACCOUNT_TYPE_P = np.array([
    [0.45, 0.25, 0.25, 0.05],
    [0.33, 0.25, 0.25, 0.17],
    [0.30, 0.28, 0.20, 0.22],
    [0.60, 0.25, 0.15, 0.00],
])

# merchant category: (median amount, lognormal sigma)
_MERCHANTS: dict[str, tuple[float, float]] = {
    "grocery": (55.0, 0.6), "restaurants": (35.0, 0.6), "gas": (45.0, 0.35),
    "online_retail": (60.0, 0.9), "travel": (350.0, 0.9), "electronics": (250.0, 0.9),
    "utilities": (120.0, 0.5), "atm": (100.0, 0.0), "pharmacy": (25.0, 0.7),
    "entertainment": (40.0, 0.8), "clothing": (75.0, 0.7), "transfer": (400.0, 1.0),
}
MERCHANT_CATEGORIES = tuple(_MERCHANTS)
_ATM_AMOUNTS = np.array([20.0, 40.0, 60.0, 80.0, 100.0, 200.0, 300.0, 500.0])
_ATM_AMOUNT_P = np.array([0.12, 0.2, 0.16, 0.1, 0.2, 0.12, 0.06, 0.04])
# Relative transaction activity by account type (cards busy, savings rare, mortgages monthly).
_ACTIVITY_BY_TYPE = np.array([1.0, 0.08, 1.3, 0.04])
# Merchant category mix by account type (rows follow ACCOUNT_TYPES, columns MERCHANT_CATEGORIES).
_MERCHANT_P = np.array([
    [0.20, 0.14, 0.10, 0.10, 0.02, 0.02, 0.08, 0.12, 0.05, 0.05, 0.04, 0.08],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.10, 0.00, 0.00, 0.00, 0.90],
    [0.15, 0.18, 0.10, 0.18, 0.08, 0.06, 0.04, 0.01, 0.04, 0.08, 0.08, 0.00],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00],
])
# Channel mix (columns follow CHANNELS) by merchant category.
_CHANNEL_P = np.array([
    [0.85, 0.00, 0.00, 0.15],  # grocery
    [0.85, 0.00, 0.00, 0.15],  # restaurants
    [0.90, 0.00, 0.00, 0.10],  # gas
    [0.00, 0.65, 0.00, 0.35],  # online_retail
    [0.25, 0.55, 0.00, 0.20],  # travel
    [0.50, 0.35, 0.00, 0.15],  # electronics
    [0.10, 0.60, 0.00, 0.30],  # utilities
    [0.00, 0.00, 1.00, 0.00],  # atm
    [0.85, 0.00, 0.00, 0.15],  # pharmacy
    [0.60, 0.25, 0.00, 0.15],  # entertainment
    [0.80, 0.05, 0.00, 0.15],  # clothing
    [0.00, 0.50, 0.00, 0.50],  # transfer
])
_HOUR_WEIGHTS = np.array([1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.5, 3.0, 4.5, 5.0, 5.5, 6.5,
                          7.5, 7.0, 6.0, 5.8, 6.0, 6.8, 7.2, 6.5, 5.2, 4.0, 3.0, 2.0])
_FRAUD_RATE = 0.005

_TICKET_CATEGORY_P = (0.25, 0.22, 0.15, 0.12, 0.10, 0.16)
_PII_NOTE_SHARE = 0.4
# category -> (templates quoting the customer's name/email/phone, templates without personal data)
_NOTE_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "card": (
        ("Customer {name} called about a blocked card; callback at {phone}.",
         "Replacement card requested by {name}; confirmation sent to {email}."),
        ("Card declined abroad; travel notice added and card unblocked.",
         "Contactless payments not working; new card ordered, arrives in {days} business days."),
    ),
    "login": (
        ("Password reset link sent to {email} after {name} was locked out.",
         "Customer could not receive 2FA codes at {phone}; verified identity and updated the device."),
        ("Reset password link sent; issue resolved on first contact.",
         "App crashed on login after the update; advised a reinstall, works now."),
    ),
    "fees": (
        ("{name} disputes a ${fee} overdraft fee; refund approved as a one-time courtesy.",),
        ("Explained the monthly maintenance fee and how to waive it with direct deposit.",
         "Refunded a ${fee} foreign transaction fee charged in error.",
         "Customer asked about ATM fee reimbursement; policy explained."),
    ),
    "fraud": (
        ("{name} reported {count} unrecognized card transactions; card cancelled, claim opened.",
         "Suspicious login alert sent to {email}; customer confirmed it was not them.",
         "Fraud team called {phone} to verify a large online purchase."),
        ("Phishing text reported; no credentials shared, no further action needed.",
         "Dispute filed for a duplicate merchant charge; provisional credit issued."),
    ),
    "address_change": (
        ("{name} moved; mailing address updated and confirmation emailed to {email}.",
         "Address change requested by phone from {phone}; verification code sent."),
        ("Address updated via secure message; proof of residence on file.",
         "Returned mail received; account flagged until the address is confirmed."),
    ),
    "other": (
        ("{name} asked for a copy of last year's tax forms; sent to {email}.",
         "Customer {name} requested a callback at {phone} about mortgage rates."),
        ("General question about branch opening hours; answered.",
         "Customer asked how to set up direct deposit; instructions provided.",
         "Feedback about the new mobile app layout logged for the product team."),
    ),
}

_DDL = """
CREATE TABLE main.customers (
    customer_id BIGINT PRIMARY KEY,
    full_name VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,
    ssn VARCHAR NOT NULL,
    street_address VARCHAR NOT NULL,
    city VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    date_of_birth DATE NOT NULL,
    signup_date DATE NOT NULL,
    segment VARCHAR NOT NULL,
    annual_income DOUBLE,
    credit_score INTEGER NOT NULL
);
CREATE TABLE main.accounts (
    account_id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES main.customers (customer_id),
    account_type VARCHAR NOT NULL,
    opened_date DATE NOT NULL,
    balance DOUBLE NOT NULL
);
CREATE TABLE main.transactions (
    transaction_id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES main.accounts (account_id),
    created_at TIMESTAMP NOT NULL,
    amount DOUBLE NOT NULL,
    merchant_category VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    is_fraud BOOLEAN NOT NULL
);
CREATE TABLE main.support_tickets (
    ticket_id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES main.customers (customer_id),
    created_at TIMESTAMP NOT NULL,
    category VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
);
"""


def build_demo_warehouse(path: str | os.PathLike, *, seed: int = 7, customers: int = 20_000,
                         transactions: int = 200_000) -> dict[str, int]:
    """Write a seeded DuckDB file that looks like a real retail bank (schema `main`); returns rows per table.

    Tables, in foreign-key order: ``customers`` (``customers`` rows), ``accounts`` (about 1.6 per
    customer), ``transactions`` (``transactions`` rows) and ``support_tickets`` (about 0.25 per
    customer); primary and foreign keys are declared. An existing file at ``path`` is replaced
    atomically: the database is built in a temporary file next to it and moved into place, so a crash
    never leaves a half-written file. The same ``seed`` and sizes give identical table contents.
    """
    return _write_atomically(Path(path), demo_tables(seed=seed, customers=customers,
                                                     transactions=transactions))


def demo_tables(*, seed: int = 7, customers: int = 20_000,
                transactions: int = 200_000) -> dict[str, pd.DataFrame]:
    """The demo bank's four tables, parents first (what :func:`build_demo_warehouse` loads)."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    if transactions < 0:
        raise ValueError(f"transactions must not be negative, got {transactions}")
    rng_customers, rng_accounts, rng_transactions, rng_tickets = np.random.default_rng(seed).spawn(4)
    customer_df, latent_income = _customers(rng_customers, customers)
    account_df = _accounts(rng_accounts, customer_df, latent_income)
    return {
        "customers": customer_df,
        "accounts": account_df,
        "transactions": _transactions(rng_transactions, account_df, transactions),
        "support_tickets": _support_tickets(rng_tickets, customer_df),
    }


def postgres_ddl(schema: str = "main") -> str:
    """The demo tables' DDL (keys declared) for PostgreSQL, in ``schema``."""
    import re

    ddl = re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", _DDL)
    return ddl.replace("main.", f'"{schema}".')


def load_demo_postgres(url: str, *, schema: str = "main", seed: int = 7, customers: int = 20_000,
                       transactions: int = 200_000) -> dict[str, int]:
    """Load the demo bank into ``schema`` of a PostgreSQL database (URL
    ``postgresql+psycopg://...``), primary and foreign keys declared; returns rows per table.

    One transaction: existing demo tables in ``schema`` are replaced by the new ones at the
    commit, so readers see the old tables or the new, never a half-loaded set. Other objects in
    the schema are left alone (a view on a demo table makes the load fail, changing nothing)."""
    from tabletwin.warehouse.postgres import PostgresWarehouse, load_error
    from tabletwin.warehouse.postgres_copy import copy_frame

    tables = demo_tables(seed=seed, customers=customers, transactions=transactions)
    wh = PostgresWarehouse(url)
    q = f'"{schema}"'
    with wh.connect() as con:
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
            for name in reversed(list(tables)):  # children first
                con.execute(f"DROP TABLE IF EXISTS {q}.{name}")
            con.execute(postgres_ddl(schema))
            counts = {}
            with con.cursor() as cur:
                for name, frame in tables.items():
                    copy_frame(cur, f"{q}.{name}", frame)
                    counts[name] = cur.execute(f"SELECT count(*) FROM {q}.{name}").fetchone()[0]
            con.commit()
        except Exception as exc:  # noqa: BLE001 - reported by class, never by message
            con.rollback()
            raise load_error(f"loading the demo bank into {wh.label} schema {schema!r}",
                             exc) from None
    return counts


def _write_atomically(path: Path, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Create the schema, load ``tables`` (parents first) into a temp file and move it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as tmp_dir:
        tmp_path = Path(tmp_dir) / path.name
        con = duckdb.connect(str(tmp_path))
        try:
            con.execute(_DDL).complete()
            counts = {}
            for name, frame in tables.items():
                con.register("_frame", frame)
                con.execute(f"INSERT INTO main.{name} BY NAME SELECT * FROM _frame").complete()
                con.unregister("_frame")
                [(counts[name],)] = con.execute(f"SELECT count(*) FROM main.{name}").fetchall()
            con.checkpoint()
        finally:
            con.close()
        # A write-ahead log left by the file being replaced would be replayed onto the new one.
        Path(f"{path}.wal").unlink(missing_ok=True)
        os.replace(tmp_path, path)
    return counts


def _customers(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``customers`` table, ids ascending with signup date, and each row's income before masking.

    The income with no NULLs (``annual_income`` is ~1.5% NULL) drives balances in ``accounts``.
    """
    # Ages 18-90 on 2026-01-01, skewed towards the 30s-50s.
    age_offset = np.floor(rng.beta(2.0, 3.2, n) * 73 * 365.2425).astype(np.int64)
    dob = _YOUNGEST_DOB - np.minimum(age_offset, (_YOUNGEST_DOB - _OLDEST_DOB).astype(np.int64))
    age = (_AGE_REFERENCE - dob).astype(np.int64) / 365.2425
    birth_month = dob.astype("datetime64[M]")
    day_of_month = dob - birth_month.astype("datetime64[D]")
    adult_on = (birth_month + 18 * 12).astype("datetime64[D]") + day_of_month
    first_day = np.maximum(adult_on, _SIGNUP_FIRST)
    window = (_SIGNUP_LAST - first_day).astype(np.int64) + 1
    signup = first_day + np.floor(rng.beta(1.4, 1.0, n) * window).astype(np.int64)  # growing bank

    # Segment: a multinomial logit in age (students young, private clients rare and older).
    scores = np.column_stack([
        np.zeros(n),
        -2.4 + 0.045 * (np.minimum(age, 62) - 18),
        -6.0 + 0.06 * (np.minimum(age, 70) - 18),
        3.5 - 0.55 * (age - 18),
    ])
    weights = np.exp(scores)
    segment = _choice_by_row(rng, weights / weights.sum(axis=1, keepdims=True))

    # Income: segment level, hump in age peaking at 50, lognormal noise; credit score follows both.
    log_income = (np.array([10.75, 11.6, 12.5, 9.7])[segment]
                  + 0.55 * (1 - ((age - 50) / 32) ** 2) + rng.normal(0.0, 0.45, n))
    income = np.round(np.exp(log_income), 2)
    reported_income = pd.array(np.where(rng.random(n) < 0.015, np.nan, income), dtype="Float64")
    credit_score = np.clip(np.round(690 + 45 * (log_income - 10.9) + 1.6 * (np.minimum(age, 65) - 40)
                                    + rng.normal(0.0, 55.0, n)), 300, 850).astype(np.int32)

    first, last, full_name = _names(rng, n)
    city = rng.choice(len(_CITIES), n, p=_CITY_P)
    frame = pd.DataFrame({
        "full_name": full_name,
        "email": _emails(rng, first, last, dob),
        "phone": _phones(rng, city),
        "ssn": _ssns(rng, n),
        "street_address": _street_addresses(rng, n),
        "city": _CITY_NAMES[city],
        "state": _CITY_STATES[city],
        "date_of_birth": dob,
        "signup_date": signup,
        "segment": np.array(SEGMENTS, dtype=object)[segment],
        "annual_income": reported_income,
        "credit_score": credit_score,
    })
    order = np.argsort(signup, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "customer_id", np.arange(1, n + 1, dtype=np.int64))
    return frame, income[order]


def _names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First names, last names and full names ("First Last", 20% with a middle initial)."""
    male, p_male = _word_pool(_FakerPerson.first_names_male, _EXTRA_MALE)
    female, p_female = _word_pool(_FakerPerson.first_names_female, _EXTRA_FEMALE)
    surnames, p_surnames = _word_pool(_FakerPerson.last_names, _EXTRA_LAST)
    first = np.where(rng.random(n) < 0.5, rng.choice(male, n, p=p_male),
                     rng.choice(female, n, p=p_female))
    last = rng.choice(surnames, n, p=p_surnames)
    middle = np.where(rng.random(n) < 0.2, rng.choice(_MIDDLE_INITIALS, n) + ". ", "")
    return first, last, first + " " + middle + last


def _word_pool(base: Mapping[str, float], extra: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Words and normalised frequencies of a Faker frequency list plus ``extra`` entries."""
    words = {**base, **extra}
    p = np.fromiter(words.values(), dtype=float)
    return np.array(list(words), dtype=object), p / p.sum()


def _ascii_slug(word: str) -> str:
    """Lower-case ASCII letters of ``word`` (accents folded: "Zoë" -> "zoe"), for email addresses."""
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch.isalnum())


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray,
            dob: np.ndarray) -> np.ndarray:
    """Unique emails derived from the names, e.g. ``jane.doe87@gmail.com`` or ``jdoe@example.org``."""
    n = len(first)
    slug = {w: _ascii_slug(w) for w in {*first, *last}}
    patterns = rng.choice(len(_EMAIL_PATTERNS), n, p=_EMAIL_PATTERN_P)
    numbers = np.where(rng.random(n) < 0.5, dob.astype("datetime64[Y]").astype(np.int64) % 100,
                       rng.integers(1, 1000, n))
    with_number = rng.random(n) < 0.55
    local = np.array([
        _EMAIL_PATTERNS[k].format(f=slug[f], l=slug[lst], i=slug[f][:1]) + (f"{num:02d}" if use else "")
        for k, f, lst, num, use in zip(patterns, first, last, numbers, with_number)
    ], dtype=object)
    domain = rng.choice(np.array(_EMAIL_DOMAINS, dtype=object), n, p=_EMAIL_DOMAIN_P)
    email = local + "@" + domain
    while (dup := pd.Series(email).duplicated().to_numpy()).any():
        local[dup] = local[dup] + rng.integers(0, 10, dup.sum()).astype(str).astype(object)
        email[dup] = local[dup] + "@" + domain[dup]
    return email


def _phones(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """US phone numbers in mixed formats; the area code mostly serves the customer's city."""
    n = len(city)
    local_code = _AREA_CODES[_AREA_CODE_START[city]
                             + np.floor(rng.random(n) * _AREA_CODE_COUNT[city]).astype(np.int64)]
    area = np.where(rng.random(n) < 0.85, local_code, rng.choice(_AREA_CODES, n))
    exchange = rng.choice(_EXCHANGES, n)
    line = rng.integers(0, 10_000, n)
    formats = rng.choice(len(_PHONE_FORMATS), n, p=_PHONE_FORMAT_P)
    return np.array([_PHONE_FORMATS[k].format(a=a, e=e, s=s)
                     for k, a, e, s in zip(formats, area, exchange, line)], dtype=object)


def _ssns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique SSNs ``AAA-GG-SSSS`` with a valid area (not 000, 666, 900+), group and serial."""
    areas = np.array([a for a in range(1, 900) if a != 666])
    codes = rng.choice(len(areas) * 99 * 9999, n, replace=False)
    area, rest = np.divmod(codes, 99 * 9999)
    group, serial = np.divmod(rest, 9999)
    return np.array([f"{areas[a]:03d}-{g + 1:02d}-{s + 1:04d}" for a, g, s in zip(area, group, serial)],
                    dtype=object)


def _street_addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """Addresses like ``1234 Maple Ave``; street names are common names or surnames, some with an Apt."""
    number = np.clip(np.exp(rng.normal(6.3, 1.1, n)), 1, 19_999).astype(np.int64)
    surnames, p_surnames = _word_pool(_FakerPerson.last_names, {})
    street = np.where(rng.random(n) < 0.7, rng.choice(np.array(_STREET_NAMES, dtype=object), n),
                      rng.choice(surnames, n, p=p_surnames))
    suffix = rng.choice(np.array(_STREET_SUFFIXES, dtype=object), n, p=_STREET_SUFFIX_P)
    apartment = np.where(rng.random(n) < 0.12, rng.integers(1, 40, n), 0)
    return np.array([f"{num} {st} {suf}" + (f" Apt {apt}" if apt else "")
                     for num, st, suf, apt in zip(number, street, suffix, apartment)], dtype=object)


def _accounts(rng: np.random.Generator, customers: pd.DataFrame, income: np.ndarray) -> pd.DataFrame:
    """The ``accounts`` table (ids ascending with opened date) given each customer's latent income."""
    segment = pd.Categorical(customers["segment"], categories=SEGMENTS).codes
    counts = _choice_by_row(rng, _ACCOUNT_COUNT_P[segment])
    counts[0] = max(counts[0], 1)  # at least one account, so transactions always have a parent
    owner = np.repeat(np.arange(len(customers)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    m = len(owner)

    account_type = _choice_by_row(rng, _ACCOUNT_TYPE_P[segment[owner]])
    account_type[(rank == 0) & (rng.random(m) < 0.8)] = ACCOUNT_TYPES.index("checking")

    # The first account is usually opened on signup, later ones any time up to today.
    signup = customers["signup_date"].to_numpy().astype("datetime64[D]")[owner]
    span = (_TODAY - signup).astype(np.int64)
    first_delay = np.where(rng.random(m) < 0.7, 0, rng.geometric(1 / 20, m))
    later_delay = np.floor(rng.beta(1.0, 1.8, m) * (span + 1)).astype(np.int64)
    opened = signup + np.minimum(np.where(rank == 0, first_delay, later_delay), span)

    # Balances scale with income; credit cards and mortgages are liabilities (<= 0).
    inc = income[owner]
    years_open = (_TODAY - opened).astype(np.int64) / 365.25
    balance = np.select(
        [account_type == k for k in range(len(ACCOUNT_TYPES))],
        [
            np.where(rng.random(m) < 0.03, -rng.uniform(0, 500, m),  # a few overdrafts
                     inc * 0.04 * rng.lognormal(0, 0.9, m)),
            inc * 0.2 * rng.lognormal(0, 1.1, m),
            np.where(rng.random(m) < 0.25, 0.0, -inc * 0.03 * rng.lognormal(0, 0.8, m)),
            -inc * 3.0 * rng.lognormal(0, 0.35, m) * np.clip(1 - years_open / 30, 0.05, 1),
        ],
    )
    order = np.lexsort((rank, owner, opened))
    return pd.DataFrame({
        "account_id": np.arange(1, m + 1, dtype=np.int64),
        "customer_id": customers["customer_id"].to_numpy()[owner[order]],
        "account_type": np.array(ACCOUNT_TYPES, dtype=object)[account_type[order]],
        "opened_date": opened[order],
        "balance": np.round(balance[order], 2) + 0.0,  # + 0.0 turns -0.0 into 0.0
    })


def _transactions(rng: np.random.Generator, accounts: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` transactions (ids ascending with time) over ``accounts``, with fraud flags."""
    account_type = pd.Categorical(accounts["account_type"], categories=ACCOUNT_TYPES).codes
    opened = accounts["opened_date"].to_numpy().astype("datetime64[D]")
    span = (_TODAY - opened).astype(np.int64)
    # Heavy-tailed activity: lognormal propensity x type (cards busy, mortgages monthly) x time open.
    activity = rng.lognormal(0.0, 1.2, len(accounts)) * _ACTIVITY_BY_TYPE[account_type] * (span + 1)
    account = rng.choice(len(accounts), n, p=activity / activity.sum())

    day = opened[account] + np.floor(rng.random(n) * (span[account] + 1)).astype(np.int64)
    hour = rng.choice(24, n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    created_at = day.astype("datetime64[s]") + (hour * 3600 + rng.integers(0, 3600, n))

    category = _choice_by_row(rng, _MERCHANT_P[account_type[account]])
    channel = _choice_by_row(rng, _CHANNEL_P[category])
    median, sigma = (np.array(v) for v in zip(*_MERCHANTS.values()))
    amount = np.where(category == MERCHANT_CATEGORIES.index("atm"),
                      rng.choice(_ATM_AMOUNTS, n, p=_ATM_AMOUNT_P),
                      np.maximum(median[category] * np.exp(sigma[category] * rng.normal(0, 1, n)), 1.0))
    amount = np.round(amount, 2)

    # Fraud: logistic in log amount, remote channel and night hours; the intercept sets the base rate.
    remote = np.isin(channel, [CHANNELS.index("online"), CHANNELS.index("mobile")])
    risk = 0.9 * np.log(amount) + 1.2 * remote + 1.5 * (hour < 6)
    is_fraud = rng.random(n) < _sigmoid(_intercept_for_rate(risk, _FRAUD_RATE) + risk)

    order = np.lexsort((account, created_at))
    return pd.DataFrame({
        "transaction_id": np.arange(1, n + 1, dtype=np.int64),
        "account_id": accounts["account_id"].to_numpy()[account[order]],
        "created_at": created_at[order],
        "amount": amount[order],
        "merchant_category": np.array(MERCHANT_CATEGORIES, dtype=object)[category[order]],
        "channel": np.array(CHANNELS, dtype=object)[channel[order]],
        "is_fraud": is_fraud[order],
    })


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept_for_rate(risk: np.ndarray, rate: float) -> float:
    """The intercept ``b`` with ``mean(sigmoid(b + risk)) == rate`` (bisection; 0.0 for no rows)."""
    if risk.size == 0:
        return 0.0
    low, high = -50.0, 50.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _sigmoid(mid + risk).mean() < rate else (low, mid)
    return (low + high) / 2


def _support_tickets(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """About 0.25 tickets per customer (ids ascending with time); ~40% of notes quote the owner's PII."""
    owner = np.repeat(np.arange(len(customers)), rng.poisson(0.25, len(customers)))
    m = len(owner)
    signup = customers["signup_date"].to_numpy().astype("datetime64[D]")[owner]
    span = (_TODAY - signup).astype(np.int64)
    day = signup + np.floor(rng.random(m) * (span + 1)).astype(np.int64)
    created_at = day.astype("datetime64[s]") + rng.integers(7 * 3600, 21 * 3600, m)  # office hours

    category = rng.choice(len(TICKET_CATEGORIES), m, p=_TICKET_CATEGORY_P)
    quotes_pii = rng.random(m) < _PII_NOTE_SHARE
    pick = rng.random(m)
    fee = rng.choice(np.array([15.0, 25.0, 29.0, 35.0, 39.0]), m)
    days = rng.integers(3, 11, m)
    count = rng.integers(2, 7, m)
    name, email, phone = (customers[c].to_numpy()[owner] for c in ("full_name", "email", "phone"))
    notes = []
    for i in range(m):
        with_pii, without_pii = _NOTE_TEMPLATES[TICKET_CATEGORIES[category[i]]]
        templates = with_pii if quotes_pii[i] else without_pii
        template = templates[int(pick[i] * len(templates))]
        notes.append(template.format(name=name[i], email=email[i], phone=phone[i], fee=f"{fee[i]:.2f}",
                                     days=days[i], count=count[i]))

    order = np.lexsort((owner, created_at))
    return pd.DataFrame({
        "ticket_id": np.arange(1, m + 1, dtype=np.int64),
        "customer_id": customers["customer_id"].to_numpy()[owner[order]],
        "created_at": created_at[order],
        "category": np.array(TICKET_CATEGORIES, dtype=object)[category[order]],
        "notes": np.array(notes, dtype=object)[order],
    })


def _choice_by_row(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Draw one column index per row of the probability matrix ``p`` (rows sum to 1)."""
    cum = np.cumsum(p, axis=1)
    return np.minimum((rng.random(len(p))[:, None] > cum).sum(axis=1), p.shape[1] - 1)
