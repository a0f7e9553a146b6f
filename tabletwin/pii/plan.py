"""The reviewable PII plan: one decision per column (entity, score, action, evidence, origin).

Detection emits a plan; masking and synthesis consume it. A plan never holds raw values: evidence
is made of hints, shares and validator names only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Mapping

Action = Literal["keep", "fake", "pseudonymize", "generalize", "redact", "drop"]
ACTIONS: tuple[str, ...] = ("keep", "fake", "pseudonymize", "generalize", "redact", "drop")

#: Presidio entity names tabletwin understands. ``ID`` is tabletwin's own: a direct identifier / key.
ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "LOCATION",
    "DATE_TIME",
    "URL",
    "ID",
)

#: How a PII column the catalog keeps (``action: keep``) is marked wherever the plan is shown.
KEPT_BY_CATALOG = "kept by catalog: real values published"

#: What happens to a column of each entity when neither detection nor the catalog says otherwise.
DEFAULT_ACTIONS: dict[str, str] = {
    "PERSON": "fake",
    "EMAIL_ADDRESS": "fake",
    "PHONE_NUMBER": "fake",
    "US_SSN": "fake",
    "CREDIT_CARD": "fake",
    "IBAN_CODE": "fake",
    "IP_ADDRESS": "fake",
    "LOCATION": "fake",
    "DATE_TIME": "generalize",
    "URL": "fake",
    "ID": "pseudonymize",
}


#: Which part of a person's name a PERSON column holds (``ColumnDecision.subtype``).
NAME_SUBTYPES: tuple[str, ...] = ("first_name", "last_name", "full_name")


@dataclass(frozen=True)
class ColumnOverride:
    """A catalog pin for one column. ``pii=False`` marks it not personal; ``entity`` forces one."""

    entity: str | None = None
    pii: bool | None = None
    action: str | None = None


@dataclass(frozen=True)
class ColumnDecision:
    """The decision for one column.

    entity: Presidio entity name, or None when the column is not personal data.
    score: confidence in [0, 1] (1.0 for catalog overrides).
    action: one of ACTIONS; ``keep`` for non-PII columns or an explicit opt-out.
    origin: ``detected`` or ``override``.
    free_text: True when PII sits inside longer text (spans are redacted, not whole cells).
    evidence: name hint, share of sampled values matched, validator... never raw values.
    subtype: for PERSON columns, which part of a name the column holds: one of
        :data:`NAME_SUBTYPES` ("first_name", "last_name", "full_name"), or None when unknown.
        Fakes follow it (a first-name column gets first names).
    quasi_identifier: True for columns that are not direct identifiers but single people out in
        combination (dates of birth, death, admission, discharge; ZIP/postcode; age, sex,
        ethnicity). Flagged for review and for uniqueness figures; the action is not changed.
        ``evidence["quasi"]`` says which kind.
    """

    column: str
    entity: str | None
    score: float
    action: str
    origin: str = "detected"
    free_text: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
    subtype: str | None = None
    quasi_identifier: bool = False

    @property
    def is_pii(self) -> bool:
        return self.entity is not None

    @property
    def kept_by_catalog(self) -> bool:
        """True for a PII column published with its real values because the catalog says keep."""
        return self.entity is not None and self.action == "keep"

    @property
    def sensitive(self) -> bool:
        """True when raw values must never be shown (every PII column, kept or not)."""
        return self.entity is not None


@dataclass
class PiiPlan:
    table: str
    columns: list[ColumnDecision]

    def __getitem__(self, column: str) -> ColumnDecision:
        for d in self.columns:
            if d.column == column:
                return d
        raise KeyError(column)

    @property
    def pii_columns(self) -> list[str]:
        return [d.column for d in self.columns if d.is_pii]

    @property
    def kept_by_catalog(self) -> list[str]:
        """PII columns the catalog keeps: their real values are published (see KEPT_BY_CATALOG)."""
        return [d.column for d in self.columns if d.kept_by_catalog]

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "columns": [asdict(d) for d in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PiiPlan":
        # plans written before subtype / quasi_identifier existed load with their defaults
        return cls(table=data["table"], columns=[ColumnDecision(**c) for c in data["columns"]])

    @property
    def quasi_identifiers(self) -> list[str]:
        return [d.column for d in self.columns if d.quasi_identifier]

    def to_markdown(self) -> str:
        rows = ["| column | PII | entity | subtype | quasi-identifier | score | action | origin "
                "| evidence |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for d in self.columns:
            ev = "; ".join(f"{k}={v}" for k, v in d.evidence.items())
            action = f"{d.action} ({KEPT_BY_CATALOG})" if d.kept_by_catalog else d.action
            rows.append(
                f"| {d.column} | {'yes' if d.is_pii else 'no'} | {d.entity or ''} "
                f"| {d.subtype or ''} | {'yes' if d.quasi_identifier else ''} | {d.score:.2f} "
                f"| {action} | {d.origin} | {ev} |"
            )
        return "\n".join(rows)


def fingerprint(plan: PiiPlan, dtypes: Mapping[str, str]) -> dict[str, dict[str, str | None]]:
    """What a reviewer signed off on, per column: entity, action and source dtype (no values)."""
    return {d.column: {"entity": d.entity, "action": d.action, "dtype": dtypes.get(d.column)}
            for d in plan.columns}


def plan_changes(previous: Mapping[str, Mapping[str, Any]] | None,
                 current: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Columns that are new or changed since the previous fingerprint, with what changed.

    Returns ``{column: [reasons]}``; empty when nothing changed or there is no previous run.
    """
    if not previous:
        return {}
    changes: dict[str, list[str]] = {}
    for col, now in current.items():
        before = previous.get(col)
        if before is None:
            changes[col] = ["new column"]
            continue
        reasons = [f"{field}: {before.get(field)} -> {now.get(field)}"
                   for field in ("entity", "action", "dtype") if before.get(field) != now.get(field)]
        if reasons:
            changes[col] = reasons
    for col in previous:
        if col not in current:
            changes[col] = ["column removed"]
    return changes
