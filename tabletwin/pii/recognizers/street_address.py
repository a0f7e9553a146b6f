"""Street addresses and postal boxes (``LOCATION``), by shape (:mod:`tabletwin.pii.address`)."""

from __future__ import annotations

from tabletwin.pii.address import find_addresses
from tabletwin.pii.recognizers.base import SpanRecognizer


class StreetAddressRecognizer(SpanRecognizer):
    """Presidio recognizer for street addresses and postal boxes (entity ``LOCATION``), by shape:
    see :func:`find_addresses`. Needs no NLP artifacts (works under the ``no_op`` engine)."""

    ENTITY = "LOCATION"

    def find(self, text: str) -> list[tuple[int, int, float]]:
        return find_addresses(text)
