"""The demo bank's tables, drawn from ``numpy.random.default_rng(seed)``.

:func:`demo_tables` returns ``customers``, ``accounts``, ``transactions`` and ``support_tickets``
(parents first); the same seed and sizes give identical contents. Names come from Faker's word
lists drawn with numpy (calling Faker per row is far too slow); the parameters are in
:mod:`tabletwin.demo.parameters`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd
from faker.providers.person.en_US import Provider as _FakerPerson

from tabletwin.demo.parameters import (
    ACCOUNT_COUNT_P, ACCOUNT_TYPES, ACCOUNT_TYPE_P, ACTIVITY_BY_TYPE, AGE_REFERENCE, AREA_CODES,
    AREA_CODE_COUNT, AREA_CODE_START, ATM_AMOUNTS, ATM_AMOUNT_P, CHANNELS, CHANNEL_P, CITIES,
    CITY_NAMES, CITY_P, CITY_STATES, EMAIL_DOMAINS, EMAIL_DOMAIN_P, EMAIL_PATTERNS,
    EMAIL_PATTERN_P, EXCHANGES, EXTRA_FEMALE, EXTRA_LAST, EXTRA_MALE, FRAUD_RATE, HOUR_WEIGHTS,
    MERCHANTS, MERCHANT_CATEGORIES, MERCHANT_P, MIDDLE_INITIALS, NOTE_TEMPLATES, OLDEST_DOB,
    PHONE_FORMATS, PHONE_FORMAT_P, PII_NOTE_SHARE, SEGMENTS, SIGNUP_FIRST, SIGNUP_LAST,
    STREET_NAMES, STREET_SUFFIXES, STREET_SUFFIX_P, TICKET_CATEGORIES, TICKET_CATEGORY_P, TODAY,
    YOUNGEST_DOB)


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


def _customers(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``customers`` table, ids ascending with signup date, and each row's income before masking.

    The income with no NULLs (``annual_income`` is ~1.5% NULL) drives balances in ``accounts``.
    """
    # Ages 18-90 on 2026-01-01, skewed towards the 30s-50s.
    age_offset = np.floor(rng.beta(2.0, 3.2, n) * 73 * 365.2425).astype(np.int64)
    dob = YOUNGEST_DOB - np.minimum(age_offset, (YOUNGEST_DOB - OLDEST_DOB).astype(np.int64))
    age = (AGE_REFERENCE - dob).astype(np.int64) / 365.2425
    birth_month = dob.astype("datetime64[M]")
    day_of_month = dob - birth_month.astype("datetime64[D]")
    adult_on = (birth_month + 18 * 12).astype("datetime64[D]") + day_of_month
    first_day = np.maximum(adult_on, SIGNUP_FIRST)
    window = (SIGNUP_LAST - first_day).astype(np.int64) + 1
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
    city = rng.choice(len(CITIES), n, p=CITY_P)
    frame = pd.DataFrame({
        "full_name": full_name,
        "email": _emails(rng, first, last, dob),
        "phone": _phones(rng, city),
        "ssn": _ssns(rng, n),
        "street_address": _street_addresses(rng, n),
        "city": CITY_NAMES[city],
        "state": CITY_STATES[city],
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
    male, p_male = _word_pool(_FakerPerson.first_names_male, EXTRA_MALE)
    female, p_female = _word_pool(_FakerPerson.first_names_female, EXTRA_FEMALE)
    surnames, p_surnames = _word_pool(_FakerPerson.last_names, EXTRA_LAST)
    first = np.where(rng.random(n) < 0.5, rng.choice(male, n, p=p_male),
                     rng.choice(female, n, p=p_female))
    last = rng.choice(surnames, n, p=p_surnames)
    middle = np.where(rng.random(n) < 0.2, rng.choice(MIDDLE_INITIALS, n) + ". ", "")
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
    patterns = rng.choice(len(EMAIL_PATTERNS), n, p=EMAIL_PATTERN_P)
    numbers = np.where(rng.random(n) < 0.5, dob.astype("datetime64[Y]").astype(np.int64) % 100,
                       rng.integers(1, 1000, n))
    with_number = rng.random(n) < 0.55
    local = np.array([
        EMAIL_PATTERNS[k].format(f=slug[f], l=slug[lst], i=slug[f][:1]) + (f"{num:02d}" if use else "")
        for k, f, lst, num, use in zip(patterns, first, last, numbers, with_number)
    ], dtype=object)
    domain = rng.choice(np.array(EMAIL_DOMAINS, dtype=object), n, p=EMAIL_DOMAIN_P)
    email = local + "@" + domain
    while (dup := pd.Series(email).duplicated().to_numpy()).any():
        local[dup] = local[dup] + rng.integers(0, 10, dup.sum()).astype(str).astype(object)
        email[dup] = local[dup] + "@" + domain[dup]
    return email


def _phones(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """US phone numbers in mixed formats; the area code mostly serves the customer's city."""
    n = len(city)
    local_code = AREA_CODES[AREA_CODE_START[city]
                             + np.floor(rng.random(n) * AREA_CODE_COUNT[city]).astype(np.int64)]
    area = np.where(rng.random(n) < 0.85, local_code, rng.choice(AREA_CODES, n))
    exchange = rng.choice(EXCHANGES, n)
    line = rng.integers(0, 10_000, n)
    formats = rng.choice(len(PHONE_FORMATS), n, p=PHONE_FORMAT_P)
    return np.array([PHONE_FORMATS[k].format(a=a, e=e, s=s)
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
    street = np.where(rng.random(n) < 0.7, rng.choice(np.array(STREET_NAMES, dtype=object), n),
                      rng.choice(surnames, n, p=p_surnames))
    suffix = rng.choice(np.array(STREET_SUFFIXES, dtype=object), n, p=STREET_SUFFIX_P)
    apartment = np.where(rng.random(n) < 0.12, rng.integers(1, 40, n), 0)
    return np.array([f"{num} {st} {suf}" + (f" Apt {apt}" if apt else "")
                     for num, st, suf, apt in zip(number, street, suffix, apartment)], dtype=object)


def _accounts(rng: np.random.Generator, customers: pd.DataFrame, income: np.ndarray) -> pd.DataFrame:
    """The ``accounts`` table (ids ascending with opened date) given each customer's latent income."""
    segment = pd.Categorical(customers["segment"], categories=SEGMENTS).codes
    counts = _choice_by_row(rng, ACCOUNT_COUNT_P[segment])
    counts[0] = max(counts[0], 1)  # at least one account, so transactions always have a parent
    owner = np.repeat(np.arange(len(customers)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    m = len(owner)

    account_type = _choice_by_row(rng, ACCOUNT_TYPE_P[segment[owner]])
    account_type[(rank == 0) & (rng.random(m) < 0.8)] = ACCOUNT_TYPES.index("checking")

    # The first account is usually opened on signup, later ones any time up to today.
    signup = customers["signup_date"].to_numpy().astype("datetime64[D]")[owner]
    span = (TODAY - signup).astype(np.int64)
    first_delay = np.where(rng.random(m) < 0.7, 0, rng.geometric(1 / 20, m))
    later_delay = np.floor(rng.beta(1.0, 1.8, m) * (span + 1)).astype(np.int64)
    opened = signup + np.minimum(np.where(rank == 0, first_delay, later_delay), span)

    # Balances scale with income; credit cards and mortgages are liabilities (<= 0).
    inc = income[owner]
    years_open = (TODAY - opened).astype(np.int64) / 365.25
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
    span = (TODAY - opened).astype(np.int64)
    # Heavy-tailed activity: lognormal propensity x type (cards busy, mortgages monthly) x time open.
    activity = rng.lognormal(0.0, 1.2, len(accounts)) * ACTIVITY_BY_TYPE[account_type] * (span + 1)
    account = rng.choice(len(accounts), n, p=activity / activity.sum())

    day = opened[account] + np.floor(rng.random(n) * (span[account] + 1)).astype(np.int64)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    created_at = day.astype("datetime64[s]") + (hour * 3600 + rng.integers(0, 3600, n))

    category = _choice_by_row(rng, MERCHANT_P[account_type[account]])
    channel = _choice_by_row(rng, CHANNEL_P[category])
    median, sigma = (np.array(v) for v in zip(*MERCHANTS.values()))
    amount = np.where(category == MERCHANT_CATEGORIES.index("atm"),
                      rng.choice(ATM_AMOUNTS, n, p=ATM_AMOUNT_P),
                      np.maximum(median[category] * np.exp(sigma[category] * rng.normal(0, 1, n)), 1.0))
    amount = np.round(amount, 2)

    # Fraud: logistic in log amount, remote channel and night hours; the intercept sets the base rate.
    remote = np.isin(channel, [CHANNELS.index("online"), CHANNELS.index("mobile")])
    risk = 0.9 * np.log(amount) + 1.2 * remote + 1.5 * (hour < 6)
    is_fraud = rng.random(n) < _sigmoid(_intercept_for_rate(risk, FRAUD_RATE) + risk)

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
    span = (TODAY - signup).astype(np.int64)
    day = signup + np.floor(rng.random(m) * (span + 1)).astype(np.int64)
    created_at = day.astype("datetime64[s]") + rng.integers(7 * 3600, 21 * 3600, m)  # office hours

    category = rng.choice(len(TICKET_CATEGORIES), m, p=TICKET_CATEGORY_P)
    quotes_pii = rng.random(m) < PII_NOTE_SHARE
    pick = rng.random(m)
    fee = rng.choice(np.array([15.0, 25.0, 29.0, 35.0, 39.0]), m)
    days = rng.integers(3, 11, m)
    count = rng.integers(2, 7, m)
    name, email, phone = (customers[c].to_numpy()[owner] for c in ("full_name", "email", "phone"))
    notes = []
    for i in range(m):
        with_pii, without_pii = NOTE_TEMPLATES[TICKET_CATEGORIES[category[i]]]
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
