"""Leak check: do source PII values reappear in a candidate (masked or synthetic) table?

For every source column whose decision is PII with an action other than ``keep``:

* a candidate cell (any column) *leaks* it when its :func:`~.fakes.normalize_value` form equals one
  of that column's normalized source values, or
* for text cells, when a word n-gram of the cell (n = 1..5, words split on whitespace and trimmed
  of surrounding punctuation) equals a source value of at least :data:`MIN_EMBEDDED` characters,
  tokenised the same way ("Call Jane Doe today" leaks "Jane Doe").

Free-text source columns contribute the entity spans the detector finds in them, not whole cells.
Numbers of fewer than six digits (small keys such as 43) are only looked for in the candidate column
of the same name: elsewhere they coincide with counts, codes and amounts by chance.
The result counts cells, per source column, and never contains a value.

:class:`LeakIndex` holds the source side as sorted 64-bit hashes of the normalized values (and of
their word-joined forms), not as strings: it is built batch by batch (:meth:`LeakIndex.add`), so a
10-million-row source costs about 8 bytes per distinct value, and a candidate can be scanned chunk
by chunk against all of it. Work is done on distinct candidate values, one vectorised hash lookup
each, no pairwise comparison. Two different strings sharing a 64-bit hash would count as a leak
(never the other way round); at these sizes the odds are about one in a million.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from tabletwin.pii.fakes import (
    MAX_NGRAM,
    MIN_EMBEDDED,
    PUNCTUATION,
    canonical,
    normalize_many,
    normalize_value,
)
from tabletwin.pii.fakes import words as _words
from tabletwin.pii.plan import ColumnDecision, PiiPlan

__all__ = ["LeakIndex", "pii_leaks"]

#: Entities whose values are also compared in their own canonical form (digits of a phone number,
#: alphanumerics of a card, SSN or IBAN) when a fresh fake is checked (:meth:`LeakIndex.leaking`).
CANONICAL_ENTITIES = ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE")
_EMPTY = np.empty(0, dtype=np.uint64)
#: Pending hashes per column before they are merged into the sorted arrays.
_COMPACT_AT = 4_000_000


def hash_strings(values: Sequence[str] | np.ndarray) -> np.ndarray:
    """64-bit hashes of strings (SipHash with a fixed key: the same in every process)."""
    if len(values) == 0:
        return _EMPTY
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def member(hashes: np.ndarray, sorted_hashes: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``hashes`` are in the sorted array ``sorted_hashes``."""
    if len(sorted_hashes) == 0 or len(hashes) == 0:
        return np.zeros(len(hashes), dtype=bool)
    order = np.argsort(hashes)  # sorted needles: searchsorted walks the array once
    needles = hashes[order]
    pos = np.searchsorted(sorted_hashes, needles)
    pos[pos == len(sorted_hashes)] = 0
    out = np.empty(len(hashes), dtype=bool)
    out[order] = sorted_hashes[pos] == needles
    return out


def _source_values(source: pd.DataFrame, column: str, free_text: bool) -> set[str]:
    """Normalized values of a source column (detected spans for free text)."""
    uniques = pd.unique(source[column].dropna())
    if not free_text:
        return set(normalize_many(uniques)) - {""}
    from tabletwin.pii import recognizers

    texts = [str(u) for u in uniques]
    spans = recognizers.find_spans(texts)
    return set(normalize_many(text[s.start:s.end] for text, found in zip(texts, spans)
                              for s in found)) - {""}


_PUNCTUATION_RE = re.compile("[" + re.escape(PUNCTUATION) + "]")


def _text_words(normalized: str) -> list[str]:
    """:func:`~.fakes.words`, with a fast path for texts without punctuation."""
    if _PUNCTUATION_RE.search(normalized) is None:
        return normalized.split()
    return [w for t in normalized.split() if (w := t.strip(PUNCTUATION))]


