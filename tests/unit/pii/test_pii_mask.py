"""Fakes, pseudonyms, masking, fresh PII for synthetic rows, and the leak check."""

from __future__ import annotations

import ipaddress
import re

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from stdnum import iban, luhn
from stdnum.us import ssn as us_ssn

from tabletwin.errors import ConfigError, GeneratorError
from tabletwin.pii import (
    ColumnDecision,
    PiiPlan,
    fake_values,
    fill_pii_columns,
    mask_table,
    pii_leaks,
    pseudonymize,
)
from tabletwin.pii.recognizers import analysis
from tabletwin.pii.fakes import FAKEABLE, fake_people
from tabletwin.pii.normalize import ascii_word, normalize_value

KEY = b"k" * 32
LOCALES = ["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "cs_CZ", "pl_PL"]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------------------
# normalize_value and fakes
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("  John \t SMITH ", "john smith"), ("Straße", "strasse"), ("ﬁle", "file"), (4.0, "4"),
    (12, "12"), (2.5, "2.5"), ("\u00a0a\u2003b", "a b"), ("Žluť", "žluť"),
])
def test_normalize_value(value, expected):
    assert normalize_value(value) == expected


def _valid(entity: str, value: str, locale: str) -> bool:
    if entity == "PERSON":
        return len(value.split()) >= 2
    if entity == "EMAIL_ADDRESS":
        return bool(re.fullmatch(r"[a-z0-9._]+@example\.(com|org|net)", value))
    if entity == "PHONE_NUMBER":
        number = phonenumbers.parse(value)
        region = locale.split("_")[1] if locale != "en_US" else "US"
        return phonenumbers.is_valid_number(number) and \
            phonenumbers.region_code_for_number(number) == region
    if entity == "US_SSN":
        area, group, serial = value.split("-")
        return us_ssn.is_valid(value) and area not in ("000", "666") and area < "900" \
            and group != "00" and serial != "0000"
    if entity == "CREDIT_CARD":
        return luhn.is_valid(value) and value[0] in "23456" and len(value) in (15, 16)
    if entity == "IBAN_CODE":
        return iban.is_valid(value)
    if entity == "IP_ADDRESS":
        return ipaddress.ip_address(value).version == 4
    if entity == "LOCATION":
        return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    if entity == "URL":
        return value.startswith("https://") and "." in value
    raise AssertionError(entity)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("entity", FAKEABLE)
def test_fakes_validate(entity, locale):
    values = fake_values(entity, 150, rng(1), locale=locale)
    assert values.dtype == object and len(values) == 150
    assert all(isinstance(v, str) and _valid(entity, v, locale) for v in values)


@pytest.mark.parametrize("locale,country", [("de_DE", "DE"), ("cs_CZ", "CZ"), ("fr_FR", "FR"),
                                            ("es_ES", "ES"), ("nl_NL", "NL"), ("en_GB", "GB")])
def test_iban_fakes_use_the_locale_country(locale, country):
    assert {v[:2] for v in fake_values("IBAN_CODE", 50, rng(), locale=locale)} == {country}


@pytest.mark.parametrize("entity", FAKEABLE)
def test_fakes_never_equal_forbidden_values(entity):
    pool = fake_values(entity, 400, rng(7))
    forbidden = {normalize_value(v).upper() for v in pool[:300]}  # any case: compared normalized
    out = fake_values(entity, 400, rng(7), forbidden=forbidden, unique=True)
    keys = {normalize_value(v) for v in forbidden}
    assert not keys & {normalize_value(v) for v in out}
    assert len(set(out)) == len(out)


def test_phone_fakes_avoid_the_same_number_in_another_format():
    source = fake_values("PHONE_NUMBER", 300, rng(3))
    national = {re.sub(r"^\+1 ", "", v).replace("-", "") for v in source}
    out = fake_values("PHONE_NUMBER", 300, rng(3), forbidden=national)
    assert not {re.sub(r"\D", "", v)[-9:] for v in out} & {n[-9:] for n in national}


@pytest.mark.parametrize("entity", ["DATE_TIME", "ID", "SHOE_SIZE"])
def test_unfakeable_entities_raise(entity):
    with pytest.raises(GeneratorError):
        fake_values(entity, 3, rng())


def test_fakes_are_deterministic_at_volume():
    assert list(fake_values("PERSON", 50, rng(5))) == list(fake_values("PERSON", 50, rng(5)))
    many = fake_values("PERSON", 100_000, rng(), locale="en_US")
    assert len(many) == 100_000 and len(set(many)) > 10_000


