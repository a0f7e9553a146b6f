"""The gate's leak scan finds leaks, not coincidences; PII columns the catalog keeps are reported.

Rule under test (tabletwin.pii.leakage): a source PII value leaks when it appears in a synthetic
PII column, or in a non-PII column where it is not also a legitimate source value of that same
column. Free-text columns are seen span by span (an address or e-mail inside a memo). Columns the
catalog keeps despite a PII verdict are counted apart (``kept``) and reported as a warning.
Marker values (``Qz...``) make every search exact.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.loader import parse_catalog
from tabletwin.pii import detect_pii
from tabletwin.pii.leakage import LeakIndex, pii_leak_scan, pii_leaks
from tabletwin.pii.plan import KEPT_BY_CATALOG, ColumnDecision, ColumnOverride, PiiPlan
from tabletwin.quality.profile import profile_table
from tabletwin.quality.gate import evaluate
from tabletwin.quality.report import write_report


def _players() -> tuple[pd.DataFrame, PiiPlan]:
    """Players whose names include country names (as in the sports warehouse of issue 14)."""
    first = ["Germany", "Qzalina", "Qzorvan", "France", "Qzemil", "Qzudo"] * 5
    last = ["Ireland", "Qzarrow", "Qzellet", "Qzimonds", "Qzeroux", "Qzanka"] * 5
    country = ["Germany", "France", "Ireland", "Spain", "Italy", "Canada"] * 5
    df = pd.DataFrame({"player_id": [f"p{i:03d}" for i in range(30)], "nameFirst": first,
                       "nameLast": last, "country": country})
    plan = PiiPlan("players", [
        ColumnDecision("player_id", None, 1.0, "pseudonymize", "override"),
        ColumnDecision("nameFirst", "PERSON", 0.9, "fake"),
        ColumnDecision("nameLast", "PERSON", 0.9, "fake"),
        ColumnDecision("country", None, 1.0, "keep"),
    ])
    return df, plan


def _synthetic(df: pd.DataFrame, **columns) -> pd.DataFrame:
    out = pd.DataFrame({"player_id": [f"s{i:03d}" for i in range(len(df))],
                        "nameFirst": ["Fakefirst"] * len(df), "nameLast": ["Fakelast"] * len(df),
                        "country": df["country"].to_numpy()})
    for name, values in columns.items():
        out[name] = values
    return out


def test_country_equal_to_a_players_name_is_no_leak():
    df, plan = _players()
    syn = _synthetic(df)  # "Germany", "France", "Ireland" in country, as in the source
    assert sum(pii_leaks(df, syn, plan).values()) == 0


def test_source_name_in_a_pii_column_is_a_leak_even_if_it_is_a_country():
    df, plan = _players()
    syn = _synthetic(df, nameLast=["Germany"] * 3 + ["Fakelast"] * 27)
    leaks = pii_leaks(df, syn, plan)
    assert leaks["nameFirst"] == 3  # "Germany" is a real first name, now in a PII column


def test_real_name_in_a_non_pii_column_that_never_held_it_is_a_leak():
    df, plan = _players()
    country = df["country"].to_numpy().copy()
    country[:4] = "Qzalina"  # a real first name, never a country in the source
    leaks = pii_leaks(df, _synthetic(df, country=country), plan)
    assert leaks["nameFirst"] == 4 and leaks["nameLast"] == 0


def test_legitimate_value_in_one_column_is_still_a_leak_in_another_non_pii_column():
    df, plan = _players()
    df["team"] = ["Qzteam"] * len(df)
    plan = PiiPlan(plan.table, [*plan.columns, ColumnDecision("team", None, 1.0, "keep")])
    syn = _synthetic(df, team=["Germany"] * 2 + ["Qzteam"] * 28)  # never a team in the source
    assert pii_leaks(df, syn, plan)["nameFirst"] == 2


def test_real_email_copied_into_a_kept_free_text_column_is_a_leak():
    emails = [f"qz.user{i}@markermail.org" for i in range(40)]
    memo = [f"customer asked about order {i} and the delivery window" for i in range(40)]
    df = pd.DataFrame({"email": emails, "memo": memo})
    plan = detect_pii(df, table="t", overrides={"memo": ColumnOverride(pii=False)})
    assert plan["email"].is_pii and not plan["memo"].is_pii and plan["memo"].action == "keep"
    syn = pd.DataFrame({"email": [f"fake{i}@example.com" for i in range(40)],
                        "memo": [f"{m} - write to {e}" if i < 7 else m
                                 for i, (m, e) in enumerate(zip(memo, emails))]})
    assert pii_leaks(df, syn, plan)["email"] == 7


@pytest.mark.parametrize("address, copied", [
    ("1578 Qzennick Street, Springfield, IL 62704", "deliver to 1578 Qzennick Street today"),
    ("Qzumbachstraße 14, 10115 Berlin", "Paket an Qzumbachstraße 14 in Hamburg"),
    ("12 rue Qzerville, 75002 Paris", "livrer au 12 rue Qzerville, Lyon"),
    ("Calle Qzamora 3, 28013 Madrid", "enviar a Calle Qzamora 3, Sevilla"),
    ("Via Qzorzi 10, 00184 Roma", "spedire a Via Qzorzi 10 subito"),
    ("Qzeestraat 12, 1017 GC Amsterdam", "bezorgen op Qzeestraat 12 graag"),
    ("Rua Qzaveira 100, 1100-053 Lisboa", "entregar na Rua Qzaveira 100, Porto"),
])
def test_address_span_from_free_text_found_in_any_synthetic_cell(address, copied):
    memo = [f"note {i}: ship to {address}, thanks" if i % 2 == 0 else
            f"note {i}: call the customer back tomorrow about the invoice" for i in range(40)]
    df = pd.DataFrame({"memo": memo, "status": ["open", "closed"] * 20})
    plan = PiiPlan("orders", [ColumnDecision("memo", "LOCATION", 0.8, "redact", free_text=True),
                              ColumnDecision("status", None, 1.0, "keep")])
    clean = pd.DataFrame({"memo": ["note: call the customer back"] * 40,
                          "status": ["open"] * 40})
    assert pii_leaks(df, clean, plan)["memo"] == 0
    # the street and number, with another city around it, in the free text or another column
    leaked = pd.DataFrame({"memo": [copied] * 3 + ["note: call the customer back"] * 37,
                           "status": ["open"] * 39 + [copied]})
    assert pii_leaks(df, leaked, plan)["memo"] == 4


def test_leak_index_streamed_in_batches_equals_whole_table():
    df, plan = _players()
    df["memo"] = [f"met Qzalina Qzarrow at 1578 Qzennick Street, Apt {i}" for i in range(30)]
    plan = PiiPlan(plan.table, [*plan.columns, ColumnDecision("memo", "PERSON", 0.8, "redact",
                                                              free_text=True)])
    syn = _synthetic(df, country=["Qzorvan"] + list(df["country"][1:]))
    syn["memo"] = ["see 1578 Qzennick Street"] * 2 + ["nothing"] * 28
    index = LeakIndex(plan.columns)
    for start in range(0, len(df), 7):
        index.add(df.iloc[start:start + 7])
    whole = pii_leak_scan(df, syn, plan)
    assert index.scan(syn) == whole
    assert whole.leaks["nameFirst"] == 1 and whole.leaks["memo"] == 2


# --------------------------------------------------------------------------------------------------
# keep: an explicit, visible exception
# --------------------------------------------------------------------------------------------------


def _contacts(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"email": [f"qz.person{i}@markermail.org" for i in range(n)],
                         "segment": rng.choice(["a", "b", "c"], n),
                         "spend": rng.integers(10, 500, n)})


def test_keep_marks_the_plan():
    df = _contacts()
    plan = detect_pii(df, table="contacts", overrides={"email": ColumnOverride(action="keep")})
    d = plan["email"]
    assert d.is_pii and d.action == "keep" and d.origin == "override"
    assert d.kept_by_catalog and plan.kept_by_catalog == ["email"]
    assert d.evidence["kept"] == KEPT_BY_CATALOG
    assert KEPT_BY_CATALOG in plan.to_markdown()
    assert not detect_pii(df, table="contacts").kept_by_catalog


def test_kept_column_is_counted_and_warned_not_skipped(tmp_path):
    df = _contacts()
    cat = parse_catalog({"tables": {"contacts": {"columns": {"email": {"action": "keep"}}}}})
    table = cat.table("contacts")
    plan = detect_pii(df, table="contacts", overrides=table.overrides())
    syn = df.sample(frac=1.0, random_state=1).reset_index(drop=True)  # real e-mails published
    report = evaluate(source=df, masked=df, synthetic=syn, plan=plan,
                      profile=profile_table(df, plan), table=table, rows_expected=len(syn), seed=3)
    assert report.kept_by_catalog == {"email": len(df)}
    outcomes = {o.name: o for o in report.outcomes()}
    kept = outcomes["no_pii_kept_by_catalog"]
    assert not kept.passed and kept.severity == "warn" and kept.value == len(df)
    assert kept.details["kept_by_catalog"] == {"email": len(df)}
    assert "no_pii_kept_by_catalog" in report.warnings
    assert "no_pii_kept_by_catalog" not in report.failed_checks
    leak = outcomes["no_pii_in_synthetic"]
    assert leak.passed and leak.details["kept_by_catalog"] == len(df)
    page = write_report(tmp_path, report, plan, profile_table(df, plan), partition="2026-01-01",
                        run_id="r1", generator="g")
    html = page.read_text()
    data = json.loads(page.with_suffix(".json").read_text())
    assert KEPT_BY_CATALOG in html and "email" in html
    assert data["kept_by_catalog"] == {"email": {"note": KEPT_BY_CATALOG, "cells": len(df)}}
    for value in df["email"]:
        assert value not in html and value not in page.with_suffix(".json").read_text()


def test_everything_else_stays_blocking_next_to_a_kept_column():
    df = _contacts()
    df["backup_email"] = [f"qz.other{i}@markermail.org" for i in range(len(df))]
    cat = parse_catalog({"tables": {"contacts": {"columns": {"email": {"action": "keep"}}}}})
    table = cat.table("contacts")
    plan = detect_pii(df, table="contacts", overrides=table.overrides())
    assert plan["backup_email"].is_pii and plan["backup_email"].action != "keep"
    syn = df.copy()
    syn["backup_email"] = [f"fake{i}@example.com" for i in range(len(df))]
    syn.loc[:4, "backup_email"] = df["backup_email"][:5].to_numpy()
    report = evaluate(source=df, masked=df, synthetic=syn, plan=plan,
                      profile=profile_table(df, plan), table=table, rows_expected=len(syn), seed=3)
    assert report.pii_leaks["backup_email"] == 5
    assert "no_pii_in_synthetic" in report.failed_checks


def test_no_kept_column_says_not_applicable_rather_than_a_count():
    df = _contacts()
    table = parse_catalog({"tables": {"contacts": {}}}).table("contacts")
    plan = detect_pii(df, table="contacts")
    syn = df.assign(email=[f"fake{i}@example.com" for i in range(len(df))])
    report = evaluate(source=df, masked=df, synthetic=syn, plan=plan,
                      profile=profile_table(df, plan), table=table, rows_expected=len(syn), seed=3)
    kept = next(o for o in report.outcomes() if o.name == "no_pii_kept_by_catalog")
    assert kept.value is None and "not applicable" in kept.details["note"]
