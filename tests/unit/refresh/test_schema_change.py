"""Schema changes block until the catalog reviews them (tabletwin.config.schema_change)."""

import pytest

from tabletwin.config.loader import parse_catalog
from tabletwin.config.schema_change import (TableSchema, is_reviewed, review_message,
                                            schema_changes)

BEFORE = TableSchema.of({"id": "BIGINT", "amount": "DECIMAL(10,2)", "city": "VARCHAR"}, ["id"])


def table(**entry):
    return parse_catalog({"tables": {"customers": {"primary_key": "id", **entry}}},
                         "tabletwin.yaml").tables["customers"]


@pytest.mark.parametrize("after,kind,column", [
    ({"id": "BIGINT", "amount": "DECIMAL(10,2)", "city": "VARCHAR", "email": "VARCHAR"},
     "added", "email"),
    ({"id": "BIGINT", "amount": "DOUBLE", "city": "VARCHAR"}, "retyped", "amount"),
    ({"id": "BIGINT", "amount": "DECIMAL(10,2)"}, "dropped", "city"),
])
def test_each_kind_of_change(after, kind, column):
    changes = schema_changes(BEFORE, TableSchema.of(after, ["id"]))
    assert [(c.kind, c.column) for c in changes] == [(kind, column)]


def test_no_previous_version_means_no_change():
    assert schema_changes(None, BEFORE) == []


def test_key_change_is_a_change():
    changes = schema_changes(BEFORE, TableSchema.of(BEFORE.columns, ["city"]))
    assert [c.kind for c in changes] == ["keys"]


def test_type_spelling_is_normalised():
    assert schema_changes(BEFORE, TableSchema.of({"id": "bigint", "amount": "DECIMAL(10,2)",
                                                  "city": "varchar"}, ["id"])) == []


def test_added_column_blocks_until_a_columns_entry():
    ch = schema_changes(BEFORE, TableSchema.of({**BEFORE.columns, "email": "VARCHAR"}, ["id"]))[0]
    assert not is_reviewed(ch, table())
    assert is_reviewed(ch, table(columns={"email": {"entity": "EMAIL_ADDRESS"}}))
    assert is_reviewed(ch, table(on_schema_change="accept"))


def test_retyped_column_needs_its_new_type():
    ch = schema_changes(BEFORE, TableSchema.of({**BEFORE.columns, "amount": "DOUBLE"}, ["id"]))[0]
    assert not is_reviewed(ch, table())
    assert not is_reviewed(ch, table(columns={"amount": {"type": "INTEGER"}}))
    assert is_reviewed(ch, table(columns={"amount": {"type": "double"}}))


def test_dropped_column_never_blocks():
    ch = schema_changes(BEFORE, TableSchema.of({"id": "BIGINT", "amount": "DECIMAL(10,2)"},
                                               ["id"]))[0]
    assert is_reviewed(ch, table())


def test_message_lists_changes_verdicts_and_accepting_lines():
    after = TableSchema.of({"id": "BIGINT", "amount": "DOUBLE", "email": "VARCHAR",
                            "tier": "VARCHAR"}, ["id"])
    changes = schema_changes(BEFORE, after)
    msg = review_message(table(), changes, "tabletwin.yaml",
                         {"email": ("EMAIL_ADDRESS", "fake"), "tier": (None, None)})
    assert "+ email (VARCHAR): new column, detected PII: EMAIL_ADDRESS (action fake)" in msg
    assert "tier" in msg and "found nothing personal" in msg
    assert "~ amount: DECIMAL(10,2) -> DOUBLE" in msg
    assert "- city (VARCHAR)" in msg
    assert "    email: {entity: EMAIL_ADDRESS, action: fake}" in msg
    assert "    tier: {pii: false}" in msg
    assert "    amount: {type: DOUBLE}" in msg
    assert "tables.customers.columns in tabletwin.yaml" in msg


def test_json_round_trip():
    assert TableSchema.from_json(BEFORE.to_json()) == BEFORE
    assert TableSchema.from_json(None) is None