@pytest.mark.parametrize("locale", ["en_US", "cs_CZ", "pt_BR"])
def test_fake_people_emails_follow_names(locale):
    people = fake_people(100, rng(2), locale=locale)
    assert list(people.columns) == ["PERSON", "EMAIL_ADDRESS"]
    for name, email in zip(people["PERSON"], people["EMAIL_ADDRESS"]):
        last = ascii_word(name.split()[-1])
        assert last in email.split("@")[0] or ascii_word(name.split()[0]) in email


# --------------------------------------------------------------------------------------------------
# pseudonyms
# --------------------------------------------------------------------------------------------------

def test_pseudonyms_are_keyed_and_stable():
    a = pseudonymize(pd.Series(["alice", "bob", None, "alice"]), KEY)
    b = pseudonymize(pd.Series(["bob", "alice"]), KEY)
    assert a[0] == a[3] == b[1] and a[1] == b[0] and a[0] != a[1]
    assert a[2] is None
    assert re.fullmatch(r"tt_[0-9a-f]{16}", a[0])
    other = pseudonymize(pd.Series(["alice"]), b"another key")
    assert other[0] != a[0]


def test_integer_pseudonyms():
    s = pd.Series([5, 7, 5], dtype=np.int64)
    out = pseudonymize(s, KEY)
    assert out.dtype == np.int64 and out[0] == out[2] != out[1] and (out > 0).all()
    with_null = pseudonymize(pd.Series([5, None, 7], dtype="Int64"), KEY)
    assert str(with_null.dtype) == "Int64" and with_null.isna().tolist() == [False, True, False]
    assert with_null[0] == out[0]
    floats = pseudonymize(pd.Series([5.0, np.nan]), KEY)
    assert floats[0] == out[0] and floats.isna()[1]


def test_long_strings_keep_length_and_classes():
    value = "CZ6508000000192000145399"
    out = pseudonymize(pd.Series([value]), KEY)[0]
    assert len(out) == len(value) and out != value
    assert [c.isdigit() for c in out] == [c.isdigit() for c in value]
    assert [c.isupper() for c in out] == [c.isupper() for c in value]


def test_mixed_object_column_and_index_kept():
    s = pd.Series([3, "3", None], index=[10, 20, 30], dtype=object)
    out = pseudonymize(s, KEY)
    assert list(out.index) == [10, 20, 30]
    assert isinstance(out[10], int) and isinstance(out[20], str) and out[30] is None


# --------------------------------------------------------------------------------------------------
# mask_table
# --------------------------------------------------------------------------------------------------

def source_table(n: int = 120) -> pd.DataFrame:
    people = fake_people(n, rng(11), locale="en_US")
    r = rng(12)
    names = people["PERSON"].to_numpy(copy=True)
    names[5] = names[6] = names[7]  # repeated values
    emails = people["EMAIL_ADDRESS"].to_numpy(copy=True)
    emails[5] = emails[6] = emails[7]
    names[9], emails[9] = None, None
    notes = np.array([f"Spoke with {p} on {t}, all fine." if i % 2 else "No remarks today."
                      for i, (p, t) in enumerate(zip(people["PERSON"],
                                                     fake_values("PHONE_NUMBER", n, r)))],
                     dtype=object)
    return pd.DataFrame({
        "id": np.arange(1000, 1000 + n),
        "name": names, "email": emails,
        "phone": fake_values("PHONE_NUMBER", n, r),
        "card": [int(c) for c in fake_values("CREDIT_CARD", n, r)],
        "dob": pd.date_range("1950-01-01", periods=n, freq="97D"),
        "note": notes,
        "amount": r.normal(size=n),
        "segment": r.choice(["a", "b"], n),
    }, index=pd.RangeIndex(500, 500 + n))


def plan_for(df: pd.DataFrame) -> PiiPlan:
    def d(column, entity, action, free=False):
        return ColumnDecision(column, entity, 1.0, action, free_text=free)

    return PiiPlan("people", [
        d("id", "ID", "pseudonymize"), d("name", "PERSON", "fake"),
        d("email", "EMAIL_ADDRESS", "fake"), d("phone", "PHONE_NUMBER", "fake"),
        d("card", "CREDIT_CARD", "fake"), d("dob", "DATE_TIME", "generalize"),
        d("note", "PERSON", "redact", True), d("amount", None, "keep"),
        d("segment", None, "drop"),
    ])


@pytest.fixture(scope="module")
def masked():
    df = source_table()
    return df, plan_for(df), mask_table(df, plan_for(df), key=KEY, seed=3)


