"""Span finders for entities that Presidio's pattern recognizers do not cover offline.

Pure functions from text to ``(start, end, score)`` spans, wrapped as Presidio recognizers in
:mod:`tabletwin.pii.recognizers` (one module per entity):

* :func:`find_person_names` - capitalised runs led by a known first name or an honorific, scored by
  the Faker name dictionaries of many locales ("Dra. Marcela Camargo", "Nikol Mašková"),
* :func:`find_addresses` / :func:`has_street_word` - street addresses, from
  :mod:`tabletwin.pii.address` (its own module; its Presidio recognizer is
  :mod:`tabletwin.pii.recognizers.street_address`),
* :func:`find_phones` - phone numbers checked with ``phonenumbers`` (international prefix, or valid
  in one of several regions, or plausibly formatted), rejecting dates, SSNs, IPs and amounts,
* :func:`card_number_ok` / :func:`ssn_ok` - validators (Luhn with issuer and grouping checks; SSA
  area/group/serial rules).

Scores follow Presidio's convention (0..1); detection treats a value as matched at a per-entity
threshold, so weak shapes (0.1-0.35) only count together with a column-name hint.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
import regex
from stdnum import luhn
from stdnum.us import ssn as us_ssn

from tabletwin.pii import lexicon as lx

Span = tuple[int, int, float]

# --------------------------------------------------------------------------------------------------
# person names
# --------------------------------------------------------------------------------------------------

_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’\-]*\.?")


class _Tok:
    __slots__ = ("start", "end", "word", "key", "dot", "cap")

    def __init__(self, start: int, end: int, text: str):
        self.start, self.end = start, end
        self.dot = text.endswith(".")
        self.word = text[:-1] if self.dot else text
        self.key = lx.fold(self.word)
        self.cap = self.word[:1].isupper()


def _is_honorific(t: _Tok) -> bool:
    return t.key in lx.HONORIFICS and (t.cap or t.dot)


def _is_particle(t: _Tok) -> bool:
    return t.word.islower() and t.key in lx.NAME_PARTICLES


def _is_initial(t: _Tok) -> bool:
    return len(t.word) == 1 and t.word.isupper() and t.dot


def _name_like(t: _Tok, acronyms: bool = False) -> bool:
    """Capitalised word (an upper-case word of 2-3 letters only in an all-capitals text)."""
    if _is_initial(t):
        return True
    if not t.cap or len(t.word) < 2 or t.key in lx.ORG_WORDS:
        return False
    return acronyms or not (t.word.isupper() and len(t.word) <= 3)


def _is_org(t: _Tok) -> bool:
    return t.key in lx.ORG_WORDS and (t.cap or t.dot)


def _runs(text: str) -> list[list[_Tok]]:
    """Tokens grouped into runs separated by nothing but a few spaces (no newline, no comma).

    A run followed by an organisation word ("Kowalski Sp. z o.o.", "Smith Ltd") is dropped.
    """
    runs: list[list[_Tok]] = []
    cur: list[_Tok] = []
    for m in _WORD.finditer(text):
        tok = _Tok(m.start(), m.end(), m.group())
        if _is_org(tok):
            cur = []
            continue
        if cur:
            prev = cur[-1]
            gap = text[prev.end:tok.start]
            sentence_end = prev.dot and not (_is_honorific(prev) or _is_initial(prev))
            if gap and len(gap) <= 3 and not gap.strip() and "\n" not in gap and not sentence_end:
                cur.append(tok)
                continue
            runs.append(cur)
        cur = [tok]
    if cur:
        runs.append(cur)
    return runs


def _score_name(name: list[_Tok], honorific: bool) -> float:
    """Score a candidate name (particles removed) from the dictionaries."""
    first, last, common = lx.first_names(), lx.last_names(), lx.lorem_words()
    head, tail = name[0].key, name[-1].key
    if len(name) == 1:
        return 0.6 if honorific and tail in last else (0.5 if honorific else 0.0)
    head_first = head in first
    if honorific:
        return 0.85 if (head_first or tail in last) else 0.6
    if head_first and tail in last:
        return 0.85
    if any(t.key in common for t in name[1:]) or len(name) > 3:
        return 0.0
    if head_first:
        return 0.6 if tail in first else 0.5
    if tail in last and head not in lx.GEO_WORDS and head not in lx.street_suffixes():
        return 0.4
    return 0.0


def _names_in_run(run: list[_Tok]) -> list[Span]:
    """Names inside one run: led by an honorific or a known first name; else the run itself."""
    spans: list[Span] = []
    first = lx.first_names()
    caps = all(t.word.isupper() for t in run)

    def like(t: _Tok) -> bool:
        return _name_like(t, caps)

    i, n = 0, len(run)
    while i < n:
        tok = run[i]
        honorific = _is_honorific(tok) and i + 1 < n and like(run[i + 1])
        if not (honorific or (like(tok) and tok.key in first)):
            i += 1
            continue
        j = i + 1 if honorific else i
        name: list[_Tok] = []
        while j < n and len(name) < 5:
            t = run[j]
            if like(t) and not _is_honorific(t):
                name.append(t)
            elif not (_is_particle(t) and j + 1 < n and like(run[j + 1])):
                break
            j += 1
        score = _score_name(name, honorific) if name else 0.0
        if score > 0:
            end = name[-1].end - (1 if name[-1].dot and not _is_initial(name[-1]) else 0)
            spans.append((tok.start, end, score))
            i = j
        else:
            i += 1
    covered = sum(1 for t in run if any(a <= t.start < b for a, b, _ in spans))
    if covered < n and 2 <= n <= 4 and all(like(t) for t in run):
        # family name first ("Kovács Julianna", "Szabó M. Zsolt", "Wang Wei")
        words = [t for t in run if not _is_initial(t)]
        if len(words) >= 2 and words[-1].key in first and any(
                t.key in lx.last_names() or t.key.endswith("né") for t in words[:-1]):
            return [(run[0].start, run[-1].end - (1 if run[-1].dot else 0), 0.8)]
    if not spans and 2 <= n <= 3 and all(like(t) for t in run):
        score = _score_name(run, False)
        if score > 0:
            end = run[-1].end - (1 if run[-1].dot and not _is_initial(run[-1]) else 0)
            spans.append((run[0].start, end, score))
    return spans


_SURNAME_FIRST = regex.compile(r"^\s*(\p{L}[\p{L}\p{M}'’\- ]*),\s*(\p{L}[\p{L}\p{M}'’\-. ]*?)\s*$")


def find_person_names(text: str) -> list[Span]:
    """Person names in ``text``; a whole value of one known name gets a weak score (0.3-0.35)."""
    spans = [s for run in _runs(text) for s in _names_in_run(run)]
    stripped = text.strip()
    if spans or not stripped:
        return spans
    offset = text.index(stripped)
    words = stripped.split()
    if len(words) == 1 and _WORD.fullmatch(stripped):
        key = lx.fold(stripped.rstrip("."))
        score = 0.35 if key in lx.first_names() else 0.3 if key in lx.last_names() else 0.0
        return [(offset, offset + len(stripped), score)] if score else []
    m = _SURNAME_FIRST.match(text)
    if m and len(words) <= 4:
        surname, given = lx.fold(m.group(1).strip()), lx.fold(m.group(2).split()[0].rstrip("."))
        if surname.split()[-1] in lx.last_names() and given in lx.first_names():
            return [(offset, offset + len(stripped), 0.8)]
    if 2 <= len(words) <= 4 and stripped == stripped.lower() and _WORD.match(stripped):
        titled = [s for run in _runs(text.title()) for s in _names_in_run(run)]
        return [(a, b, 0.6) for a, b, sc in titled if sc >= 0.85]
    return []


# --------------------------------------------------------------------------------------------------
# street addresses (tabletwin.pii.address, imported on first use)
# --------------------------------------------------------------------------------------------------


def find_addresses(text: str) -> list[Span]:
    """Street addresses and postal boxes in ``text`` (see :mod:`tabletwin.pii.address`)."""
    from tabletwin.pii.address import find_addresses as find

    return find(text)


def has_street_word(text: str) -> bool:
    """True when ``text`` names a street type (see :mod:`tabletwin.pii.address`)."""
    from tabletwin.pii.address import has_street_word as has

    return has(text)


# --------------------------------------------------------------------------------------------------
# phone numbers
# --------------------------------------------------------------------------------------------------

#: Regions tried, in order, for numbers written without an international prefix.
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "PT", "BR", "CZ", "SK", "PL", "AT", "CH", "MX",
    "CA", "IN", "AU",
)

_PHONE_CANDIDATE = regex.compile(
    r"(?<![\w+\-/.,])(?:\+|\b00)?\s?(?:\(\d{1,5}\)\s?|\d)[\d\s().\-/]{4,22}\d"
    r"(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?(?![\w\-/]|[.,]\d)"
)
_NOT_PHONE = [
    re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$"),  # ISO-ish date
    re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$"),  # day-month-year
    re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$"),  # IPv4
    re.compile(r"^\d{3}-\d{2}-\d{4}$"),  # SSN
    re.compile(r"^\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?$"),  # grouped amount
    re.compile(r"^\d+[.,]\d+$"),  # decimal
]
_NATIONAL_SHAPE = re.compile(r"^\(?\d{2,5}\)?[\s.\-/]?\d{2,5}(?:[\s.\-/]\d{2,5}){0,3}$")


@functools.lru_cache(maxsize=65536)
def phone_score(candidate: str) -> float:
    """Score one phone-number candidate (the whole string): 0.85 international and valid ... 0."""
    body = candidate.strip()
    main = re.split(r"\s?(?:x|ext\.?|#)\s?\d+$", body)[0]
    digits = re.sub(r"\D", "", main)
    if not 7 <= len(digits) <= 15 or any(p.match(main) for p in _NOT_PHONE):
        return 0.0
    if len(set(digits)) == 1:
        return 0.0
    groups = re.split(r"[\s().\-/]+", main.strip("+()"))
    if "." in main and not re.search(r"[\s\-/()]", main) and len(groups[0]) == 1:
        return 0.0  # a version number such as 3.17.64.2199
    if main.startswith(("+", "00")):
        text = "+" + main[2:] if main.startswith("00") else main
        try:
            num = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return 0.0
        if phonenumbers.is_valid_number(num):
            return 0.85
        return 0.7 if phonenumbers.is_possible_number(num) else 0.0
    formatted = not main.isdigit()
    possible = False
    for region in PHONE_REGIONS:
        try:
            num = phonenumbers.parse(main, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return 0.6 if formatted else 0.3
        possible = possible or phonenumbers.is_possible_number(num)
    if possible and formatted and _NATIONAL_SHAPE.match(main):
        return 0.45
    return 0.1 if possible else 0.0


def find_phones(text: str) -> list[Span]:
    """Phone numbers in ``text``."""
    spans = []
    for m in _PHONE_CANDIDATE.finditer(text):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip())
        score = phone_score(raw)
        if score > 0:
            spans.append((m.start() + lead, m.end(), score))
    return spans


# --------------------------------------------------------------------------------------------------
# validators
# --------------------------------------------------------------------------------------------------


def card_number_ok(text: str) -> bool:
    """Payment card number: 12-19 digits, Luhn-valid, a card issuer's first digit, card grouping."""
    digits = re.sub(r"[ -]", "", text)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or digits[0] not in "123456":
        return False
    if len(set(digits)) == 1 or digits.startswith("00"):
        return False
    groups = [len(g) for g in re.split(r"[ -]", text.strip()) if g]
    if len(groups) > 1 and not (
        all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4 or groups[:2] == [4, 6]
    ):
        return False
    return luhn.is_valid(digits)


def ssn_ok(text: str) -> bool:
    """US SSN by the SSA rules (area not 000/666/9xx, group not 00, serial not 0000)."""
    digits = re.sub(r"[ .-]", "", text)
    return len(digits) == 9 and digits.isdigit() and us_ssn.is_valid(digits)
