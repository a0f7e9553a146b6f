"""Fresh values for the rare tail of a column: shape-alike strings, never a rare source value.

A column whose values are mostly seen fewer than ``rare_k`` times (names nobody flagged as PII,
codes, identifiers, free text after redaction) cannot be modelled by its categories: emitting them
would copy people's values, and pooling them into the few frequent ones would turn a column of
unique values into a column of repeats. The tail model keeps what is *not* personal instead:

* the **skeleton** of a value: its words that are frequent in the column (seen in at least
  ``rare_k`` rows: ``Street``, ``ship``, ``to``, a masking placeholder) and, for every other word,
  only its *shape* (upper/lower letters, digits, length). Separators (spaces, punctuation) stay.
* a **letter model**: which letter follows which in the column's words (bigram counts over the whole
  column, an aggregate of thousands of words), so generated words read like the column's words.

A drawn value is a skeleton with fresh letters and digits in its slots. Whole values equal to a
rare source value are rejected by a salted hash (the model holds no raw rare value, only 64-bit
keyed digests), so the guarantee does not depend on chance; the quality gate measures it again
(``no_rare_values_copied``) without trusting this code.

Written here rather than taken from a library: Faker and Presidio fake *known* entities; this model
has to imitate an *unknown* column's format from data, which no maintained package does offline.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter

import numpy as np
import pandas as pd

from tabletwin.protection import fold

#: Words and separators: a word is a run of letters/digits/underscore (any script).
_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
#: Most skeletons kept (each a template for many drawn values); bounds the model's size.
MAX_SKELETONS = 4000
#: Alphabets larger than this (CJK) use letter frequencies instead of a bigram matrix.
MAX_BIGRAM_ALPHABET = 400
#: Tries to draw a value that is no rare source value before a slot letter is forced to change.
_RETRIES = 4


class RareValueSet:
    """Keyed 64-bit digests of a column's rare values (folded): membership without the values."""

    def __init__(self, values: list[object]):
        self.salt = os.urandom(16)
        self.hashes = np.unique(self.digest(values)) if values else np.zeros(0, dtype=np.uint64)

    def digest(self, values: list[object] | np.ndarray) -> np.ndarray:
        key = self.salt
        return np.fromiter(
            (int.from_bytes(hashlib.blake2b(fold(v).encode("utf-8", "surrogatepass"), key=key,
                                            digest_size=8).digest(), "little") for v in values),
            dtype=np.uint64, count=len(values))

    def contains(self, values: list[object] | np.ndarray) -> np.ndarray:
        if len(self.hashes) == 0 or len(values) == 0:
            return np.zeros(len(values), dtype=bool)
        h = self.digest(values)
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return self.hashes[pos] == h


def _shape(word: str) -> str:
    """``U`` upper-case letter, ``l`` lower-case, ``o`` caseless letter, ``d`` digit; ``_`` kept."""
    out = []
    for ch in word:
        if ch.isdigit():
            out.append("d")
        elif ch == "_":
            out.append("_")
        elif ch.isupper():
            out.append("U")
        elif ch.islower():
            out.append("l")
        else:
            out.append("o")
    return "".join(out)


