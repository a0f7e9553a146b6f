"""US social security numbers: Presidio's patterns and the SSA's area/group/serial rules."""

from __future__ import annotations

from presidio_analyzer.predefined_recognizers import UsSsnRecognizer

from tabletwin.pii import scanners


class SsaSsnRecognizer(UsSsnRecognizer):
    """Presidio's SSN patterns; invalid area (000, 666, 900-999), group or serial rejected."""

    def invalidate_result(self, pattern_text: str) -> bool:
        """True when Presidio or the SSA rules reject the number."""
        return bool(super().invalidate_result(pattern_text)) or not scanners.ssn_ok(pattern_text)
