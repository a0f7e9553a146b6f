"""Column-level PII detection: entities, languages, decoys, overrides, evidence, speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from tabletwin.errors import ConfigError
from tabletwin.pii import ColumnOverride, detect_pii
from tabletwin.pii.detect import load_recognizers, reset_recognizers
from tabletwin.pii.fakes import fake_values
from tabletwin.pii.plan import DEFAULT_ACTIONS

ROOT = Path(__file__).resolve().parents[3]  # tests/unit/pii/ -> the project
DEV = ROOT.parent / "shared" / "pii-dev"
N = 80


def faker_column(locale: str, method: str, n: int = N, seed: int = 3, **kwargs) -> list[str]:
    fk = Faker(locale)
    fk.seed_instance(seed)
    return [str(getattr(fk, method)(**kwargs)) for _ in range(n)]


def fakes(entity: str, locale: str = "en_US", n: int = N, seed: int = 5) -> list[str]:
    return list(fake_values(entity, n, np.random.default_rng(seed), locale=locale))


def decision(values, column: str = "c1", **kwargs):
    return detect_pii(pd.DataFrame({column: values}), **kwargs)[column]


# --------------------------------------------------------------------------------------------------
# entities, with telling, multilingual and opaque column names
# --------------------------------------------------------------------------------------------------

ENTITY_COLUMNS = [
    ("PERSON", lambda: faker_column("en_US", "name")),
    ("PERSON", lambda: faker_column("cs_CZ", "name")),
    ("PERSON", lambda: faker_column("pt_BR", "name")),
    ("PERSON", lambda: faker_column("de_DE", "name")),
    ("PERSON", lambda: faker_column("hu_HU", "name")),
    ("EMAIL_ADDRESS", lambda: faker_column("fr_FR", "email")),
    ("PHONE_NUMBER", lambda: faker_column("en_US", "phone_number")),
    ("PHONE_NUMBER", lambda: fakes("PHONE_NUMBER", "cs_CZ")),
    ("PHONE_NUMBER", lambda: faker_column("de_DE", "phone_number")),
    ("US_SSN", lambda: faker_column("en_US", "ssn")),
    ("CREDIT_CARD", lambda: faker_column("en_US", "credit_card_number")),
    ("IBAN_CODE", lambda: faker_column("de_DE", "iban")),
    ("IBAN_CODE", lambda: fakes("IBAN_CODE", "cs_CZ")),
    ("IP_ADDRESS", lambda: faker_column("en_US", "ipv4")),
    ("IP_ADDRESS", lambda: faker_column("en_US", "ipv6")),
    ("LOCATION", lambda: faker_column("en_US", "street_address")),
    ("LOCATION", lambda: faker_column("cs_CZ", "street_address")),
    ("LOCATION", lambda: faker_column("de_DE", "street_address")),
    ("LOCATION", lambda: faker_column("fr_FR", "street_address")),
    ("LOCATION", lambda: faker_column("es_ES", "street_address")),
    ("URL", lambda: faker_column("en_US", "url")),
]


@pytest.mark.parametrize("entity,make", ENTITY_COLUMNS)
def test_entity_found_under_an_opaque_name(entity, make):
    d = decision(make(), "x7")
    assert d.entity == entity
    assert d.action == DEFAULT_ACTIONS[entity]
    assert 0 < d.score <= 1 and d.origin == "detected"
    assert d.evidence["match_share"] >= 0.5 and d.evidence["sampled"] == N


@pytest.mark.parametrize("column,entity,make", [
    ("telefon", "PHONE_NUMBER", lambda: fakes("PHONE_NUMBER", "cs_CZ")),
    ("telefono", "PHONE_NUMBER", lambda: faker_column("es_ES", "phone_number")),
    ("telefone", "PHONE_NUMBER", lambda: faker_column("pt_BR", "phone_number")),
    ("jmeno", "PERSON", lambda: faker_column("cs_CZ", "name")),
    ("nombre", "PERSON", lambda: faker_column("es_ES", "name")),
    ("nom", "PERSON", lambda: faker_column("fr_FR", "name")),
    ("naam", "PERSON", lambda: faker_column("nl_NL", "name")),
    ("cust_nm", "PERSON", lambda: faker_column("en_US", "name")),
    ("correo", "EMAIL_ADDRESS", lambda: faker_column("es_ES", "email")),
    ("courriel", "EMAIL_ADDRESS", lambda: faker_column("fr_FR", "email")),
    ("ucet_iban", "IBAN_CODE", lambda: fakes("IBAN_CODE", "cs_CZ")),
    ("adresse", "LOCATION", lambda: faker_column("fr_FR", "street_address")),
    ("indirizzo", "LOCATION", lambda: faker_column("it_IT", "street_address")),
    ("endereco", "LOCATION", lambda: faker_column("pt_BR", "street_address")),
    ("straat", "LOCATION", lambda: faker_column("nl_NL", "street_address")),
    ("adresa", "LOCATION", lambda: faker_column("cs_CZ", "street_address")),
    ("ssn", "US_SSN", lambda: faker_column("en_US", "ssn")),
    ("client_ip", "IP_ADDRESS", lambda: faker_column("en_US", "ipv4")),
    ("homepage_url", "URL", lambda: faker_column("en_US", "url")),
])
def test_entity_found_under_a_multilingual_name(column, entity, make):
    d = decision(make(), column)
    assert d.entity == entity
    assert "name_hint" in d.evidence


@pytest.mark.parametrize("column,values", [
    ("phone", [4155550000 + 7919 * i for i in range(N)]),  # digits only, stored as int
    ("ssn", [int(s.replace("-", "")) for s in faker_column("en_US", "ssn")]),  # zeros lost
    ("vorname", faker_column("de_DE", "first_name")),
    ("last_name", faker_column("en_US", "last_name")),
])
def test_name_hint_with_weak_values(column, values):
    assert decision(values, column).is_pii


def test_card_numbers_stored_as_int_are_found_by_luhn():
    cards = [int(c) for c in faker_column("en_US", "credit_card_number", card_type="visa16")]
    assert decision(cards, "x2").entity == "CREDIT_CARD"


@pytest.mark.parametrize("column,values", [
    ("birthday", faker_column("en_US", "date_of_birth")),
    ("geburtsdatum", [d.strftime("%d.%m.%Y") for d in
                      pd.to_datetime(faker_column("de_DE", "date_of_birth"))]),
    ("fecha_nacimiento", [d.strftime("%d/%m/%Y") for d in
                          pd.to_datetime(faker_column("es_ES", "date_of_birth"))]),
    ("dob", pd.to_datetime(faker_column("en_US", "date_of_birth"))),
])
def test_dates_of_birth_by_column_meaning(column, values):
    d = decision(values, column)
    assert (d.entity, d.action) == ("DATE_TIME", "generalize")


@pytest.mark.parametrize("column", ["transaction_date", "created_at", "x3"])
def test_ordinary_dates_are_not_pii(column):
    dates = pd.Series(pd.date_range("2021-01-01", periods=N, freq="37h"))
    assert not decision(dates, column).is_pii
    assert not decision(dates.dt.strftime("%Y-%m-%d"), column).is_pii


# --------------------------------------------------------------------------------------------------
# decoys
# --------------------------------------------------------------------------------------------------

def _rng() -> np.random.Generator:
    return np.random.default_rng(11)


def _non_luhn_16() -> list[str]:
    from stdnum import luhn

    out, rng = [], _rng()
    while len(out) < N:
        s = "".join(map(str, rng.integers(0, 10, 16)))
        if s[0] != "0" and not luhn.is_valid(s):
            out.append(s)
    return out


DECOYS = {
    "order_numbers": [f"{n:09d}" for n in _rng().integers(0, 10**9, N)],
    "invoice": [f"INV-2024-{n:06d}" for n in _rng().integers(0, 10**6, N)],
    "sku": [f"SKU-{n:05d}-{c}" for n, c in zip(_rng().integers(0, 10**5, N), "ABCD" * N)],
    "placeholder_products": [f"{w.capitalize()} {n}" for w, n in zip(
        faker_column("la", "word"), _rng().integers(1, 999, N))],
    "catch_phrases": faker_column("en_US", "catch_phrase"),
    "hashes": [f"{n:016x}" for n in _rng().integers(0, 2**62, N)],
    "versions": [f"{a}.{b}.{c}" for a, b, c in _rng().integers(0, 100, (N, 3))],
    "non_luhn_16_digits": _non_luhn_16(),
    "companies": faker_column("en_US", "company"),
    "companies_pl": faker_column("pl_PL", "company"),
    "measurements": [f"{x:.1f} kg" for x in _rng().uniform(0.5, 90, N)],
    "codes": list(_rng().choice(["A1", "B2", "C3", "X9"], N)),
    "amounts": list(_rng().normal(100, 20, N)),
    "counts": list(_rng().integers(0, 10**6, N)),
    "big_ids": list(_rng().integers(10**11, 10**12, N)),
    "booleans": list(_rng().random(N) < 0.5),
    "sentences": faker_column("en_US", "sentence"),
    "jobs": faker_column("en_US", "job"),
    "cities": faker_column("en_US", "city"),
    "countries": faker_column("en_US", "country"),
    "user_agents": faker_column("en_US", "user_agent"),
    "colors": faker_column("en_US", "color_name"),
    "uuids": faker_column("en_US", "uuid4"),
    "isbn": faker_column("en_US", "isbn13"),
}


@pytest.mark.parametrize("name", sorted(DECOYS))
def test_decoys_are_not_flagged(name):
    d = decision(DECOYS[name], "c9")
    assert not d.is_pii, d.evidence
    assert d.action == "keep" and d.entity is None


@pytest.mark.parametrize("column", ["product_name", "company_name", "file_name", "city_name"])
def test_negative_words_cancel_a_name_hint(column):
    values = DECOYS["catch_phrases"] if column != "city_name" else DECOYS["cities"]
    assert not decision(values, column).is_pii


# --------------------------------------------------------------------------------------------------
# free text
# --------------------------------------------------------------------------------------------------

def test_free_text_with_entities_is_redacted():
    fk = Faker("en_US")
    fk.seed_instance(1)
    notes = [f"Please call {fk.name()} at {fk.phone_number()} about the refund." if i % 3 == 0
             else fk.sentence(nb_words=9) for i in range(N)]
    d = decision(notes, "notes")
    assert d.is_pii and d.free_text and d.action == "redact"
    assert d.entity in ("PERSON", "PHONE_NUMBER")


def test_harmless_free_text_is_not_flagged():
    assert not decision(faker_column("la", "sentence", nb_words=10), "notes").is_pii


# --------------------------------------------------------------------------------------------------
# overrides, keys, errors
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": range(N), "name": faker_column("en_US", "name"),
        "email": faker_column("en_US", "email"), "segment": ["a", "b"] * (N // 2),
    })


def test_overrides_and_keys(people):
    plan = detect_pii(people, table="customers", key_columns=["customer_id"], overrides={
        "name": ColumnOverride(pii=False),
        "segment": ColumnOverride(entity="LOCATION"),
        "email": ColumnOverride(action="pseudonymize"),
    })
    key = plan["customer_id"]
    assert (key.entity, key.action, key.origin) == (None, "pseudonymize", "override")
    assert key.score == 1.0
    assert key.evidence == {"catalog": "key"}
    assert (plan["name"].entity, plan["name"].action, plan["name"].origin) == (None, "keep",
                                                                               "override")
    seg = plan["segment"]
    assert (seg.entity, seg.action, seg.origin) == ("LOCATION", "fake", "override")
    email = plan["email"]
    assert (email.entity, email.action, email.origin) == ("EMAIL_ADDRESS", "pseudonymize",
                                                          "override")
    assert email.evidence["match_share"] > 0.9


def test_override_entity_with_action(people):
    d = detect_pii(people, overrides={"email": ColumnOverride(entity="EMAIL_ADDRESS",
                                                              action="drop")})["email"]
    assert (d.entity, d.action, d.origin) == ("EMAIL_ADDRESS", "drop", "override")


@pytest.mark.parametrize("kwargs", [
    {"overrides": {"nope": ColumnOverride(pii=False)}},
    {"key_columns": ["nope"]},
])
def test_unknown_column_raises_config_error(people, kwargs):
    with pytest.raises(ConfigError) as err:
        detect_pii(people, table="customers", **kwargs)
    assert "customers" in str(err.value) and "nope" in str(err.value)


@pytest.mark.parametrize("override", [ColumnOverride(entity="SHOE_SIZE"),
                                      ColumnOverride(action="shred"),
                                      ColumnOverride(pii=False, entity="PERSON")])
def test_invalid_override_raises(people, override):
    with pytest.raises(ConfigError):
        detect_pii(people, overrides={"name": override})


# --------------------------------------------------------------------------------------------------
# odd columns, evidence, determinism, bounded cost
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[None] * 10, [], [np.nan] * 5, ["", " ", None]])
def test_empty_columns_are_not_pii(values):
    d = decision(pd.Series(values, dtype=object), "email")
    assert not d.is_pii and d.action == "keep"
    assert d.evidence["note"] == "no values"


def test_mixed_type_and_unicode_columns():
    mixed = [1, "two", 3.5, None, {"a": 1}, b"bytes", "Žluťoučký kůň", 7] * 10
    assert not decision(mixed, "c1").is_pii
    names = faker_column("cs_CZ", "name") + [None, 42, 3.0]
    assert decision(names, "c1").entity == "PERSON"


def test_plan_never_holds_raw_values():
    marker = "Zqxmarker"
    df = pd.DataFrame({
        "name": [f"{marker} Smith{i}" for i in range(N)],
        "email": [f"{marker.lower()}{i}@example.com" for i in range(N)],
        "notes": [f"Call {marker} Jones on +420 602 269 4{i:02d} now" for i in range(N)],
        "phone": [f"+420 602 {i:03d} 439" for i in range(N)],
    })
    plan = detect_pii(df)
    assert plan["email"].is_pii and plan["phone"].is_pii
    text = json.dumps(plan.to_dict()) + plan.to_markdown()
    assert marker.lower() not in text.lower() and "602" not in text


def test_detection_is_deterministic_and_sampled(people):
    a = detect_pii(people, seed=4, sample_size=30).to_dict()
    b = detect_pii(people, seed=4, sample_size=30).to_dict()
    assert a == b
    assert all(c["evidence"].get("sampled", 0) <= 30 for c in a["columns"])


def test_large_tables_are_classified_from_a_bounded_sample():
    names = np.array(faker_column("en_US", "name", n=500), dtype=object)
    big = pd.DataFrame({"name": np.resize(names, 300_000),
                        "amount": np.arange(300_000, dtype=float)})
    plan = detect_pii(big, sample_size=500)
    assert plan["name"].entity == "PERSON" and not plan["amount"].is_pii
    assert all(d.evidence.get("sampled", 0) <= 500 for d in plan.columns)


# --------------------------------------------------------------------------------------------------
# YAML-declared recognizers
# --------------------------------------------------------------------------------------------------

@pytest.fixture
def yaml_recognizers(tmp_path):
    path = tmp_path / "recognizers.yaml"
    path.write_text(
        "recognizers:\n"
        "  - entity: EMPLOYEE_ID\n"
        "    patterns:\n"
        "      - name: emp id\n"
        "        regex: '\\bEMP-\\d{6}\\b'\n"
        "        score: 0.9\n"
        "    context: [employee]\n"
        "    name_hints: [personalnummer]\n"
    )
    yield path
    reset_recognizers()


def test_yaml_recognizer_adds_an_entity(yaml_recognizers):
    assert load_recognizers(yaml_recognizers) == ["EMPLOYEE_ID_yaml"]
    values = [f"EMP-{i:06d}" for i in range(N)]
    d = decision(values, "x1")
    assert (d.entity, d.action) == ("EMPLOYEE_ID", "pseudonymize")
    d = decision(values, "personalnummer", overrides={"personalnummer": ColumnOverride(
        action="drop")})
    assert (d.entity, d.action, d.evidence["name_hint"]) == ("EMPLOYEE_ID", "drop",
                                                             "personalnummer")


def test_yaml_context_words_lift_a_weak_pattern(tmp_path):
    path = tmp_path / "weak.yaml"
    path.write_text("recognizers:\n  - entity: BADGE\n    patterns: [{regex: '\\b[A-Z]{2}\\d{4}\\b',"
                    " score: 0.3}]\n    context: [badge]\n")
    try:
        load_recognizers(path)
        values = [f"AB{i:04d}" for i in range(N)]
        assert not decision(values, "c5").is_pii
        assert decision(values, "badge_code").entity == "BADGE"
    finally:
        reset_recognizers()


@pytest.mark.parametrize("text", [
    "recognizers: []\n",
    "recognizers:\n  - entity: lower\n    patterns: [{regex: 'x'}]\n",
    "recognizers:\n  - entity: BAD\n    patterns: [{regex: '('}]\n",
    "recognizers:\n  - entity: BAD\n    patterns: [{regex: 'x', score: 3}]\n",
    "::: not yaml",
])
def test_bad_yaml_raises_config_error(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_recognizers(path)
    assert "bad.yaml" in str(err.value)


# --------------------------------------------------------------------------------------------------
# the labelled development set and the import boundary
# --------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not (DEV / "truth.json").exists(), reason="no dev set at ../shared/pii-dev")
def test_dev_set_recall_and_precision():
    truth = json.loads((DEV / "truth.json").read_text())
    found = labelled = flagged = correct = 0
    for table, labels in truth.items():
        plan = detect_pii(pd.read_parquet(DEV / f"{table}.parquet"), table=table)
        for column, label in labels.items():
            if label == "either":
                continue
            is_pii = plan[column].is_pii
            labelled += label is not None
            found += label is not None and is_pii
            flagged += is_pii
            correct += is_pii and label is not None
    assert found / labelled >= 0.98
    assert correct / flagged >= 0.95


def test_core_imports_neither_dagster_nor_presidio_eagerly():
    code = ("import sys, tabletwin.pii; "
            "print('dagster' in sys.modules, 'presidio_analyzer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
