"""Schema changes of a source table since its last published version, and whether the catalog
has reviewed them.

A new column is a new privacy risk until someone has looked at it: detection may have missed what
it holds. A retyped column may change what a value means (an amount in cents becoming dollars, an
id becoming text). So, by default (``on_schema_change: block``), each run compares the source's
schema (columns, declared types, keys) with the schema recorded when the table was last
published, and the blocking check ``schema_change_reviewed`` fails until the catalog accepts each
added or retyped column with a ``columns:`` entry (the message prints the exact lines). Dropped
columns are dropped from the copy and reported; they cannot leak anything.

Only names and types appear in messages, never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml

from tabletwin.config.catalog import TableConfig


def _norm(t: str) -> str:
    return " ".join(str(t).upper().split())


@dataclass(frozen=True)
class TableSchema:
    """Columns (name -> declared type, in table order) and keys of a source table."""

    columns: dict[str, str]
    primary_key: tuple[str, ...] = ()
    foreign_keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, columns: dict[str, str], primary_key: list[str] | tuple[str, ...] = (),
           foreign_keys: dict[str, str] | None = None) -> "TableSchema":
        return cls({c: _norm(t) for c, t in columns.items()}, tuple(primary_key),
                   dict(sorted((foreign_keys or {}).items())))

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "primary_key": list(self.primary_key),
                           "foreign_keys": self.foreign_keys}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> "TableSchema | None":
        if not text:
            return None
        d = json.loads(text)
        return cls.of(d.get("columns", {}), d.get("primary_key", ()), d.get("foreign_keys"))


@dataclass(frozen=True)
class SchemaChange:
    kind: str  # "added", "dropped", "retyped" or "keys"
    column: str  # the column (for "keys": the key's description)
    before: str | None = None
    after: str | None = None

    def describe(self) -> str:
        if self.kind == "added":
            return f"+ {self.column} ({self.after}): new column"
        if self.kind == "dropped":
            return f"- {self.column} ({self.before}): dropped from the source, dropped from the copy"
        if self.kind == "retyped":
            return f"~ {self.column}: {self.before} -> {self.after}"
        return f"~ {self.column}: {self.before or 'none'} -> {self.after or 'none'}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "column": self.column, "before": self.before,
                "after": self.after}


def schema_changes(previous: TableSchema | None, current: TableSchema) -> list[SchemaChange]:
    """What changed from ``previous`` (None: never published, nothing to compare) to ``current``."""
    if previous is None:
        return []
    out: list[SchemaChange] = []
    for c, t in current.columns.items():
        if c not in previous.columns:
            out.append(SchemaChange("added", c, None, t))
        elif previous.columns[c] != t:
            out.append(SchemaChange("retyped", c, previous.columns[c], t))
    out += [SchemaChange("dropped", c, t, None) for c, t in previous.columns.items()
            if c not in current.columns]
    if previous.primary_key != current.primary_key:
        out.append(SchemaChange("keys", "primary key", ", ".join(previous.primary_key) or None,
                                ", ".join(current.primary_key) or None))
    for col in sorted(set(previous.foreign_keys) | set(current.foreign_keys)):
        a, b = previous.foreign_keys.get(col), current.foreign_keys.get(col)
        if a != b:
            out.append(SchemaChange("keys", f"foreign key {col}", a, b))
    return out


def is_reviewed(change: SchemaChange, table: TableConfig) -> bool:
    """Whether the catalog accepts ``change``: a dropped column needs nothing; an added column needs
    a ``columns:`` entry; a retyped one an entry whose ``type`` is the new type; a key change is
    reviewed when the catalog declares the table's keys itself."""
    if table.on_schema_change == "accept" or change.kind == "dropped":
        return True
    entry = table.columns.get(change.column)
    if change.kind == "added":
        return entry is not None
    if change.kind == "retyped":
        return entry is not None and entry.type is not None and _norm(entry.type) == change.after
    if change.column == "primary key":
        return table.primary_key is not None
    return change.column.removeprefix("foreign key ") in table.foreign_keys


