"""The base of tabletwin's own Presidio recognizers: a pure span finder behind Presidio's interface."""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class SpanRecognizer(LocalRecognizer):
    """A Presidio recognizer around a pure span finder (:mod:`tabletwin.pii.scanners`,
    :mod:`tabletwin.pii.address`): subclasses set ``ENTITY`` and implement :meth:`find`."""

    ENTITY = ""

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__)

    def load(self) -> None:
        """Nothing to load (the dictionaries are built lazily)."""

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Spans ``(start, end, score)`` of the entity in ``text``."""
        raise NotImplementedError

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        """Presidio results for the scanner's spans."""
        if entities and self.ENTITY not in entities:
            return []
        return [
            RecognizerResult(self.ENTITY, start, end, score, recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            })
            for start, end, score in self.find(text)
        ]
