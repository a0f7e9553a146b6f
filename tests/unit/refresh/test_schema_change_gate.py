"""``schema_change_reviewed`` in the quality gate: each kind of change blocks or passes as the
catalog says, nothing to compare is not applicable (never a pass), and the report shows it."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from tabletwin.chain.stages import review_schema, run_record
from tabletwin.config.catalog import TableConfig
from tabletwin.config.loader import parse_catalog
from tabletwin.config.schema_change import (SchemaChange, TableSchema, accept_line, is_reviewed,
                                            review)
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.quality.gate import QualityReport
from tabletwin.quality.profile import profile_table
from tabletwin.quality.report import render_html
from tests.quality_reports import minimal_report

NAME = "schema_change_reviewed"
CATALOG = "/tmp/cat/tabletwin.yaml"
BEFORE = TableSchema.of({"id": "BIGINT", "amount": "DECIMAL(10,2)", "city": "VARCHAR"}, ["id"])
VERDICTS = {"email": ("EMAIL_ADDRESS", "fake"), "tier": (None, None)}


def table(**entry):
    return parse_catalog({"tables": {"customers": {"primary_key": "id", **entry}}},
                         CATALOG).tables["customers"]


def base_report(**changes) -> QualityReport:
    return minimal_report("customers", **changes)


def gate(t, after: dict[str, str] | None, previous: TableSchema | None = BEFORE,
         pk: tuple[str, ...] = ("id",)) -> tuple[QualityReport, object]:
    current = None if after is None else TableSchema.of(after, pk)
    rep = base_report(thresholds=t.checks,
                      schema_review=review(t, previous, current, CATALOG, VERDICTS))
    return rep, {o.name: o for o in rep.outcomes()}[NAME]


def test_the_other_checks_pass_so_the_verdict_is_this_checks():
    rep, o = gate(table(), dict(BEFORE.columns))
    assert o.status == "passed" and o.value == 0 and o.details["changes"] == []
    assert rep.passed


def test_an_added_column_blocks_then_a_columns_entry_accepts_it():
    after = {**BEFORE.columns, "email": "VARCHAR"}
    rep, o = gate(table(), after)
    assert o.status == "failed" and o.value == 1 and o.severity == "error"
    assert not rep.passed and NAME in rep.failed_checks
    msg = o.details["message"]
    assert "+ email (VARCHAR): new column, detected PII: EMAIL_ADDRESS (action fake)" in msg
    assert "to accept, add under tables.customers.columns in " + CATALOG in msg
    assert "    email: {entity: EMAIL_ADDRESS, action: fake}" in msg
    assert o.details["not_reviewed"] == ["email"]
    rep2, o2 = gate(table(columns={"email": {"entity": "EMAIL_ADDRESS", "action": "fake"}}), after)
    assert o2.status == "passed" and rep2.passed and "message" not in o2.details
    assert [(c["kind"], c["column"], c["reviewed"]) for c in o2.details["changes"]] == \
        [("added", "email", True)]


def test_a_new_column_nothing_personal_is_accepted_by_pii_false():
    after = {**BEFORE.columns, "tier": "VARCHAR"}
    _, o = gate(table(), after)
    assert "PII detection found nothing personal" in o.details["message"]
    assert "    tier: {pii: false}" in o.details["message"]
    _, o2 = gate(table(columns={"tier": {"pii": False}}), after)
    assert o2.status == "passed"


def test_a_retyped_column_blocks_until_the_catalog_names_its_new_type():
    after = {**BEFORE.columns, "amount": "DOUBLE"}
    _, o = gate(table(), after)
    assert o.status == "failed"
    assert "~ amount: DECIMAL(10,2) -> DOUBLE" in o.details["message"]
    assert "    amount: {type: DOUBLE}" in o.details["message"]
    _, stale = gate(table(columns={"amount": {"type": "DECIMAL(10,2)"}}), after)
    assert stale.status == "failed"  # the old type reviewed is not the new one
    _, o2 = gate(table(columns={"amount": {"type": "double"}}), after)
    assert o2.status == "passed"
    assert o2.details["changes"][0]["before"] == "DECIMAL(10,2)"


def test_a_dropped_column_passes_and_is_reported():
    after = {"id": "BIGINT", "amount": "DECIMAL(10,2)"}
    rep, o = gate(table(), after)
    assert o.status == "passed" and o.value == 0 and rep.passed
    assert o.details["dropped"] == ["city"]
    assert "- city (VARCHAR): dropped from the source, dropped from the copy" in \
        [c["text"] for c in o.details["changes"]]


def test_a_key_change_blocks_unless_the_catalog_declares_the_keys():
    no_pk = parse_catalog({"tables": {"customers": {}}}, CATALOG).tables["customers"]
    _, o = gate(no_pk, dict(BEFORE.columns), pk=())
    assert o.status == "failed"
    assert "~ primary key: id -> none" in o.details["message"]
    assert "declare the keys (primary_key, foreign_keys) under tables.customers" in \
        o.details["message"]
    # keys the catalog declares itself are reviewed
    _, o2 = gate(table(), dict(BEFORE.columns), previous=TableSchema.of(BEFORE.columns, ["city"]))
    assert o2.status == "passed" and o2.details["changes"][0]["kind"] == "keys"


def test_on_schema_change_accept_lets_every_change_through_and_lists_them():
    after = {"id": "BIGINT", "amount": "DOUBLE", "email": "VARCHAR"}
    rep, o = gate(table(on_schema_change="accept"), after)
    assert o.status == "passed" and rep.passed and o.details["policy"] == "accept"
    assert {(c["kind"], c["column"]) for c in o.details["changes"]} == \
        {("retyped", "amount"), ("added", "email"), ("dropped", "city")}
    assert all(c["reviewed"] for c in o.details["changes"])


def test_nothing_to_compare_is_not_applicable_never_a_pass():
    for previous, after, why in [(None, dict(BEFORE.columns), "never published"),
                                 (BEFORE, None, "not read from a warehouse")]:
        rep, o = gate(table(), after, previous=previous)
        assert o.status == "not_applicable" and not o.passed and o.value is None
        assert why in o.details["note"]
        assert rep.passed and NAME not in rep.scores() and NAME not in rep.warnings
    # a report made without a review (the CLI's synth of a file) says the same
    o = {o.name: o for o in base_report().outcomes()}[NAME]
    assert o.status == "not_applicable" and "not read from a warehouse" in o.details["note"]


def test_a_catalog_severity_warn_reports_without_blocking():
    t = table(checks={"severity": {NAME: "warn"}})
    rep, o = gate(t, {**BEFORE.columns, "email": "VARCHAR"})
    assert o.status == "failed" and rep.passed and NAME in rep.warnings


class _History:
    """The one warehouse method review_schema reads."""

    def __init__(self, published: str | None):
        self.published, self.asked = published, []

    def published_schema(self, schema: str, table: str) -> str | None:
        self.asked.append((schema, table))
        return self.published


def test_review_schema_reads_the_published_schema_and_the_plans_verdicts():
    plan = PiiPlan("customers", [ColumnDecision("id", None, 1.0, "pseudonymize"),
                                 ColumnDecision("email", "EMAIL_ADDRESS", 0.9, "fake"),
                                 ColumnDecision("tier", None, 0.0, "keep")])
    current = TableSchema.of({**BEFORE.columns, "email": "VARCHAR", "tier": "VARCHAR"}, ["id"])
    wh = _History(BEFORE.to_json())
    r = review_schema(wh, table(), current, target_schema="synthetic", catalog_path=CATALOG,
                      plan=plan)
    assert wh.asked == [("synthetic", "customers")]
    assert [c.column for c in r.unreviewed] == ["email", "tier"]
    assert "detected PII: EMAIL_ADDRESS (action fake)" in r.message
    assert "    tier: {pii: false}" in r.message
    assert r.current == current
    # never published: nothing to compare, today's schema still recorded with the run
    first = review_schema(_History(None), table(), current, target_schema="synthetic",
                          catalog_path=CATALOG, plan=plan)
    rep = base_report(schema_review=first)
    assert not first.compared and rep.source_schema_json == current.to_json()
    record = run_record(table(), rep, partition="2026-12-01", run_id="r", seed=1,
                        source_schema=rep.source_schema_json)
    assert TableSchema.from_json(record.source_schema) == current


def test_the_report_lists_the_changes_and_the_message():
    t = table()
    after = TableSchema.of({"id": "BIGINT", "amount": "DECIMAL(10,2)", "email": "VARCHAR"}, ["id"])
    rep = base_report(schema_review=review(t, BEFORE, after, CATALOG, VERDICTS))
    df = pd.DataFrame({"a": range(10)})
    plan = PiiPlan("customers", [ColumnDecision("a", None, 0.0, "keep")])
    html = render_html(rep, plan, profile_table(df, plan), partition="2026-12-01", run_id="r",
                       generator="copula")
    section = html.split("id='schema'>", 1)[1].split("<h2", 1)[0]
    assert "<code>email</code>" in section and "not reviewed" in section
    assert "<code>city</code>" in section and "dropped from the copy" in section
    assert "email: {entity: EMAIL_ADDRESS, action: fake}" in section
    # nothing changed: no section
    same = base_report(schema_review=review(t, BEFORE, BEFORE, CATALOG, VERDICTS))
    assert "id='schema'" not in render_html(same, plan, profile_table(df, plan),
                                            partition="2026-12-01", run_id="r",
                                            generator="copula")


def test_a_columns_entry_with_only_a_type_changes_no_pii_decision():
    from tabletwin.pii.detect import detect_pii

    df = pd.DataFrame({"amount": [1.5, 2.25, 3.0] * 20,
                       "contact": [f"person{i}@example.org" for i in range(60)]})
    t = table(columns={"amount": {"type": "DOUBLE"}, "contact": {"type": "VARCHAR"}})
    plain = detect_pii(df, table="customers")
    typed = detect_pii(df, table="customers", overrides=t.overrides())
    assert typed.columns == plain.columns
    assert typed["contact"].entity == "EMAIL_ADDRESS" and typed["contact"].origin == "detected"


@pytest.mark.parametrize("change,verdict,expected", [
    (SchemaChange("retyped", "amount", "DOUBLE", "DECIMAL(14,2)"), None,
     {"amount": {"type": "DECIMAL(14,2)"}}),
    (SchemaChange("retyped", "age", "BIGINT", "INTEGER"), None, {"age": {"type": "INTEGER"}}),
    (SchemaChange("added", "work email: main", None, "VARCHAR"), ("EMAIL_ADDRESS", "fake"),
     {"work email: main": {"entity": "EMAIL_ADDRESS", "action": "fake"}}),
    (SchemaChange("added", "notes", None, "VARCHAR"), (None, None), {"notes": {"pii": False}}),
])
def test_the_printed_catalog_line_is_yaml_that_accepts_the_change(change, verdict, expected):
    entry = yaml.safe_load(accept_line(change, verdict))
    assert entry == expected
    table = TableConfig(name="t", columns=entry)
    assert is_reviewed(change, table)
