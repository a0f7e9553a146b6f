"""Phone numbers via python-phonenumbers (international and national formats of many regions)."""

from __future__ import annotations

from tabletwin.pii import scanners
from tabletwin.pii.recognizers.base import SpanRecognizer


class PhoneNumbersRecognizer(SpanRecognizer):
    """Phone numbers via python-phonenumbers (see :func:`scanners.find_phones`)."""

    ENTITY = "PHONE_NUMBER"

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Phone spans."""
        return scanners.find_phones(text)
