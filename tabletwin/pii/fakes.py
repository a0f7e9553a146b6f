"""Vectorised fake values for PII entities, locale-aware, never equal to forbidden source values.

Faker is slow per call (about 200 us for ``name()``), so values are drawn with NumPy from Faker's
locale word lists (first and last names, street and domain words) and assembled column-wise; Faker
itself only supplies small pools where formats are intricate (street addresses, national bank
numbers with their own check digits).

Every generator gives values that validate: phone numbers pass ``phonenumbers.is_valid_number`` for
the locale's region, card numbers pass Luhn with real issuer prefixes, IBANs pass the ISO 13616
checksum (and python-stdnum's country rules), SSNs follow the SSA rules. E-mail addresses use the
reserved ``example.com/.org/.net`` domains, so a fake address can never reach a real mailbox.

A value is "forbidden" when its canonical form equals a forbidden value's: :func:`normalize_value`
for text, and digits only (phones: the last nine digits) for numbers written in many formats.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
from faker import Faker

from tabletwin.errors import GeneratorError

__all__ = ["fake_name_parts", "fake_people", "fake_values", "normalize_value", "FAKEABLE"]

#: Entities :func:`fake_values` can generate.
FAKEABLE: tuple[str, ...] = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "LOCATION", "URL",
)

_EMAIL_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)
_MAX_ROUNDS = 60


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


# --------------------------------------------------------------------------------------------------
# locale data
# --------------------------------------------------------------------------------------------------


def _provider(kind: str, locale: str, fallbacks: Iterable[str] = ("en_US",)) -> Any:
    language = locale.split("_")[0]
    for name in (locale, f"{language}_{language.upper()}", language, *fallbacks):
        try:
            return importlib.import_module(f"faker.providers.{kind}.{name}").Provider
        except ModuleNotFoundError:
            continue
    return importlib.import_module(f"faker.providers.{kind}").Provider


def _word_list(person: Any, fk: Faker, attrs: tuple[str, ...], method: str
               ) -> tuple[np.ndarray, np.ndarray]:
    """Words and probabilities of a locale's name list.

    The locale's own list attribute when it has one (weights flattened by a square root, so rare
    names are drawn too), else the distinct results of 4000 calls of the Faker ``method``.
    """
    from faker.providers.person import Provider as BasePerson

    for attr in attrs:
        value = getattr(person, attr, None)
        if value is getattr(BasePerson, attr, None) or not isinstance(value, (dict, list, tuple)):
            continue
        if isinstance(value, dict):
            words = np.array(list(value.keys()), dtype=object)
            weights = np.sqrt(np.array(list(value.values()), dtype=float))
        else:
            words, weights = np.unique(np.array(value, dtype=str), return_counts=True)
            words = words.astype(object)
        if len(words):
            return words, weights / weights.sum()
    draws = np.array([getattr(fk, method)() for _ in range(4000)], dtype=str)
    words, counts = np.unique(draws, return_counts=True)
    return words.astype(object), np.sqrt(counts) / np.sqrt(counts).sum()


@dataclass(frozen=True)
class _Locale:
    name: str
    first: tuple[tuple[np.ndarray, np.ndarray], ...]  # female, male
    last: tuple[tuple[np.ndarray, np.ndarray], ...]  # female, male
    region: str
    iban_country: str
    bban_format: str
    bban_by_faker: bool
    tlds: np.ndarray


def _bank_ok(bank: Any) -> bool:
    """True when the provider's country and BBAN format make valid IBANs (python-stdnum)."""
    from stdnum import iban

    fmt = str(getattr(bank, "bban_format", ""))
    sample = "".join("7" if c == "#" else "K" if c == "?" else c for c in fmt)
    country = str(getattr(bank, "country_code", ""))
    return bool(country and fmt) and iban.is_valid(iban_from_bban(country, sample),
                                                   check_country=False) and bool(
        iban.is_valid(iban_from_bban(country, sample)) or _has_own_bban(bank))


def _has_own_bban(bank: Any) -> bool:
    from faker.providers.bank import Provider as BaseBank

    return bank.bban is not BaseBank.bban