def test_mask_keeps_shape_order_and_index(masked):
    df, _, out = masked
    assert list(out.columns) == list(df.columns) and out.index.equals(df.index)
    assert out["amount"].equals(df["amount"])


def test_fakes_never_equal_source_values_and_keep_repeats(masked):
    df, _, out = masked
    for col in ("name", "email", "phone"):
        assert not set(map(normalize_value, out[col].dropna())) & set(
            map(normalize_value, df[col].dropna()))
        assert out[col].isna().equals(df[col].isna())
    assert out.loc[505, "name"] == out.loc[506, "name"] == out.loc[507, "name"]
    assert out["name"].nunique() == df["name"].nunique()
    assert out["email"].nunique() == df["email"].nunique()


def test_emails_follow_the_fake_names(masked):
    _, _, out = masked
    rows = out.dropna(subset=["name", "email"])
    matches = [ascii_word(n.split()[-1]) in e or ascii_word(n.split()[0]) in e
               for n, e in zip(rows["name"], rows["email"])]
    assert all(matches)


def test_other_actions(masked):
    df, _, out = masked
    assert str(out["dob"].dtype) == "Int64"
    assert out["dob"].tolist() == df["dob"].dt.year.tolist()
    assert out["segment"].isna().all() and out["segment"].dtype == df["segment"].dtype
    assert out["card"].dtype == np.int64 and all(luhn.is_valid(str(c)) for c in out["card"])
    assert out["id"].tolist() == pseudonymize(df["id"], KEY).tolist()


def test_redaction_replaces_every_span_and_nothing_else(masked):
    df, _, out = masked
    src_spans = analysis.find_spans(df["note"].tolist())
    for before, after, spans in zip(df["note"], out["note"], src_spans):
        if not spans:
            assert after == before
            continue
        assert after != before
        for s in spans:
            assert before[s.start:s.end] not in after
        assert after.startswith(before[:spans[0].start])
        assert after.endswith(before[spans[-1].end:])


def test_mask_is_deterministic(masked):
    df, plan, out = masked
    assert mask_table(df, plan, key=KEY, seed=3).equals(out)
    other = mask_table(df, plan, key=KEY, seed=4)
    assert not other["name"].equals(out["name"])


def test_generalize_other_entities():
    df = pd.DataFrame({"email": ["a@Example.com"], "ip": ["192.168.7.9"],
                       "phone": ["+420 602 269 439"], "url": ["https://www.x.org/a?b=1"],
                       "name": ["Jana Nováková"],
                       "card": ["4111111111111111"], "iban": ["DE89370400440532013000"],
                       "code": ["AB-12"]})
    plan = PiiPlan("t", [ColumnDecision(c, e, 1.0, "generalize") for c, e in [
        ("email", "EMAIL_ADDRESS"), ("ip", "IP_ADDRESS"), ("phone", "PHONE_NUMBER"),
        ("url", "URL"), ("name", "PERSON"), ("card", "CREDIT_CARD"), ("iban", "IBAN_CODE"),
        ("code", "ID")]])
    out = mask_table(df, plan, key=KEY, seed=0).iloc[0].tolist()
    assert out == ["example.com", "192.168.7.0/24", "+420", "https://www.x.org", "J. N.",
                   "411111", "DE", "AA-99"]


def test_mask_rejects_unknown_planned_column():
    with pytest.raises(ConfigError):
        mask_table(pd.DataFrame({"a": [1]}), PiiPlan("t", [ColumnDecision("b", None, 1, "keep")]),
                   key=KEY, seed=0)


def test_redaction_over_a_process_pool_matches(monkeypatch):
    texts = pd.Series([f"Ask {n} about ticket {i}." for i, n in
                       enumerate(fake_values("PERSON", 60, rng(4)))])
    df = pd.DataFrame({"note": texts})
    plan = PiiPlan("t", [ColumnDecision("note", "PERSON", 1.0, "redact", free_text=True)])
    serial = mask_table(df, plan, key=KEY, seed=1)
    analysis._STATE.spans.clear()
    monkeypatch.setattr(analysis, "POOL_MIN_TEXTS", 10)
    monkeypatch.setattr(analysis, "CHUNK", 16)
    assert mask_table(df, plan, key=KEY, seed=1).equals(serial)


# --------------------------------------------------------------------------------------------------
# fill_pii_columns
# --------------------------------------------------------------------------------------------------

