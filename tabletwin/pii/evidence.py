"""The evidence one column gives about personal data: a sample of its values, their text forms,
the hints in its name, and what the offline Presidio engine finds in them.

Evidence holds shares and counts, never values. The classification that weighs it is in
:mod:`tabletwin.pii.classify`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.pii import lexicon as lx
from tabletwin.pii import scanners

#: Distinct sampled values per column that go through Presidio.
ANALYZE_LIMIT = 200
#: Characters of a cell analysed for classification.
MAX_TEXT = 2000
#: Coverage (share of a value's letters and digits inside spans) for a whole-value match.
WHOLE_COVERAGE = 0.7


def sample_values(series: pd.Series, size: int, rng: np.random.Generator) -> list[Any]:
    """Random non-null values of a column (at most ``size``, in row order)."""
    positions = np.flatnonzero(series.notna().to_numpy())
    if len(positions) > size:
        positions = np.sort(rng.choice(positions, size=size, replace=False))
    return series.iloc[positions].tolist()


def as_text(value: Any) -> str | None:
    """Text form of a sampled value (ints without ".0"); None for non-scalar or blank values."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, dict, tuple, set)):
        return None
    text = str(value).strip()
    return text or None


def name_hints(column: object, custom: Mapping[str, frozenset[str]]) -> dict[str, str]:
    """Entity -> the hint word found in the column name (negative words cancel PERSON/LOCATION)."""
    tokens = lx.column_tokens(column)
    joined = "".join(tokens)
    found: dict[str, str] = {}
    for entity, (words, stems) in lx.NAME_HINTS.items():
        hit = next((t for t in tokens if t in words), None) or next(
            (s for s in stems if s in joined), None)
        if hit and not (set(tokens) & lx.NEGATIVE_HINTS.get(entity, frozenset())):
            found[entity] = hit
    for entity, hints in custom.items():
        hit = next((h for h in hints if (h in tokens) or (len(h) >= 4 and h in joined)), None)
        if hit:
            found[entity] = hit
    return found


#: Column-name words that say which part of a name a PERSON column holds (folded).
_FIRST_WORDS = frozenset(lx.fold(w) for w in """first firstname forename forenames given
    givenname givennames vorname vornamen prenom prénom nombre nombres jmeno jméno imie imię
    voornaam nome fname""".split())
_LAST_WORDS = frozenset(lx.fold(w) for w in """last lastname surname surnames family familyname
    nachname familienname apellido apellidos cognome sobrenome achternaam prijmeni příjmení
    nazwisko lname""".split())
_FULL_WORDS = frozenset("fullname full".split())


def hinted_subtype(column: str) -> str | None:
    tokens = lx.column_tokens(column)
    joined = "".join(tokens)
    for words, subtype in ((_FIRST_WORDS, "first_name"), (_LAST_WORDS, "last_name"),
                           (_FULL_WORDS, "full_name")):
        if any(t in words for t in tokens) or any(len(w) >= 7 and w in joined for w in words):
            return subtype
    return None


_DATE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8}"
    r"|\d{1,2}\.?\s+\w+\.?,?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def date_share(values: list[Any]) -> float:
    """Share of values that are calendar dates (date objects or date strings, years 1870-2100)."""
    if not values:
        return 0.0
    hits = sum(isinstance(v, (dt.date, np.datetime64)) for v in values)
    texts = [t for v in values if not isinstance(v, (dt.date, np.datetime64))
             and (t := as_text(v)) is not None and _DATE.match(t)]
    if texts:
        eight = [t for t in texts if t.isdigit()]
        other = [t for t in texts if not t.isdigit()]
        parsed = pd.concat([
            pd.to_datetime(pd.Series(eight, dtype=object), format="%Y%m%d", errors="coerce"),
            pd.to_datetime(pd.Series(other, dtype=object), format="mixed", errors="coerce"),
        ])
        years = parsed.dt.year
        hits += int(((years >= 1870) & (years <= 2100)).sum())
    return hits / len(values)