def normalize_index(values: pd.Index | pd.Series | np.ndarray) -> list[str]:
    """:func:`~.fakes.normalize_value` of each (non-null) value, vectorised for integers, whole
    floats and datetimes (the same strings, several times faster than value by value)."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and dtype.kind in "iu" and not pd.api.types.is_bool_dtype(dtype):
        return [str(v) for v in np.asarray(values).tolist()]
    if dtype is not None and dtype.kind == "f" and isinstance(dtype, np.dtype):
        return [str(int(v)) if v.is_integer() else normalize_value(v)
                for v in np.asarray(values).tolist()]
    if dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = pd.DatetimeIndex(values)
        if len(stamps) and not stamps.nanosecond.any():  # datetime prints like Timestamp
            return [str(d) for d in stamps.to_pydatetime()]
    return normalize_many(values)


def _candidate_counts(candidate: pd.DataFrame) -> dict[str, int]:
    """Normalized cell value -> number of candidate cells holding it (all columns).

    Booleans and fractional numbers are skipped: no source PII value can equal them.
    """
    counts: dict[str, int] = {}
    for position in range(candidate.shape[1]):
        column = candidate.iloc[:, position]
        if pd.api.types.is_bool_dtype(column.dtype):
            continue
        if pd.api.types.is_float_dtype(column.dtype):
            column = column[column == column.round()]
        values = column.value_counts(dropna=True)
        for key, count in zip(normalize_index(values.index), values.to_numpy().tolist()):
            if key:
                counts[key] = counts.get(key, 0) + count
    return counts


def _gram(value: str) -> str | None:
    """The word-joined form under which ``value`` counts when embedded in a text, or None."""
    if len(value) < MIN_EMBEDDED:
        return None
    words = _words(value) if " " in value else [w] if (w := value.strip(PUNCTUATION)) else []
    if not 1 <= len(words) <= MAX_NGRAM:
        return None
    return " ".join(words)


class _Hashes:
    """A growing set of 64-bit hashes: pending batches, merged into one sorted array on demand."""

    def __init__(self) -> None:
        self.sorted = _EMPTY
        self._pending: list[np.ndarray] = []
        self._size = 0

    def add(self, hashes: np.ndarray) -> None:
        if len(hashes):
            self._pending.append(hashes)
            self._size += len(hashes)
            if self._size >= _COMPACT_AT:
                self.compact()

    def compact(self) -> np.ndarray:
        if self._pending:
            merged = np.sort(np.concatenate([self.sorted, *self._pending]))
            self.sorted = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
            self._pending, self._size = [], 0
        return self.sorted


class LeakIndex:
    """The source side of the leak check, built batch by batch, scanned chunk by chunk.

    ``decisions``: the plan's decisions for the checked columns (PII, action other than ``keep``).
    Call :meth:`add` with each batch of source rows (any subset of columns holding the checked
    ones), then :meth:`leaks` / :meth:`leaking` with candidates.
    """

    def __init__(self, decisions: Iterable[ColumnDecision]):
        self.decisions = [d for d in decisions if d.is_pii and d.action != "keep"]
        self.columns = [d.column for d in self.decisions]
        self._exact = {c: _Hashes() for c in self.columns}  # normalized values
        self._grams = {c: _Hashes() for c in self.columns}  # word-joined values that may embed
        # first words of the n-word grams (n >= 2, all columns)
        self._firsts = {n: _Hashes() for n in range(2, MAX_NGRAM + 1)}
        self._small: dict[str, set[str]] = {c: set() for c in self.columns}
        self._canonical: dict[str, _Hashes] = {
            str(d.entity): _Hashes() for d in self.decisions if d.entity in CANONICAL_ENTITIES}

    @classmethod
    def for_source(cls, source: pd.DataFrame, plan: PiiPlan) -> "LeakIndex":
        """The index of a whole in-memory source table."""
        index = cls(d for d in plan.columns if d.column in source.columns)
        index.add(source)
        return index

    def add(self, source: pd.DataFrame) -> None:
        """Add a batch of source rows."""
        for d in self.decisions:
            values = _source_values(source, d.column, d.free_text)
            small = {v for v in values if v.isdigit() and len(v) < MIN_EMBEDDED}
            self._small[d.column] |= small
            rest = [v for v in values if v not in small]
            self._exact[d.column].add(hash_strings(rest))
            grams = [g for v in rest if (g := _gram(v)) is not None]
            self._grams[d.column].add(hash_strings(grams))
            multi = [g.split(" ") for g in grams if " " in g]
            for n, firsts in self._firsts.items():
                firsts.add(hash_strings([ws[0] for ws in multi if len(ws) == n]))
            if d.entity in self._canonical:
                key = canonical(d.entity)
                self._canonical[str(d.entity)].add(hash_strings([key(v) for v in values]))

    def _hits(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Per checked column, which of the normalized cell values ``keys`` leak it."""
        hashes = hash_strings(keys)
        hits = {c: member(hashes, self._exact[c].compact()) for c in self.columns}
        texts = [(i, _text_words(k)) for i, k in enumerate(keys)
                 if " " in k or k.strip(PUNCTUATION) != k]  # one clean word: exact match only
        if not texts:
            return hits
        flat = [w for _, ws in texts for w in ws]
        owner = np.repeat([i for i, _ in texts], [len(ws) for _, ws in texts])
        word_hashes = hash_strings(flat)
        grams: list[str] = []
        gram_owner: list[int] = []
        offsets = np.cumsum([0] + [len(ws) for _, ws in texts])
        for n, firsts in self._firsts.items():  # n-grams only where a source n-gram starts
            starts = np.flatnonzero(member(word_hashes, firsts.compact()))
            if not len(starts):
                continue
            cell = np.searchsorted(offsets, starts, side="right") - 1
            for k, t in zip(starts.tolist(), cell.tolist()):
                ws, at = texts[t][1], k - offsets[t]
                if at + n <= len(ws):
                    grams.append(" ".join(ws[at:at + n]))
                    gram_owner.append(texts[t][0])
        gram_hashes = hash_strings(grams)
        owners = np.asarray(gram_owner, dtype=np.int64)
        for c in self.columns:
            sorted_grams = self._grams[c].compact()
            hits[c][owner[member(word_hashes, sorted_grams)]] = True
            hits[c][owners[member(gram_hashes, sorted_grams)]] = True
        return hits

    def _small_count(self, column: str, values: pd.Series) -> int:
        small = self._small.get(column)
        if not small:
            return 0
        counts = values.value_counts(dropna=True)
        return sum(int(c) for v, c in zip(counts.index, counts.to_numpy()) if
                   normalize_value(v) in small)

    def leaks(self, candidate: pd.DataFrame) -> dict[str, int]:
        """Per checked column, the number of candidate cells leaking one of its values."""
        leaks = {c: self._small_count(c, candidate[c]) if c in candidate.columns else 0
                 for c in self.columns}
        cells = _candidate_counts(candidate)
        keys = list(cells)
        counts = np.fromiter(cells.values(), dtype=np.int64, count=len(keys))
        for column, hit in self._hits(keys).items():
            leaks[column] += int(counts[hit].sum())
        return leaks

    def leaking(self, values: pd.Series, entity: str | None = None) -> np.ndarray:
        """Boolean mask over ``values``: cells that leak any checked column (the same rules as
        :meth:`leaks`, with small numbers looked for when ``values`` is named like a checked
        column) or, for an ``entity`` with a canonical form, equal a source value of that entity
        in it (a fresh fake must avoid both)."""
        present = values.notna().to_numpy()
        codes, uniques = pd.factorize(values[present])
        if len(uniques) == 0:
            return np.zeros(len(values), dtype=bool)
        keys = normalize_index(uniques)
        bad = np.zeros(len(keys), dtype=bool)
        for hit in self._hits(keys).values():
            bad |= hit
        small = self._small.get(str(values.name))
        if small:
            bad |= np.fromiter((k in small for k in keys), dtype=bool, count=len(keys))
        if entity in self._canonical:
            key = canonical(entity)
            bad |= member(hash_strings([key(k) for k in keys]),
                          self._canonical[str(entity)].compact())
        out = np.zeros(len(values), dtype=bool)
        out[np.flatnonzero(present)] = bad[codes]
        return out

    def compact(self) -> None:
        """Merge the batches added so far (done on demand anyway; call it before pickling)."""
        for part in [*self._exact.values(), *self._grams.values(), *self._firsts.values(),
                     *self._canonical.values()]:
            part.compact()

    @property
    def nbytes(self) -> int:
        """Memory held by the hash arrays."""
        parts = [*self._exact.values(), *self._grams.values(), *self._firsts.values(),
                 *self._canonical.values()]
        return sum(p.compact().nbytes for p in parts)


def pii_leaks(source: pd.DataFrame, candidate: pd.DataFrame, plan: PiiPlan) -> dict[str, int]:
    """Per checked source column, the number of candidate cells leaking one of its values.

    Checked columns: PII decisions with an action other than ``keep`` that exist in ``source``;
    each appears in the result (0 when clean).
    """
    return LeakIndex.for_source(source, plan).leaks(candidate)