class TailModel:
    """Learns skeletons and a letter model from a column's values; draws fresh shape-alike values.

    ``fit(values, rare)``: ``values`` every non-null value of the column (for word frequencies and
    letters), ``rare`` the rare values (skeletons come from them, weighted by their rows)."""

    def __init__(self, rare_k: int):
        self.rare_k = rare_k

    def fit(self, values: pd.Series, rare: RareValueSet, rare_values: pd.Series,
            rng: np.random.Generator) -> "TailModel":
        texts = values.astype(str)
        tokens = [_TOKEN.findall(t) for t in texts]
        word_rows: Counter[str] = Counter()
        letters: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        for toks in tokens:
            words = {t for t in toks if t[0].isalnum() or t[0] == "_"}
            word_rows.update(words)
            for w in words:
                low = w.casefold()
                prev = "^"
                for ch in low:
                    if ch.isalpha():
                        letters[ch] += 1
                        pairs[(prev, ch)] += 1
                        prev = ch
                    else:
                        prev = "^"
        frequent = {w for w, c in word_rows.items() if c >= self.rare_k}
        rare_texts = rare_values.astype(str)
        if len(rare_texts) > MAX_SKELETONS:
            rare_texts = rare_texts.iloc[np.sort(rng.choice(len(rare_texts), MAX_SKELETONS,
                                                            replace=False))]
        skeletons: Counter[tuple[tuple[str, str], ...]] = Counter()
        for text in rare_texts:
            parts = []
            for tok in _TOKEN.findall(text):
                if (tok[0].isalnum() or tok[0] == "_") and tok not in frequent:
                    parts.append(("slot", _shape(tok)))
                else:
                    parts.append(("lit", tok))
            if not any(kind == "slot" for kind, _ in parts):
                # every word is common, the combination is not: its least common word becomes a
                # slot, so the value itself can never be re-assembled from the skeleton
                words = [i for i, (_, tok) in enumerate(parts) if tok[:1].isalnum()]
                if words:
                    i = min(words, key=lambda j: word_rows[parts[j][1]])
                    parts[i] = ("slot", _shape(parts[i][1]))
                else:
                    parts = [("slot", _shape("x" * max(1, len(text))))]
            skeletons[tuple(parts)] += 1
        self.skeletons_ = list(skeletons)
        w = np.array([skeletons[s] for s in self.skeletons_], dtype=float)
        self.skeleton_cum_ = np.cumsum(w / w.sum())
        self.skeleton_cum_[-1] = 1.0
        alphabet = sorted(letters) or list("abcdefghijklmnopqrstuvwxyz")
        self.alphabet_ = np.array(alphabet, dtype=object)
        a = len(alphabet)
        uni = np.array([letters.get(c, 0) + 1.0 for c in alphabet])
        self.unigram_cum_ = np.cumsum(uni / uni.sum())
        self.bigram_cum_: np.ndarray | None = None
        if a <= MAX_BIGRAM_ALPHABET:
            index = {c: i for i, c in enumerate(alphabet)}
            m = np.tile(uni / uni.sum(), (a + 1, 1))  # row a: start of a word
            counts = np.zeros((a + 1, a))
            for (p, c), k in pairs.items():
                counts[a if p == "^" else index[p], index[c]] += k
            m = counts + m  # add-one-ish smoothing toward the letter frequencies
            self.bigram_cum_ = np.cumsum(m / m.sum(axis=1, keepdims=True), axis=1)
            self.bigram_cum_[:, -1] = 1.0
        self.rare_ = rare
        return self

    # ---- sampling ------------------------------------------------------------------------------
    def _letters(self, prev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = rng.random(len(prev))
        if self.bigram_cum_ is None:
            idx = np.searchsorted(self.unigram_cum_, r * self.unigram_cum_[-1], side="right")
        else:
            cum = self.bigram_cum_[prev]
            idx = (cum <= r[:, None]).sum(axis=1)
        return np.minimum(idx, len(self.alphabet_) - 1)

    def _fill(self, shape: str, n: int, rng: np.random.Generator) -> list[str]:
        start = len(self.alphabet_)
        prev = np.full(n, start if self.bigram_cum_ is not None else 0)
        cols = []
        for ch in shape:
            if ch == "d":
                cols.append(rng.integers(0, 10, n).astype(str).astype(object))
                prev[:] = start if self.bigram_cum_ is not None else 0
            elif ch == "_":
                cols.append(np.full(n, "_", dtype=object))
            else:
                idx = self._letters(prev, rng)
                prev = idx
                col = self.alphabet_[idx]
                if ch == "U":
                    col = np.array([c.upper() for c in col], dtype=object)
                cols.append(col)
        return ["".join(t) for t in zip(*cols)] if cols else [""] * n

    def _draw(self, skeleton: tuple[tuple[str, str], ...], n: int,
              rng: np.random.Generator) -> np.ndarray:
        parts = [self._fill(val, n, rng) if kind == "slot" else [val] * n for kind, val in skeleton]
        return np.array(["".join(t) for t in zip(*parts)], dtype=object)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(n, dtype=object)
        if n == 0:
            return out
        which = np.minimum(np.searchsorted(self.skeleton_cum_, rng.random(n), side="right"),
                           len(self.skeletons_) - 1)
        for s in np.unique(which):
            rows = np.flatnonzero(which == s)
            out[rows] = self._draw(self.skeletons_[s], len(rows), rng)
        for _ in range(_RETRIES):  # a draw that happens to be a rare source value is redrawn
            bad = np.flatnonzero(self.rare_.contains(out))
            if len(bad) == 0:
                return out
            for i in bad:
                out[i] = self._draw(self.skeletons_[which[i]], 1, rng)[0]
        # a domain the source exhausts (every short code taken): grow the value by one character
        # of its last character's kind until it is no rare source value
        for _ in range(_RETRIES):
            bad = np.flatnonzero(self.rare_.contains(out))
            if len(bad) == 0:
                break
            for i in bad:
                v = str(out[i])
                last = v[-1:] or "x"
                if last.isdigit():
                    extra = str(rng.integers(0, 10))
                else:
                    extra = str(self.alphabet_[rng.integers(0, len(self.alphabet_))])
                    extra = extra.upper() if last.isupper() else extra
                out[i] = v + extra
        return out