def _yaml(text: str) -> str:
    """``text`` as a YAML scalar inside a flow mapping: plain when it reads back as itself
    (``BIGINT``), else double-quoted (``"DECIMAL(14,2)"``: a bare comma would split the mapping)."""
    try:
        if yaml.safe_load(f"{{k: {text}}}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text)


def accept_line(change: SchemaChange, verdict: tuple[str | None, str | None] | None) -> str:
    """The ``columns:`` entry that accepts ``change``, valid YAML to paste under the table's
    ``columns:``. ``verdict``: (entity, action) that PII detection gave the column, (None, None)
    when it found nothing personal."""
    col = _yaml(change.column)
    if change.kind == "retyped":
        return f"{col}: {{type: {_yaml(str(change.after))}}}"
    entity, action = verdict or (None, None)
    if entity:
        return f"{col}: {{entity: {entity}, action: {action}}}"
    return f"{col}: {{pii: false}}"


def review_message(table: TableConfig, changes: list[SchemaChange], catalog_path: str,
                   verdicts: dict[str, tuple[str | None, str | None]]) -> str:
    """The message of a failed ``schema_change_reviewed``: each change, the PII verdict of each new
    column, and the catalog lines that accept them."""
    lines = [f"the source of table {table.name} changed since its last published version:"]
    for ch in changes:
        text = ch.describe()
        if ch.kind == "added":
            entity, action = verdicts.get(ch.column, (None, None))
            text += (f", detected PII: {entity} (action {action})" if entity
                     else ", PII detection found nothing personal")
        lines.append("  " + text + ("" if is_reviewed(ch, table) else "  [not reviewed]"))
    todo = [ch for ch in changes if not is_reviewed(ch, table)]
    cols = [c for c in todo if c.kind in ("added", "retyped")]
    if cols:
        lines.append(f"to accept, add under tables.{table.name}.columns in {catalog_path}:")
        lines += ["    " + accept_line(c, verdicts.get(c.column)) for c in cols]
    if any(c.kind == "keys" for c in todo):
        lines.append(f"declare the keys (primary_key, foreign_keys) under tables.{table.name}")
    lines.append(f"(or set tables.{table.name}.on_schema_change: accept to accept any change)")
    return "\n".join(lines)


@dataclass(frozen=True)
class SchemaReview:
    """What ``schema_change_reviewed`` measured: the changes since the last published version
    (``changes``), those the catalog has not reviewed (``unreviewed``) and, when there are any,
    the message naming them and the lines that accept them. ``not_compared``: why there was
    nothing to compare (never published, not read from a warehouse); then nothing was measured."""

    changes: tuple[SchemaChange, ...] = ()
    unreviewed: tuple[SchemaChange, ...] = ()
    message: str = ""
    policy: str = "block"
    not_compared: str | None = None
    #: the source's schema as read by this run (None: not read from a warehouse)
    current: TableSchema | None = None

    @property
    def compared(self) -> bool:
        return self.not_compared is None

    def details(self) -> dict:
        """The changes as the check's details and the report show them (names and types only)."""
        out: dict = {"policy": self.policy,
                     "changes": [{**c.as_dict(), "reviewed": c not in self.unreviewed,
                                  "text": c.describe()} for c in self.changes],
                     "dropped": [c.column for c in self.changes if c.kind == "dropped"]}
        if self.unreviewed:
            out["not_reviewed"] = [c.column for c in self.unreviewed]
            out["message"] = self.message
        return out


#: Why a source read from a file (not a warehouse table) has no schema change to review.
NOT_FROM_WAREHOUSE = "the source was not read from a warehouse table: no schema to compare"
NEVER_PUBLISHED = ("no published version of the table recorded its source schema (never "
                   "published yet): nothing to compare with")


def review(table: TableConfig, previous: TableSchema | None, current: TableSchema | None,
           catalog_path: str, verdicts: dict[str, tuple[str | None, str | None]]) -> SchemaReview:
    """Compare ``current`` (the source as read today; None: not read from a warehouse) with
    ``previous`` (the schema of the last published version; None: none) under ``table``'s
    catalog entry. ``verdicts``: column -> (entity, action) of the table's PII plan."""
    if current is None:
        return SchemaReview(policy=table.on_schema_change, not_compared=NOT_FROM_WAREHOUSE)
    if previous is None:
        return SchemaReview(policy=table.on_schema_change, not_compared=NEVER_PUBLISHED,
                            current=current)
    changes = schema_changes(previous, current)
    todo = tuple(c for c in changes if not is_reviewed(c, table))
    return SchemaReview(tuple(changes), todo,
                        review_message(table, changes, catalog_path, verdicts) if todo else "",
                        table.on_schema_change, current=current)
