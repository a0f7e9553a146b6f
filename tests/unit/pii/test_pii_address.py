"""Street addresses (and the other entities) inside free text are redacted span by span.

Addresses with a house number in several locales and formats are found by the Presidio recognizer
of tabletwin.pii.address, masked in free-text columns, never reach the synthetic table, and are
seen by the gate's leak scan. Marker street names (``Qz...``) make every search exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.loader import parse_catalog
from tabletwin.pii import detect_pii, mask_table, pii_leaks
from tabletwin.pii.address import find_addresses
from tabletwin.pii.recognizers import analysis
from tabletwin.pii.recognizers.street_address import StreetAddressRecognizer

KEY = b"test-key-0123456789abcdef0123456"

#: (sentence, the address text that must be covered by one LOCATION span)
FORMATS = [
    ("ship to 1578 Qzennick Street, Springfield, IL 62704 asap", "1578 Qzennick Street"),
    ("ship to 1578 qzennick street please", "1578 qzennick street"),
    ("send it to 221B Qzaker St., London NW1 6XE", "221B Qzaker St."),
    ("deliver to 77 Qzarry Road, Apt 4, Boston MA 02110", "77 Qzarry Road, Apt 4"),
    ("remit to PO Box 4821, Springfield", "PO Box 4821"),
    ("Lieferung an Max, 1409 Qzusterstraße, Berlin", "1409 Qzusterstraße"),
    ("Bitte an Qzusterstraße 14, 10115 Berlin liefern", "Qzusterstraße 14"),
    ("Bitte an Qzauptstr. 5, 80331 München", "Qzauptstr. 5"),
    ("Kunde wohnt in der Qzans-Qzuber-Straße 47-26 in Köln", "Qzans-Qzuber-Straße 47-26"),
    ("Livrer au 12 rue de la Qzaix, 75002 Paris", "12 rue de la Qzaix"),
    ("Livrer au 12, avenue Qzoch, 75008 Paris", "12, avenue Qzoch"),
    ("Enviar a Calle Qzayor 3, 28013 Madrid", "Calle Qzayor 3"),
    ("Enviar a C/ Qzayor 3, 28013 Madrid", "C/ Qzayor 3"),
    ("Spedire a Via Qzoma 10, 00184 Roma", "Via Qzoma 10"),
    ("Spedire a Rotonda Qzirginia, 58 Piano 8", "Rotonda Qzirginia, 58 Piano 8"),
    ("Bezorgen op Qzerkstraat 12, 1017 GC Amsterdam", "Qzerkstraat 12"),
    ("Bezorgen op Qzucasboulevard 7", "Qzucasboulevard 7"),
    ("Entregar na Rua Qzugusta 100, 1100-053 Lisboa", "Rua Qzugusta 100"),
    ("Entregar na Av do Qzejo, 799", "Av do Qzejo, 799"),
]

NOT_ADDRESSES = [
    "Ordered 12 Boxes on Monday", "call me at 5 pm about the 3 items", "Invoice 2023 paid in full",
    "Meeting in Room 12 at noon", "Windows 10 Pro licence renewed", "Version 2 Release Notes",
    "Bestellung 12 Stück geliefert", "Commande 12 livrée lundi", "Pedido 45 entregado el lunes",
]


@pytest.mark.parametrize("text, address", FORMATS, ids=[a for _, a in FORMATS])
def test_recognizer_finds_address_with_house_number(text, address):
    start = text.index(address)
    spans = analysis.text_spans(text)
    assert any(s.entity == "LOCATION" and s.start <= start and s.end >= start + len(address)
               for s in spans), [(s.entity, s.start, s.end) for s in spans]


@pytest.mark.parametrize("text, postcode", [
    ("ship to 1578 Qzennick Street, Springfield, IL 62704 asap", "62704"),
    ("send it to 221B Qzaker St., London NW1 6XE", "NW1 6XE"),
    ("Bitte an Qzusterstraße 14, 10115 Berlin liefern", "10115"),
    ("Livrer au 12 rue de la Qzaix, 75002 Paris", "75002"),
    ("Bezorgen op Qzerkstraat 12, 1017 GC Amsterdam", "1017 GC"),
    ("Entregar na Rua Qzugusta 100, 1100-053 Lisboa", "1100-053"),
])
def test_postcode_next_to_an_address_is_in_its_span(text, postcode):
    start = text.index(postcode)
    assert any(s.entity == "LOCATION" and s.start <= start and s.end >= start + len(postcode)
               for s in analysis.text_spans(text))


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_numbers_in_ordinary_sentences_are_no_address(text):
    assert not [s for s in analysis.text_spans(text) if s.entity == "LOCATION"]


def test_address_recognizer_is_a_presidio_recognizer_in_the_engine():
    engine = analysis.engine()
    names = {type(r).__name__ for r in engine.registry.recognizers}
    assert "StreetAddressRecognizer" in names
    found = engine.analyze(text="ship to 1578 Qzennick Street today", language="en",
                           entities=["LOCATION"])
    assert [r.entity_type for r in found] == ["LOCATION"]
    assert StreetAddressRecognizer().analyze("ship to 1578 Qzennick Street", ["PERSON"]) == []
    assert find_addresses("ship to 1578 Qzennick Street")[0][:2] == (8, 28)


def _memos(n: int) -> tuple[list[str], list[str]]:
    """Free-text memos, each holding one marker address of a rotating format."""
    memos, addresses = [], []
    for i in range(n):
        text, address = FORMATS[i % len(FORMATS)]
        memos.append(f"order {i}: {text} (ref {100 + i})")
        addresses.append(address)
    return memos, addresses


def test_free_text_masking_redacts_every_address_span():
    memos, addresses = _memos(380)
    df = pd.DataFrame({"id": range(len(memos)), "memo": memos})
    plan = detect_pii(df, table="orders")
    d = plan["memo"]
    assert d.is_pii and d.free_text and d.action == "redact"
    out = mask_table(df, plan, key=KEY, seed=1)["memo"]
    street_words = {w for a in addresses for w in a.replace(",", " ").split() if w.startswith(
        ("Qz", "qz"))}
    surviving = [w for w in street_words if out.str.contains(w, regex=False).any()]
    assert surviving == []
    # the text around the spans is kept
    assert out.str.startswith("order ").all()
    assert out.str.contains("(ref ", regex=False).all()


#: Each entity the column scanners know, inside a sentence (marker values).
ENTITY_TEXTS = [
    ("EMAIL_ADDRESS", "write to qz.marker.person@markermail.org today", "qz.marker.person"),
    ("PHONE_NUMBER", "call +49 30 901820 77 after five", "901820"),
    ("US_SSN", "his SSN is 536-22-8726 on file", "536-22-8726"),
    ("CREDIT_CARD", "paid with 4111 1111 1111 1111 yesterday", "4111 1111 1111 1111"),
    ("IBAN_CODE", "refund to DE89 3704 0044 0532 0130 00 please", "0532 0130"),
    ("IP_ADDRESS", "login from 203.0.113.77 flagged", "203.0.113.77"),
    ("URL", "see https://qzmarker.example.org/profile/77 for details", "qzmarker"),
    ("PERSON", "spoke with Maria Qzellini about it", "Maria Qzellini"),
    ("LOCATION", "ship to 1578 Qzennick Street, Springfield", "Qzennick"),
]


@pytest.mark.parametrize("entity, text, marker", ENTITY_TEXTS, ids=[e for e, _, _ in ENTITY_TEXTS])
def test_free_text_redacts_each_known_entity(entity, text, marker):
    memos = [f"ticket {i}: {text}" if i % 2 == 0 else
             f"ticket {i}: customer asked about the delivery window" for i in range(60)]
    df = pd.DataFrame({"memo": memos})
    plan = detect_pii(df, table="tickets")
    assert plan["memo"].free_text and plan["memo"].action == "redact"
    out = mask_table(df, plan, key=KEY, seed=2)["memo"]
    assert not out.str.contains(marker, regex=False).any()
    assert out.str.startswith("ticket ").all()
    assert sum(pii_leaks(df, out.to_frame(), plan).values()) == 0


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL",
                                    "pt_PT"])
def test_synthetic_table_holds_no_source_address(locale):
    """The whole chain (detect, mask, fit, sample, gate) on a memo column of generated addresses."""
    from faker import Faker

    from tabletwin.chain.memory import synth_frame

    fake = Faker(locale)
    fake.seed_instance(7)
    streets = []
    while len(streets) < 300:
        street = fake.street_address()
        if any(ch.isdigit() for ch in street):
            streets.append(street)
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"order_id": np.arange(300), "amount": rng.integers(5, 400, 300),
                       "status": rng.choice(["new", "paid", "sent"], 300),
                       "memo": [f"ship to {s}, contact {fake.email()}" for s in streets]})
    table = parse_catalog({"tables": {"orders": {}}}).table("orders")
    res = synth_frame(df, table, seed=0, key=KEY)
    syn = res.synthetic["memo"].dropna().astype(str).str.casefold()
    copied = sum(syn.str.contains(s.casefold(), regex=False).sum() for s in streets)
    assert copied == 0
    assert res.report.pii_leaks.get("memo", 0) == 0