_PHONE_CHARS = re.compile(r"^[+\d\s().\-/x#]+$")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}$")
_URLISH = re.compile(r"(?i)^(?:https?://|www\.)\S+$|^[\w-]+(?:\.[\w-]+)+(?:/\S*)?$")
_NAMEISH = re.compile(r"^[^\W\d_][\w'’.\- ]*$")


def relaxed_shape(entity: str, text: str) -> bool:
    """A loose shape of ``entity``, enough only together with a column-name hint."""
    digits = sum(c.isdigit() for c in text)
    if entity == "PERSON":
        words = text.split()
        if not (1 <= len(words) <= 5 and _NAMEISH.match(text) and not digits):
            return False
        return all(w[:1].isupper() for w in words) or text.islower() or text.isupper()
    if entity == "EMAIL_ADDRESS":
        return "@" in text
    if entity == "PHONE_NUMBER":
        return 6 <= digits <= 15 and bool(_PHONE_CHARS.match(text))
    if entity == "US_SSN":
        compact = re.sub(r"[\s.-]", "", text)
        return compact.isdigit() and 7 <= len(compact) <= 9
    if entity == "CREDIT_CARD":
        compact = re.sub(r"[\s-]", "", text)
        return compact.isdigit() and 12 <= len(compact) <= 19
    if entity == "IBAN_CODE":
        return bool(_IBAN_SHAPE.match(text.upper()))
    if entity == "URL":
        return bool(_URLISH.match(text))
    if entity == "LOCATION":
        return (digits > 0 and any(c.isalpha() for c in text)) or scanners.has_street_word(text)
    return False


def candidate_entities(texts: list[str], custom: Collection[str]) -> list[str]:
    """Entities that at least one value could hold (cheap character tests)."""
    found: set[str] = set(custom)
    for t in texts:
        digits = sum(c.isdigit() for c in t)
        letters = any(c.isalpha() for c in t)
        if "@" in t:
            found.add("EMAIL_ADDRESS")
        if "." in t and letters:
            found.add("URL")
        if ("." in t and digits >= 4) or t.count(":") >= 2:
            found.add("IP_ADDRESS")
        if digits >= 12:
            found.add("CREDIT_CARD")
        if digits >= 8 and letters:
            found.add("IBAN_CODE")
        if digits >= 9:
            found.add("US_SSN")
        if digits >= 7:
            found.add("PHONE_NUMBER")
        if letters:
            found.add("PERSON")
        if letters and digits:
            found.add("LOCATION")
    return sorted(found)


@dataclass
class Evidence:
    """Shares per entity over the analysed values (weighted by how often each value was sampled)."""

    analysed: int = 0
    strong: Counter[str] = field(default_factory=Counter)
    weak: Counter[str] = field(default_factory=Counter)
    contains: Counter[str] = field(default_factory=Counter)
    any_entity: int = 0

    def share(self, counter: Counter[str], entity: str) -> float:
        return counter[entity] / self.analysed if self.analysed else 0.0


def analyse_values(texts: list[str], entities: list[str], context: tuple[str, ...]) -> Evidence:
    """Run the engine on each distinct text; ``context``: the column name's words."""
    from tabletwin.pii.recognizers import analysis as rec

    ev = Evidence(analysed=len(texts))
    if not entities:
        return ev
    for text, count in Counter(texts).items():
        snippet = text[:MAX_TEXT]
        spans = rec.analyze(snippet, entities, context)
        if not spans:
            continue
        alnum = sum(c.isalnum() for c in snippet) or 1
        strong_entities = set()
        for entity in {s.entity for s in spans}:
            mine = [s for s in spans if s.entity == entity]
            threshold = rec.min_score(entity)
            strong = [s for s in mine if s.score >= threshold]

            def cover(ss: list[Any]) -> float:
                chars = set()
                for s in ss:
                    chars.update(i for i in range(s.start, s.end) if snippet[i].isalnum())
                return len(chars) / alnum

            if strong and cover(strong) >= WHOLE_COVERAGE:
                ev.strong[entity] += count
            if any(s.score >= rec.min_score(entity, in_text=True) for s in mine):
                strong_entities.add(entity)
                ev.contains[entity] += count
            if cover(mine) >= WHOLE_COVERAGE:
                ev.weak[entity] += count
        if strong_entities:
            ev.any_entity += count
    return ev
