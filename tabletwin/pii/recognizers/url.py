"""Web addresses: Presidio's URL patterns, a bare domain only a weak match."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import UrlRecognizer


class WebAddressRecognizer(UrlRecognizer):
    """Presidio's URL patterns; a bare domain ("smith.com") is only a weak match (0.3)."""

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """URL spans; those without scheme, ``www.`` or path get score 0.3."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        for r in results:
            found = text[r.start:r.end].lower()
            if "://" not in found and not found.startswith("www.") and "/" not in found:
                r.score = min(r.score, 0.3)
        return results
