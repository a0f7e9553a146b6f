"""E-mail addresses: Presidio's pattern, the top-level domain checked offline."""

from __future__ import annotations

import re

from presidio_analyzer.predefined_recognizers import EmailRecognizer


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern; the domain is checked for an alphabetic TLD, offline."""

    _TLD = re.compile(r"\.[^\W\d_]{2,63}$")

    def validate_result(self, pattern_text: str) -> bool:
        """True when the domain ends in an alphabetic top-level domain."""
        return bool(self._TLD.search(pattern_text.rsplit("@", 1)[-1]))
