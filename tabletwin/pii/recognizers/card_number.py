"""Payment card numbers: 12-19 digits, Luhn, issuer digit, card grouping."""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

from tabletwin.pii import scanners


class CardNumberRecognizer(CreditCardRecognizer):
    """Card numbers of 12 to 19 digits (Maestro, JCB, Visa 19...), checked by Luhn and issuer."""

    PATTERNS = [Pattern("card number", r"(?<![\d+\-.])\d(?:[ -]?\d){11,18}(?![\d\-.])", 0.3)]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS)

    def validate_result(self, pattern_text: str) -> bool:
        """Luhn-valid, known issuer digit, no phone-like grouping."""
        return scanners.card_number_ok(pattern_text)
