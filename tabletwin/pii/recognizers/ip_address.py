"""IP addresses: Presidio's patterns, each match parsed by :mod:`ipaddress`."""

from __future__ import annotations

import ipaddress
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import IpRecognizer


class CheckedIpRecognizer(IpRecognizer):
    """Presidio's IP patterns, each match parsed by :mod:`ipaddress`.

    A dotted quad right after a word and "/" or ":" ("Chrome/57.0.828.0", "rv:1.9.5.20") is a
    version number, not an address.
    """

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """IP spans that are not version numbers."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        return [r for r in results if not (
            r.start >= 2 and text[r.start - 1] in "/:" and text[r.start - 2].isalpha())]

    def invalidate_result(self, pattern_text: str) -> bool:
        """True unless the text is a valid IPv4 or IPv6 address."""
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return True
        return False