@functools.cache
def _locale(locale: str) -> _Locale:
    person = _provider("person", locale)
    fk = Faker(locale)
    fk.seed_instance(0)
    first = (_word_list(person, fk, ("first_names_female", "first_names"), "first_name_female"),
             _word_list(person, fk, ("first_names_male", "first_names"), "first_name_male"))
    last = (_word_list(person, fk, ("last_names_female", "last_names"), "last_name_female"),
            _word_list(person, fk, ("last_names_male", "last_names"), "last_name_male"))
    territory = locale.split("_")[-1].upper() if "_" in locale else ""
    language = locale.split("_")[0]
    region = territory if territory in phonenumbers.SUPPORTED_REGIONS else (
        language.upper() if language.upper() in phonenumbers.SUPPORTED_REGIONS
        and language != "en" else "US")
    bank = _provider("bank", locale, fallbacks=("en_GB",))
    if not _bank_ok(bank):
        bank = _provider("bank", "en_GB")

    internet = _provider("internet", locale)
    tlds = np.array(sorted({t for t in getattr(internet, "tlds", ("com",)) if t.isascii()}),
                    dtype=object)
    return _Locale(locale, first, last, region, bank.country_code, bank.bban_format,
                   _has_own_bban(bank), tlds)


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _seeded_faker(locale: str, rng: np.random.Generator) -> Faker:
    fk = _faker(locale)
    fk.seed_instance(int(rng.integers(0, 2**63)))
    return fk


def _choice(words: tuple[np.ndarray, np.ndarray], n: int,
            rng: np.random.Generator) -> np.ndarray:
    values, p = words
    return values[rng.choice(len(values), size=n, p=p)]


# --------------------------------------------------------------------------------------------------
# generators (no forbidden handling here)
# --------------------------------------------------------------------------------------------------


