"""IBANs: Presidio's checksum, then python-stdnum's country formats."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import IbanRecognizer
from stdnum import iban as std_iban


class StrictIbanRecognizer(IbanRecognizer):
    """Presidio's IBAN recognizer, results re-checked with python-stdnum (country formats)."""

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """IBAN spans whose compact form python-stdnum accepts."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        return [r for r in results if std_iban.is_valid(text[r.start:r.end])]