def test_fill_gives_fresh_values(masked):
    df, plan, _ = masked
    n = 50
    frame = pd.DataFrame({"id": np.arange(n, dtype=np.int64),
                          "name": np.array([f"p{i}" if i % 10 else None for i in range(n)],
                                           dtype=object),
                          "email": [f"e{i}" for i in range(n)],
                          "phone": ["x"] * n,
                          "segment": ["a"] * n}, index=range(100, 100 + n))
    forbidden = {c: set(map(normalize_value, df[c].dropna())) for c in ("name", "email", "phone")}
    out = fill_pii_columns(frame, plan, columns=["id", "name", "email", "phone", "segment"],
                           seed=9, forbidden=forbidden)
    assert out.index.equals(frame.index)
    assert out["name"].isna().tolist() == frame["name"].isna().tolist()
    for c in ("name", "email"):
        assert not set(map(normalize_value, out[c].dropna())) & forbidden[c]
    assert out["phone"].nunique() == 1  # repeated placeholder -> one fresh value
    assert out["id"].dtype == np.int64 and out["id"].nunique() == n
    assert not set(out["id"]) & set(pseudonymize(df["id"], KEY))
    assert out["segment"].isna().all()
    for name, email in out[["name", "email"]].dropna().itertuples(index=False):
        assert ascii_word(name.split()[-1]) in email or ascii_word(name.split()[0]) in email
    again = fill_pii_columns(frame, plan, columns=["name", "id"], seed=9, forbidden=forbidden)
    assert again["name"].equals(out["name"]) and again["id"].equals(out["id"])


def test_fill_string_tokens_and_errors(masked):
    _, plan, _ = masked
    frame = pd.DataFrame({"x": ["a", "b", "a"]})
    plan2 = PiiPlan("t", [ColumnDecision("x", "ID", 1.0, "pseudonymize")])
    out = fill_pii_columns(frame, plan2, columns=["x"], seed=0, forbidden={})
    assert all(re.fullmatch(r"tt_[0-9a-f]{16}", v) for v in out["x"])
    assert out["x"][0] == out["x"][2] != out["x"][1]
    with pytest.raises(ConfigError):
        fill_pii_columns(frame, plan, columns=["amount"], seed=0, forbidden={})
    with pytest.raises(ConfigError):
        fill_pii_columns(frame, plan, columns=["nope"], seed=0, forbidden={})


# --------------------------------------------------------------------------------------------------
# pii_leaks
# --------------------------------------------------------------------------------------------------

def test_no_leaks_in_masked_data(masked):
    df, plan, out = masked
    leaks = pii_leaks(df, out, plan)
    assert set(leaks) == {"id", "name", "email", "phone", "card", "dob", "note"}
    assert all(v == 0 for v in leaks.values())
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in leaks.items())


def test_planted_leaks_are_found(masked):
    df, plan, out = masked
    bad = out.copy()
    bad.loc[500, "name"] = df.loc[500, "name"]  # exact
    bad.loc[501, "email"] = "  " + df.loc[502, "email"].upper() + " "  # case and spaces
    bad.loc[503, "note"] = f"Met {df.loc[504, 'name']}, who says hi."  # inside text
    bad["segment"] = bad["segment"].astype(object)
    bad.loc[505, "segment"] = df.loc[510, "phone"]  # moved to another column
    leaks = pii_leaks(df, bad, plan)
    assert leaks["name"] == 2 and leaks["email"] == 1 and leaks["phone"] == 1
    assert leaks["note"] >= 0 and leaks["card"] == 0


def test_free_text_spans_count_as_source_values(masked):
    df, plan, out = masked
    span_source = next(t for t in df["note"] if analysis.find_spans([t])[0])
    span = analysis.find_spans([span_source])[0][0]
    bad = out.copy()
    bad.loc[500, "segment"] = f"x {span_source[span.start:span.end]} y"
    assert pii_leaks(df, bad, plan)["note"] == 1


def test_leak_check_on_wide_candidates():
    n = 20_000
    people = fake_people(n, rng(1))
    source = pd.DataFrame({"name": people["PERSON"], "email": people["EMAIL_ADDRESS"]})
    candidate = pd.DataFrame({f"c{i}": np.resize(fake_values(
        "PERSON", 2_000, rng(i), forbidden={normalize_value(v) for v in source["name"]}), n)
        for i in range(10)})
    plan = PiiPlan("t", [ColumnDecision("name", "PERSON", 1, "fake"),
                         ColumnDecision("email", "EMAIL_ADDRESS", 1, "fake")])
    clean = pii_leaks(source, candidate, plan)
    candidate.loc[123, "c4"] = source.loc[7, "name"].upper()
    candidate.loc[456, "c9"] = f"mail {source.loc[8, 'email']} now"
    leaked = pii_leaks(source, candidate, plan)
    assert leaked["name"] == clean["name"] + 1 and leaked["email"] == clean["email"] + 1
