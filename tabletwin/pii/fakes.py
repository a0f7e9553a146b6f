"""Vectorised fake values for PII entities, locale-aware, never equal to forbidden source values.

Faker is slow per call (about 200 us for ``name()``), so values are drawn with NumPy from Faker's
locale word lists (first and last names, street and domain words) and assembled column-wise; Faker
itself only supplies small pools where formats are intricate (street addresses, national bank
numbers with their own check digits).

Every generator gives values that validate: phone numbers pass ``phonenumbers.is_valid_number`` for
the locale's region, card numbers pass Luhn with real issuer prefixes, IBANs pass the ISO 13616
checksum (and python-stdnum's country rules), SSNs follow the SSA rules. E-mail addresses use the
reserved ``example.com/.org/.net`` domains, so a fake address can never reach a real mailbox.

A value is "forbidden" when its canonical form equals a forbidden value's
(:func:`~tabletwin.pii.normalize.normalize_value` for text, and digits only (phones: the last
nine digits) for numbers written in many formats). The word lists are in :mod:`.fake_locales`,
the per-entity draws in :mod:`.fake_generators`; this module redraws what is forbidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set

import numpy as np
import pandas as pd

from tabletwin.errors import GeneratorError
from tabletwin.pii.fake_generators import GENERATORS, emails_for_names, gendered, persons
from tabletwin.pii.fake_locales import locale_data
from tabletwin.pii.normalize import (PUNCTUATION, canonical, ngrams, normalize_many,
                                     normalize_value, words)

__all__ = ["fake_name_parts", "fake_people", "fake_values", "FAKEABLE"]

#: Entities :func:`fake_values` can generate.
FAKEABLE: tuple[str, ...] = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "LOCATION", "URL",
)

_MAX_ROUNDS = 60


#: Entities whose fakes hold several words: no word n-gram of a fake may be a forbidden value.
_MULTI_WORD = frozenset({"PERSON", "LOCATION"})


def redraw(values: np.ndarray, draw: Callable[[np.ndarray, int], np.ndarray],
           key: Callable[[object], str], forbidden: Set[str], *, unique: bool, what: str,
           embedded: bool = False) -> np.ndarray:
    """Replace values whose key is forbidden (or, with ``unique``, repeated) by fresh draws.

    ``draw(positions, attempt)`` returns new values for those positions (``attempt`` counts the
    rounds, so a generator can widen its value space). With ``embedded``, a value is also
    rejected when one of its word n-grams is forbidden. Raises
    :class:`~tabletwin.errors.GeneratorError` when forbidden values keep coming back; repeats that
    cannot be avoided (a value space smaller than the count) are left in place.
    """

    def blocked(value: object) -> bool:
        k = key(value)
        if k in forbidden:
            return True
        return embedded and " " in k and any(g in forbidden for g in ngrams(k))

    out = values.copy()
    seen: set[str] = set()
    pending = np.arange(len(out))
    for attempt in range(1, _MAX_ROUNDS + 1):
        bad = []
        for i in pending:
            k = key(out[i])
            if (forbidden and blocked(out[i])) or (unique and k in seen):
                bad.append(i)
            else:
                seen.add(k)
        if not bad:
            return out
        pending = np.array(bad)
        out[pending] = draw(pending, attempt)
    if any(blocked(out[i]) for i in pending):
        raise GeneratorError(f"could not draw {what} values avoiding the source values")
    return out


_HAS_PUNCTUATION = re.compile("[" + re.escape(PUNCTUATION) + "]")


def _forbidden_keys(entity: str, forbidden: Set[str]) -> Set[str]:
    """Forbidden values in comparison form (plus their word-joined form for multi-word fakes)."""
    if not forbidden:
        return frozenset()
    if entity == "PHONE_NUMBER" or entity in ("CREDIT_CARD", "US_SSN", "IBAN_CODE"):
        key = canonical(entity)
        return {key(v) for v in forbidden}
    keys = set(normalize_many(forbidden))
    if entity in _MULTI_WORD:
        keys.update([" ".join(words(k)) for k in keys if _HAS_PUNCTUATION.search(k)])
    return keys


def fake_values(entity: str, n: int, rng: np.random.Generator, *, locale: str = "en_US",
                forbidden: Set[str] = frozenset(), unique: bool = False) -> np.ndarray:
    """``n`` realistic fake values of ``entity`` (object array of str) for ``locale``.

    No value equals a ``forbidden`` value (compared in canonical form, see module docstring).
    With ``unique=True``, values are also distinct whenever the value space allows it.
    Supports every entity of :data:`FAKEABLE` (all of ``plan.ENTITIES`` but DATE_TIME and ID).
    """
    if entity not in GENERATORS:
        raise GeneratorError(f"no fake generator for entity {entity!r}")
    if n <= 0:
        return np.empty(0, dtype=object)
    loc = locale_data(locale)
    generate = GENERATORS[entity]
    values = generate(n, rng, loc)
    keys = _forbidden_keys(entity, forbidden)
    if not keys and not unique:
        return values

    def draw(positions: np.ndarray, attempt: int) -> np.ndarray:
        if entity == "PERSON":
            return persons(len(positions), rng, loc, attempt)
        return generate(len(positions), rng, loc)

    return redraw(values, draw, canonical(entity), keys,
                  unique=unique, what=entity, embedded=entity in _MULTI_WORD)


#: Locales whose name lists a name fake borrows from when its own locale's are used up.
_NAME_FALLBACKS: tuple[str, ...] = ("en_GB", "en_IE", "en_AU", "en_CA", "de_DE", "fr_FR", "es_ES",
                                    "it_IT", "nl_NL", "sv_SE", "pl_PL", "pt_BR")


def fake_name_parts(subtype: str, female: np.ndarray, rng: np.random.Generator, *,
                    locale: str = "en_US", forbidden: Set[str] = frozenset(),
                    unique: bool = False) -> np.ndarray:
    """Fake first names, last names or full names (``subtype``), one per ``female`` entry.

    ``female``: bool per value, the gender the name must have (first names, gendered surnames of
    locales such as cs_CZ or pl_PL, full names). No value equals a ``forbidden`` value (nor holds
    one as a word n-gram); with ``unique``, values are distinct where the lists allow.
    """
    female = np.asarray(female, dtype=bool)
    n = len(female)
    if n == 0:
        return np.empty(0, dtype=object)
    loc = locale_data(locale)
    if subtype == "full_name":
        def generate(idx: np.ndarray, attempt: int = 0) -> np.ndarray:
            return persons(len(idx), rng, loc, attempt, female[idx])
    elif subtype in ("first_name", "last_name"):
        def generate(idx: np.ndarray, attempt: int = 0) -> np.ndarray:
            # a locale's list can be used up by the source's own names (a table of US names
            # forbids most of en_US's list): later redraws borrow from kindred locales
            use = loc if attempt < 4 else locale_data(_NAME_FALLBACKS[attempt % len(_NAME_FALLBACKS)])
            lists = use.first if subtype == "first_name" else use.last
            return gendered(lists, female[idx], rng)
    else:
        raise GeneratorError(f"unknown name subtype {subtype!r}")
    values = generate(np.arange(n))
    keys = _forbidden_keys("PERSON", forbidden)
    if not keys and not unique:
        return values
    return redraw(values, generate, canonical("PERSON"), keys, unique=unique, what=subtype,
                  embedded=subtype == "full_name")


def fake_people(n: int, rng: np.random.Generator, *, locale: str = "en_US",
                forbidden: Set[str] = frozenset(), unique: bool = False) -> pd.DataFrame:
    """``n`` fake people: columns PERSON and EMAIL_ADDRESS, each e-mail built from its row's name.

    Neither names nor e-mails equal a ``forbidden`` value (normalized comparison).
    """
    names = fake_values("PERSON", n, rng, locale=locale, forbidden=forbidden, unique=unique)
    emails = emails_for(names, rng, forbidden=forbidden, unique=unique)
    return pd.DataFrame({"PERSON": names, "EMAIL_ADDRESS": emails})


def emails_for(names: np.ndarray, rng: np.random.Generator, *, forbidden: Set[str] = frozenset(),
               unique: bool = False) -> np.ndarray:
    """E-mail addresses built from ``names`` (one per name), avoiding ``forbidden`` values."""
    values = emails_for_names(names, rng)
    keys = _forbidden_keys("EMAIL_ADDRESS", forbidden)
    if not keys and not unique:
        return values
    names = np.asarray(names, dtype=object)
    return redraw(values, lambda idx, _: emails_for_names(names[idx], rng), normalize_value,
                  keys, unique=unique, what="EMAIL_ADDRESS")