def _name_parts(n: int, rng: np.random.Generator, loc: _Locale
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First names, last names and the gender mask (True = female) of ``n`` people."""
    female = rng.random(n) < 0.5
    first = np.where(female, _choice(loc.first[0], n, rng), _choice(loc.first[1], n, rng))
    last = np.where(female, _choice(loc.last[0], n, rng), _choice(loc.last[1], n, rng))
    return first, last, female


def _gendered(lists: tuple[tuple[np.ndarray, np.ndarray], ...], female: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """A word per row from the female (True) or male (False) list of a locale."""
    out = np.empty(len(female), dtype=object)
    women = np.flatnonzero(female)
    men = np.flatnonzero(~female)
    out[women] = _choice(lists[0], len(women), rng)
    out[men] = _choice(lists[1], len(men), rng)
    return out


def _persons(n: int, rng: np.random.Generator, loc: _Locale, attempt: int = 0,
             female: np.ndarray | None = None) -> np.ndarray:
    """Full names; from the third redraw on, half get a second given name (more distinct names).

    ``female`` (bool per name) fixes each name's gender; random otherwise.
    """
    first, last, drawn = _name_parts(n, rng, loc)
    if female is not None:
        first, last = _gendered(loc.first, female, rng), _gendered(loc.last, female, rng)
    else:
        female = drawn
    if attempt >= 3:
        second = np.where(female, _choice(loc.first[0], n, rng), _choice(loc.first[1], n, rng))
        extend = (rng.random(n) < 0.5) & (second != first)
        first = np.where(extend, [f"{a} {b}" for a, b in zip(first, second)], first)
    return np.array([f"{f} {s}" for f, s in zip(first, last)], dtype=object)


def emails_for_names(names: Iterable[object], rng: np.random.Generator) -> np.ndarray:
    """E-mail addresses built from full names ("Nikol Mašková" -> "nikol.maskova@example.org").

    A missing or non-Latin name gives a ``user1234@...`` address.
    """
    names = list(names)
    n = len(names)
    pattern = rng.integers(0, 7, n)
    number = rng.integers(1, 1000, n)
    domain = _EMAIL_DOMAINS[rng.integers(0, len(_EMAIL_DOMAINS), n)]
    out = np.empty(n, dtype=object)
    for i, name in enumerate(names):
        parts = [w for w in (ascii_word(p) for p in str(name or "").split()) if w]
        if not parts:
            out[i] = f"user{rng.integers(1000, 100000)}@{domain[i]}"
            continue
        f, s = parts[0], parts[-1]
        local = (f"{f}.{s}", f"{f}{s}", f"{f[0]}.{s}", f"{f}_{s}", f"{s}.{f}", f"{f}{number[i]}",
                 f"{f}.{s}{number[i]}")[pattern[i]]
        out[i] = f"{local}@{domain[i]}"
    return out


def _emails(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    return emails_for_names(_persons(n, rng, loc), rng)


@functools.cache
def _phone_templates(region: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Formatted valid numbers of ``region`` whose last four digits may vary freely.

    Each template is checked with several endings, so any four-digit ending keeps it valid.
    """
    rng = np.random.default_rng(int.from_bytes(region.encode(), "big"))
    types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    examples = [e for t in types if (e := phonenumbers.example_number_for_type(region, t))]
    if not examples:
        return _phone_templates("US")
    templates: dict[str, tuple[int, ...]] = {}
    for attempt in range(5000):
        example = examples[attempt % len(examples)]
        national = str(example.national_number)
        if len(national) < 6:
            continue
        keep = attempt % 4
        middle = "".join(map(str, rng.integers(0, 10, len(national) - 4 - keep)))
        prefix = national[:keep] + middle
        numbers = [phonenumbers.parse(f"+{example.country_code}{prefix}{end}")
                   for end in ("0000", "9999", "5183", "2740")]
        if not all(phonenumbers.is_valid_number_for_region(x, region) for x in numbers):
            continue
        text = phonenumbers.format_number(numbers[0], phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        digits = [i for i, ch in enumerate(text) if ch.isdigit()][-4:]
        templates[text] = tuple(digits)
        if len(templates) >= 400:
            break
    if not templates:
        return _phone_templates("US") if region != "US" else ()
    return tuple(sorted(templates.items()))


def _phones(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    templates = _phone_templates(loc.region)
    which = rng.integers(0, len(templates), n)
    endings = rng.integers(0, 10000, n)
    out = np.empty(n, dtype=object)
    for i, (t, e) in enumerate(zip(which, endings)):
        text, positions = templates[t]
        chars = list(text)
        for pos, digit in zip(positions, f"{e:04d}"):
            chars[pos] = digit
        out[i] = "".join(chars)
    return out


_SSN_BLOCKED = frozenset({"078051120", "219099999", "457555462"})


def _ssns(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    area = rng.integers(1, 900, n)
    area[area == 666] = 665
    group = rng.integers(1, 100, n)
    serial = rng.integers(1, 10000, n)
    out = np.array([f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial)],
                   dtype=object)
    blocked = [i for i, v in enumerate(out) if v.replace("-", "") in _SSN_BLOCKED]
    if blocked:
        out[blocked] = _ssns(len(blocked), rng, loc)
    return out


def _digit_rows(digits: np.ndarray) -> np.ndarray:
    """Rows of a digit matrix as strings."""
    width = digits.shape[1]
    raw = (digits.astype(np.uint8) + ord("0")).tobytes()
    return np.array([raw[i:i + width].decode("ascii") for i in range(0, len(raw), width)],
                    dtype=object)


def luhn_check_digits(payload: np.ndarray) -> np.ndarray:
    """Luhn check digit for each row of a digit matrix (the digit to append on the right)."""
    rev = payload[:, ::-1].astype(np.int64)
    doubled = rev[:, 0::2] * 2
    total = (doubled // 10 + doubled % 10).sum(axis=1) + rev[:, 1::2].sum(axis=1)
    return (10 - total % 10) % 10


#: (issuer prefixes, length, weight): Visa, Mastercard (51-55 and 2221-2720), Amex, Discover.
_CARD_BRANDS: tuple[tuple[tuple[str, ...], int, float], ...] = (
    (("4",), 16, 0.5),
    (("51", "52", "53", "54", "55"), 16, 0.25),
    (tuple(str(p) for p in range(2221, 2721)), 16, 0.05),
    (("34", "37"), 15, 0.1),
    (("6011", "65"), 16, 0.1),
)


def _cards(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    weights = np.array([b[2] for b in _CARD_BRANDS])
    brand = rng.choice(len(_CARD_BRANDS), size=n, p=weights / weights.sum())
    out = np.empty(n, dtype=object)
    for b, (prefixes, length, _) in enumerate(_CARD_BRANDS):
        rows = np.flatnonzero(brand == b)
        if not len(rows):
            continue
        prefix = np.array(prefixes, dtype=object)[rng.integers(0, len(prefixes), len(rows))]
        for plen in sorted({len(p) for p in prefix}):
            sub = rows[[len(p) == plen for p in prefix]]
            head = np.array([[int(c) for c in p] for p in prefix[[len(p) == plen
                                                                  for p in prefix]]])
            body = rng.integers(0, 10, (len(sub), length - 1 - plen))
            payload = np.hstack([head, body])
            out[sub] = _digit_rows(np.hstack([payload, luhn_check_digits(payload)[:, None]]))
    return out


_IBAN_LETTERS = {chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)}
_IBAN_TABLE = str.maketrans(_IBAN_LETTERS)


def iban_from_bban(country: str, bban: str) -> str:
    """IBAN with ISO 13616 check digits for ``bban`` in ``country``."""
    number = int(f"{bban}{country}00".translate(_IBAN_TABLE))
    return f"{country}{98 - number % 97:02d}{bban}"


def _ibans(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    if loc.bban_by_faker:  # national check digits inside the BBAN: let Faker's provider do it
        fk = _seeded_faker(loc.name if loc.iban_country != "GB" else "en_GB", rng)
        bbans = [fk.bban() for _ in range(n)]
    else:
        fmt = loc.bban_format
        digits = rng.integers(0, 10, (n, len(fmt)))
        letters = rng.integers(0, 26, (n, len(fmt)))
        chars = np.where(np.array([c == "?" for c in fmt]), letters + ord("A"), digits + ord("0"))
        raw = chars.astype(np.uint8).tobytes()
        width = len(fmt)
        bbans = [raw[i:i + width].decode("ascii") for i in range(0, len(raw), width)]
    return np.array([iban_from_bban(loc.iban_country, b) for b in bbans], dtype=object)


_RESERVED_FIRST_OCTETS = {0, 10, 100, 127, 169, 172, 192, 198, 203}
_FIRST_OCTETS = np.array([o for o in range(1, 224) if o not in _RESERVED_FIRST_OCTETS])


def _ips(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    a = _FIRST_OCTETS[rng.integers(0, len(_FIRST_OCTETS), n)]
    b, c = rng.integers(0, 256, n), rng.integers(0, 256, n)
    d = rng.integers(1, 255, n)
    return np.array([f"{w}.{x}.{y}.{z}" for w, x, y, z in zip(a, b, c, d)], dtype=object)


_HOUSE_NUMBER = re.compile(r"\d+")


def _with_number(street: str, number: int, language: str) -> str:
    """``street`` with a house number: replaces the first number, or adds one in local order."""
    if _HOUSE_NUMBER.search(street):
        return _HOUSE_NUMBER.sub(str(number), street, count=1)
    if language in ("en", "fr"):
        return f"{number}, {street}" if language == "fr" else f"{number} {street}"
    return f"{street}, {number}" if language in ("pt", "es", "it") else f"{street} {number}"


def _locations(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    fk = _seeded_faker(loc.name, rng)
    pool = [", ".join(p.strip(" ,") for p in fk.street_address().splitlines() if p.strip(" ,"))
            for _ in range(min(max(n, 64), 2000))]
    picks = rng.integers(0, len(pool), n)
    numbers = rng.integers(1, 1000, n)
    language = loc.name.split("_")[0]
    return np.array([_with_number(pool[p], int(num), language) for p, num in zip(picks, numbers)],
                    dtype=object)


def _urls(n: int, rng: np.random.Generator, loc: _Locale) -> np.ndarray:
    first, last, _ = _name_parts(n, rng, loc)
    tld = loc.tlds[rng.integers(0, len(loc.tlds), n)]
    style = rng.integers(0, 3, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        a, b = ascii_word(str(last[i])) or "site", ascii_word(str(first[i])) or "web"
        host = (f"www.{a}.{tld[i]}", f"{a}-{b}.{tld[i]}", f"www.{b}{a}.{tld[i]}")[style[i]]
        out[i] = f"https://{host}/" + ("" if style[i] else f"{b}")
    return out


_GENERATORS: dict[str, Callable[[int, np.random.Generator, _Locale], np.ndarray]] = {
    "PERSON": _persons, "EMAIL_ADDRESS": _emails, "PHONE_NUMBER": _phones, "US_SSN": _ssns,
    "CREDIT_CARD": _cards, "IBAN_CODE": _ibans, "IP_ADDRESS": _ips, "LOCATION": _locations,
    "URL": _urls,
}


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


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
    if entity not in _GENERATORS:
        raise GeneratorError(f"no fake generator for entity {entity!r}")
    if n <= 0:
        return np.empty(0, dtype=object)
    loc = _locale(locale)
    generate = _GENERATORS[entity]
    values = generate(n, rng, loc)
    keys = _forbidden_keys(entity, forbidden)
    if not keys and not unique:
        return values

    def draw(positions: np.ndarray, attempt: int) -> np.ndarray:
        if entity == "PERSON":
            return _persons(len(positions), rng, loc, attempt)
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
    loc = _locale(locale)
    if subtype == "full_name":
        def generate(idx: np.ndarray, attempt: int = 0) -> np.ndarray:
            return _persons(len(idx), rng, loc, attempt, female[idx])
    elif subtype in ("first_name", "last_name"):
        def generate(idx: np.ndarray, attempt: int = 0) -> np.ndarray:
            # a locale's list can be used up by the source's own names (a table of US names
            # forbids most of en_US's list): later redraws borrow from kindred locales
            use = loc if attempt < 4 else _locale(_NAME_FALLBACKS[attempt % len(_NAME_FALLBACKS)])
            lists = use.first if subtype == "first_name" else use.last
            return _gendered(lists, female[idx], rng)
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
