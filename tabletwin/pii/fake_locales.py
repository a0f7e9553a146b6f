"""Faker's word lists per locale (first and last names by sex, street and domain words, bank
formats), loaded once per locale, and seeded Faker instances for the few intricate formats.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import phonenumbers
from faker import Faker


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
class LocaleData:
    name: str
    first: tuple[tuple[np.ndarray, np.ndarray], ...]  # female, male
    last: tuple[tuple[np.ndarray, np.ndarray], ...]  # female, male
    region: str
    iban_country: str
    bban_format: str
    bban_by_faker: bool
    tlds: np.ndarray


_IBAN_LETTERS = {chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)}
_IBAN_TABLE = str.maketrans(_IBAN_LETTERS)


def iban_from_bban(country: str, bban: str) -> str:
    """IBAN with ISO 13616 check digits for ``bban`` in ``country``."""
    number = int(f"{bban}{country}00".translate(_IBAN_TABLE))
    return f"{country}{98 - number % 97:02d}{bban}"


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
def locale_data(locale: str) -> LocaleData:
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
    return LocaleData(locale, first, last, region, bank.country_code, bank.bban_format,
                   _has_own_bban(bank), tlds)


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def seeded_faker(locale: str, rng: np.random.Generator) -> Faker:
    fk = _faker(locale)
    fk.seed_instance(int(rng.integers(0, 2**63)))
    return fk


def draw_words(words: tuple[np.ndarray, np.ndarray], n: int,
            rng: np.random.Generator) -> np.ndarray:
    values, p = words
    return values[rng.choice(len(values), size=n, p=p)]
