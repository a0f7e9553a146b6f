"""Fake values per entity, drawn with NumPy from a locale's word lists: every value validates
(phone numbers for the region, Luhn and issuer prefixes for cards, ISO 13616 for IBANs, SSA rules
for SSNs, reserved ``example.*`` domains for e-mails). No forbidden-value handling here: that is
:mod:`tabletwin.pii.fakes`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import numpy as np
import phonenumbers

from tabletwin.pii.fake_locales import LocaleData, draw_words, iban_from_bban, seeded_faker
from tabletwin.pii.normalize import ascii_word

_EMAIL_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)


def _name_parts(n: int, rng: np.random.Generator, loc: LocaleData
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First names, last names and the gender mask (True = female) of ``n`` people."""
    female = rng.random(n) < 0.5
    first = np.where(female, draw_words(loc.first[0], n, rng), draw_words(loc.first[1], n, rng))
    last = np.where(female, draw_words(loc.last[0], n, rng), draw_words(loc.last[1], n, rng))
    return first, last, female


def gendered(lists: tuple[tuple[np.ndarray, np.ndarray], ...], female: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """A word per row from the female (True) or male (False) list of a locale."""
    out = np.empty(len(female), dtype=object)
    women = np.flatnonzero(female)
    men = np.flatnonzero(~female)
    out[women] = draw_words(lists[0], len(women), rng)
    out[men] = draw_words(lists[1], len(men), rng)
    return out


def persons(n: int, rng: np.random.Generator, loc: LocaleData, attempt: int = 0,
             female: np.ndarray | None = None) -> np.ndarray:
    """Full names; from the third redraw on, half get a second given name (more distinct names).

    ``female`` (bool per name) fixes each name's gender; random otherwise.
    """
    first, last, drawn = _name_parts(n, rng, loc)
    if female is not None:
        first, last = gendered(loc.first, female, rng), gendered(loc.last, female, rng)
    else:
        female = drawn
    if attempt >= 3:
        second = np.where(female, draw_words(loc.first[0], n, rng), draw_words(loc.first[1], n, rng))
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


def _emails(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
    return emails_for_names(persons(n, rng, loc), rng)


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


def _phones(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
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


def _ssns(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
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


def _cards(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
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


def _ibans(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
    if loc.bban_by_faker:  # national check digits inside the BBAN: let Faker's provider do it
        fk = seeded_faker(loc.name if loc.iban_country != "GB" else "en_GB", rng)
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


def _ips(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
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


def _locations(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
    fk = seeded_faker(loc.name, rng)
    pool = [", ".join(p.strip(" ,") for p in fk.street_address().splitlines() if p.strip(" ,"))
            for _ in range(min(max(n, 64), 2000))]
    picks = rng.integers(0, len(pool), n)
    numbers = rng.integers(1, 1000, n)
    language = loc.name.split("_")[0]
    return np.array([_with_number(pool[p], int(num), language) for p, num in zip(picks, numbers)],
                    dtype=object)


def _urls(n: int, rng: np.random.Generator, loc: LocaleData) -> np.ndarray:
    first, last, _ = _name_parts(n, rng, loc)
    tld = loc.tlds[rng.integers(0, len(loc.tlds), n)]
    style = rng.integers(0, 3, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        a, b = ascii_word(str(last[i])) or "site", ascii_word(str(first[i])) or "web"
        host = (f"www.{a}.{tld[i]}", f"{a}-{b}.{tld[i]}", f"www.{b}{a}.{tld[i]}")[style[i]]
        out[i] = f"https://{host}/" + ("" if style[i] else f"{b}")
    return out


GENERATORS: dict[str, Callable[[int, np.random.Generator, LocaleData], np.ndarray]] = {
    "PERSON": persons, "EMAIL_ADDRESS": _emails, "PHONE_NUMBER": _phones, "US_SSN": _ssns,
    "CREDIT_CARD": _cards, "IBAN_CODE": _ibans, "IP_ADDRESS": _ips, "LOCATION": _locations,
    "URL": _urls,
}
