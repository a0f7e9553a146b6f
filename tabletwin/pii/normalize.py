"""Comparison forms of values: how tabletwin decides that two values are "the same" (a fake
equal to a source value, a leaked value, a repeated key), and the words and word n-grams of a
text that count as an embedded value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np


def _text(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def normalize_value(value: object) -> str:
    """Comparison form of a value: text, Unicode NFKC, casefolded, whitespace collapsed.

    Integral floats compare like ints (``4.0`` -> ``"4"``), so a number stored as float still
    matches its integer form.
    """
    text = _text(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def normalize_many(values: Iterable[object]) -> list[str]:
    """:func:`normalize_value` of each value."""
    return [normalize_value(v) for v in values]


_NON_DIGIT = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[\W_]")


def canonical(entity: str | None) -> Callable[[object], str]:
    """Canonical form used to compare values of ``entity`` (idempotent on its own output)."""
    if entity == "PHONE_NUMBER":
        return lambda v: _NON_DIGIT.sub("", str(v))[-9:]
    if entity in ("CREDIT_CARD", "US_SSN", "IBAN_CODE"):
        return lambda v: _NON_ALNUM.sub("", normalize_value(v))
    return normalize_value


PUNCTUATION = "\"'`“”‘’«»()[]{}<>.,;:!?¿¡*/\\|~-–—"
#: Shortest n-gram (characters) that counts as an embedded value; longest n-gram (words).
MIN_EMBEDDED = 6
MAX_NGRAM = 5


def words(normalized: str) -> list[str]:
    """Whitespace-separated words of a normalized text, trimmed of surrounding punctuation."""
    return [w for t in normalized.split() if (w := t.strip(PUNCTUATION))]


def ngrams(normalized: str) -> list[str]:
    """Word n-grams (n = 1..5) of at least :data:`MIN_EMBEDDED` characters, words space-joined."""
    ws = words(normalized)
    out = []
    for n in range(1, min(MAX_NGRAM, len(ws)) + 1):
        for i in range(len(ws) - n + 1):
            gram = " ".join(ws[i:i + n])
            if len(gram) >= MIN_EMBEDDED:
                out.append(gram)
    return out


def ascii_word(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text`` ("Mašková" -> "maskova")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())
