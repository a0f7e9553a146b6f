"""One check's outcome: its status against the registry (:mod:`tabletwin.config.checks`), the
value and threshold shown for it, its severity. No data value: counts, shares and column names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tabletwin.config import checks


@dataclass(frozen=True)
class CheckOutcome:
    """name: a predicate (e.g. ``no_pii_in_synthetic``, see :mod:`tabletwin.config.checks`); ``status``:
    passed, failed, not_applicable or not_measured; value/threshold for display; severity
    ``error`` blocks publication when the check fails (or, with ``checks.not_measured: error``,
    when it was not measured), ``warn`` only reports it."""

    name: str
    status: str
    description: str
    value: float | int | None = None
    threshold: float | int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.status not in checks.STATUSES:
            raise ValueError(f"check {self.name}: unknown status {self.status!r}")

    @property
    def passed(self) -> bool:
        """Measured and within its threshold; never true for a check that did not measure."""
        return self.status == checks.PASSED

    @property
    def flagged(self) -> bool:
        """Failed, or applies and was not measured: reported as a failure of its severity."""
        return self.status in (checks.FAILED, checks.NOT_MEASURED)

    @property
    def blocking_failure(self) -> bool:
        return self.flagged and self.severity == "error"

    @property
    def label(self) -> str:
        """How the status reads to people: pass, FAIL, warn, not measured, not applicable."""
        if self.status == checks.FAILED and self.severity == "warn":
            return "warn"
        return checks.STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        """What ``synth --json`` and the report JSON print for the check."""
        return {"name": self.name, "status": self.status, "value": self.value,
                "threshold": self.threshold, "severity": self.severity,
                "description": self.description, "details": self.details}


def measured(name: str, ok: bool, value: Any, threshold: Any,
              details: dict[str, Any] | None = None, note: str = "") -> CheckOutcome:
    return CheckOutcome(name, checks.PASSED if ok else checks.FAILED,
                        checks.get(name).description + note, value, threshold, details or {})


def not_measured(name: str, why: str, threshold: Any = None,
                  details: dict[str, Any] | None = None) -> CheckOutcome:
    return CheckOutcome(name, checks.NOT_MEASURED, checks.get(name).description, None,
                        threshold, {"note": f"not measured: {why}", **(details or {})})
