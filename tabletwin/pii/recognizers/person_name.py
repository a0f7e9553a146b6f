"""Person names via name dictionaries of many Faker locales and honorifics."""

from __future__ import annotations

from tabletwin.pii import scanners
from tabletwin.pii.recognizers.base import SpanRecognizer


class PersonNameRecognizer(SpanRecognizer):
    """Person names via name dictionaries (see :func:`scanners.find_person_names`)."""

    ENTITY = "PERSON"

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Name spans."""
        return scanners.find_person_names(text)
