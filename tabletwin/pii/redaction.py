"""Coarser or removed values: generalization per entity, redaction of entity spans inside free
text (each span replaced by a fake of its entity), and dropped columns (the ``generalize``,
``redact`` and ``drop`` actions of :mod:`tabletwin.pii.mask`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence, Set
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import phonenumbers

from tabletwin.pii.cells import present
from tabletwin.pii.fakes import FAKEABLE, fake_values
from tabletwin.pii.normalize import canonical, normalize_value


def birth_years(series: pd.Series) -> pd.Series:
    """Year of each date (datetime, date string, or YYYYMMDD number) as ``Int64``."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        years = series.dt.year
    else:
        text = series.map(lambda v: None if pd.isna(v) else (
            str(int(v)) if isinstance(v, (int, np.integer, float, np.floating)) else str(v)),
            na_action="ignore")
        eight = text.str.fullmatch(r"\d{8}", na=False)
        parsed = pd.to_datetime(text.where(~eight), format="mixed", errors="coerce")
        parsed_eight = pd.to_datetime(text.where(eight), format="%Y%m%d", errors="coerce")
        years = parsed.dt.year.where(~eight, parsed_eight.dt.year)
    return years.astype("Int64").rename(series.name)


def _shape(text: str) -> str:
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", text)))


def _phone_country(text: str) -> str | None:
    """Country calling code ("+420") of a phone number, or None."""
    if text.startswith(("+", "00")):
        try:
            number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, None)
        except phonenumbers.NumberParseException:
            return None
        return f"+{number.country_code}"
    for region in ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "CZ", "PL"):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return f"+{number.country_code}"
    return None


def _ip_network(text: str) -> str | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _locality(text: str) -> str:
    part = text.rsplit(",", 1)[-1] if "," in text else text
    return " ".join(re.sub(r"\d+\S*", " ", part).split()).strip(" ,")


def _generalize_text(entity: str | None, text: str) -> str | None:
    if entity == "EMAIL_ADDRESS":
        return text.rsplit("@", 1)[-1].strip().lower() if "@" in text else None
    if entity == "PHONE_NUMBER":
        return _phone_country(text.strip())
    if entity == "IP_ADDRESS":
        return _ip_network(text)
    if entity == "URL":
        parts = urlsplit(text.strip() if "://" in text else "http://" + text.strip())
        return f"{parts.scheme}://{parts.hostname}" if parts.hostname else None
    if entity == "PERSON":
        letters = [w[0].upper() + "." for w in text.split() if w[:1].isalpha()]
        return " ".join(letters) or None
    if entity == "LOCATION":
        return _locality(text) or None
    digits = re.sub(r"\D", "", text)
    if entity == "CREDIT_CARD":
        return digits[:6] or None
    if entity == "US_SSN":
        return digits[:3] or None
    if entity == "IBAN_CODE":
        return re.sub(r"\s", "", text)[:2].upper() or None
    return _shape(text)


def generalize(series: pd.Series, entity: str | None) -> pd.Series:
    if entity == "DATE_TIME" or (entity is None
                                 and pd.api.types.is_datetime64_any_dtype(series.dtype)):
        return birth_years(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([_generalize_text(entity, str(u)) for u in uniques], dtype=object)
    out = np.full(len(series), None, dtype=object)
    out[codes >= 0] = mapped[codes[codes >= 0]]
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


def nulls_like(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series(pd.NA, index=series.index, name=series.name, dtype="boolean")
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return pd.Series(pd.NA, index=series.index, name=series.name, dtype="Int64")
    if dtype == object:
        return pd.Series([None] * len(series), index=series.index, name=series.name,
                         dtype=object)
    return pd.Series(index=series.index, name=series.name, dtype=dtype)


def _shape_fakes(texts: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Random text of the same shape (for entities without a fake generator)."""
    out = []
    for text in texts:
        chars = []
        for ch in text:
            if ch.isdigit():
                chars.append(str(rng.integers(0, 10)))
            elif ch.isalpha():
                letter = chr(97 + int(rng.integers(0, 26)))
                chars.append(letter.upper() if ch.isupper() else letter)
            else:
                chars.append(ch)
        out.append("".join(chars))
    return out


def _span_text(text: str, span: Any) -> str:
    return text[span.start:span.end]


def redact_texts(texts: Sequence[str], spans: Sequence[Sequence[Any]], rng: np.random.Generator,
                 locale: str, forbidden: Mapping[str, Set[str]]) -> list[str]:
    """Each text with its entity ``spans`` replaced by fakes of the same entity.

    The same span text (canonical form) gets the same fake everywhere; a fake never equals a
    ``forbidden[entity]`` value or another span of its entity. Text outside the spans is unchanged.
    """
    by_entity: dict[str, dict[str, str]] = {}
    for text, found in zip(texts, spans):
        for s in found:
            by_entity.setdefault(s.entity, {})[canonical(s.entity)(_span_text(text, s))] = \
                _span_text(text, s)
    replacement: dict[str, dict[str, str]] = {}
    for entity in sorted(by_entity):
        keys = sorted(by_entity[entity])
        if entity in FAKEABLE:
            avoid = set(forbidden.get(entity, set())) | set(by_entity[entity].values())
            fakes = fake_values(entity, len(keys), rng, locale=locale, forbidden=avoid,
                                unique=True)
        else:
            fakes = _shape_fakes([by_entity[entity][k] for k in keys], rng)
        replacement[entity] = dict(zip(keys, fakes))
    out = []
    for text, found in zip(texts, spans):
        for s in sorted(found, key=lambda s: -s.start):
            fake = replacement[s.entity][canonical(s.entity)(_span_text(text, s))]
            text = text[:s.start] + fake + text[s.end:]
        out.append(text)
    return out


class FreeText:
    """A free-text column's distinct texts and their detected spans (computed once)."""

    def __init__(self, series: pd.Series):
        from tabletwin.pii.recognizers.analysis import find_spans

        self.mask = present(series)
        self.codes, uniques = pd.factorize(series[self.mask].astype(str))
        self.texts = [str(u) for u in uniques]
        self.spans = find_spans(self.texts)

    def span_values(self) -> dict[str, set[str]]:
        """Entity -> normalized span texts."""
        out: dict[str, set[str]] = {}
        for text, found in zip(self.texts, self.spans):
            for s in found:
                out.setdefault(s.entity, set()).add(normalize_value(_span_text(text, s)))
        return out

    def redact(self, series: pd.Series, rng: np.random.Generator, locale: str,
               forbidden: Mapping[str, Set[str]]) -> pd.Series:
        redacted = np.array(redact_texts(self.texts, self.spans, rng, locale, forbidden),
                            dtype=object)
        out = series.astype(object).copy()
        out[self.mask] = redacted[self.codes]
        return out
