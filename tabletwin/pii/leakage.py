"""Leak check: do source PII values reappear in a candidate (masked or synthetic) table?

Source side. Every source column whose decision is PII is indexed: its normalized values, or for a
free-text column the entity spans the detector finds in its cells (span-level view: an address,
name or e-mail inside a memo is indexed as itself, not as the whole memo). An address (a LOCATION
value or span) is also indexed by its street line (the text up to the first comma-separated part
holding both a house number and a word: "1578 oak street" of "1578 Oak Street, Springfield, IL"),
so a real street with its number found anywhere counts even when the city or postcode changed.

Candidate side. A candidate cell *matches* a source column when its
:func:`~.normalize.normalize_value` form equals one of the column's indexed values, or, for text
cells, when a word n-gram of the cell (n = 1..5, words split on whitespace and trimmed of
surrounding punctuation) equals an indexed value of at least :data:`MIN_EMBEDDED` characters,
tokenised the same way ("Call Jane Doe today" matches "Jane Doe").

A match is a *leak* when the candidate column is a PII column (or a column the plan does not know,
such as a key), or a non-PII column that does not legitimately hold that cell value: a cell of a
non-PII, kept column whose normalized value is also a source value of that same column is no leak
(the country "Germany" next to a player named Germany). Legitimacy is decided on whole cells of
text columns; numeric non-PII columns keep no legitimate-value index (memory) and count every
match. Numbers of fewer than six digits (small keys such as 43) are only looked for in the
candidate column of the same name: elsewhere they coincide with counts, codes and amounts by
chance.

Two counts, per source column, never a value: ``leaks`` for PII columns masked, faked, redacted
or dropped (the blocking check), and ``kept`` for PII columns the catalog keeps (``action:
keep``): their real values are published on purpose and are reported, as a warning, not skipped.

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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tabletwin.pii.normalize import (
    MAX_NGRAM,
    MIN_EMBEDDED,
    PUNCTUATION,
    canonical,
    normalize_many,
    normalize_value,
)
from tabletwin.pii.normalize import words as _words
from tabletwin.pii.plan import ColumnDecision, PiiPlan

__all__ = ["LeakCounts", "LeakIndex", "pii_leak_scan", "pii_leaks"]

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


def _source_values(source: pd.DataFrame, column: str, free_text: bool,
                   entity: str | None = None) -> set[str]:
    """Normalized values of a source column (detected spans for free text), with the street line
    of every address value or span (see the module docstring)."""
    uniques = pd.unique(source[column].dropna())
    if not free_text:
        values = set(normalize_many(uniques)) - {""}
        if entity == "LOCATION":
            values |= {line for v in values if (line := street_line(v)) is not None}
        return values
    from tabletwin.pii.recognizers.analysis import find_spans

    texts = [str(u) for u in uniques]
    spans = find_spans(texts)
    out: set[str] = set()
    for text, found in zip(texts, spans):
        for s in found:
            value = normalize_value(text[s.start:s.end])
            if value:
                out.add(value)
                if s.entity == "LOCATION" and (line := street_line(value)) is not None:
                    out.add(line)
    return out


_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]{2}")


def street_line(address: str) -> str | None:
    """The identifying head of an address: its comma-separated parts up to the first one holding
    both a number and a word ("12, rue de la paix" of "12, rue de la paix, 75002 paris"); None
    when that is the whole text or too short to look for inside other texts."""
    parts = re.split(r"[,\n;]", address)
    for i in range(len(parts)):
        head = ",".join(parts[:i + 1]).strip()
        if _HAS_DIGIT.search(head) and _HAS_LETTER.search(head):
            if i + 1 == len(parts) or len(head) < MIN_EMBEDDED:
                return None
            return head
    return None


_PUNCTUATION_RE = re.compile("[" + re.escape(PUNCTUATION) + "]")


def _text_words(normalized: str) -> list[str]:
    """:func:`~.normalize.words`, with a fast path for texts without punctuation."""
    if _PUNCTUATION_RE.search(normalized) is None:
        return normalized.split()
    return [w for t in normalized.split() if (w := t.strip(PUNCTUATION))]


def normalize_index(values: pd.Index | pd.Series | np.ndarray) -> list[str]:
    """:func:`~.normalize.normalize_value` of each (non-null) value, vectorised for integers, whole
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


def _column_counts(column: pd.Series) -> tuple[list[str], np.ndarray]:
    """Normalized cell values of one candidate column and how many cells hold each.

    Booleans and fractional numbers are skipped: no source PII value can equal them.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return [], np.empty(0, dtype=np.int64)
    if pd.api.types.is_float_dtype(column.dtype):
        column = column[column == column.round()]
    values = column.value_counts(dropna=True)
    keys = normalize_index(values.index)
    counts = values.to_numpy().astype(np.int64)
    keep = np.fromiter((bool(k) for k in keys), dtype=bool, count=len(keys))
    return [k for k, ok in zip(keys, keep) if ok], counts[keep]


def _text_like(dtype: object) -> bool:
    """Columns whose legitimate values are indexed (see the module docstring)."""
    return not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype))


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


@dataclass
class LeakCounts:
    """Per source column, candidate cells holding one of its values (never a value).

    ``leaks``: PII columns the plan replaces (blocking); ``kept``: PII columns the catalog keeps,
    whose real values are published on purpose (reported as a warning)."""

    leaks: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def add(self, other: "LeakCounts") -> None:
        for mine, theirs in ((self.leaks, other.leaks), (self.kept, other.kept)):
            for column, count in theirs.items():
                mine[column] = mine.get(column, 0) + count


class LeakIndex:
    """The source side of the leak check, built batch by batch, scanned chunk by chunk.

    ``decisions``: the plan's decisions (all columns; the checked ones are picked here: PII
    columns, those the catalog keeps counted apart, and kept non-PII columns for their legitimate
    values). Call :meth:`add` with each batch of source rows (any subset of columns holding
    :attr:`source_columns`), then :meth:`scan` / :meth:`leaks` / :meth:`leaking` with candidates.
    """

    def __init__(self, decisions: Iterable[ColumnDecision]):
        decisions = list(decisions)
        self.decisions = [d for d in decisions if d.is_pii and d.action != "keep"]
        self.kept_decisions = [d for d in decisions if d.is_pii and d.action == "keep"]
        self.columns = [d.column for d in self.decisions]
        self.kept_columns = [d.column for d in self.kept_decisions]
        #: non-PII columns published as they are: candidate cells equal to one of their own source
        #: values are legitimate there (module docstring)
        self.legit_columns = [d.column for d in decisions if not d.is_pii and d.action == "keep"]
        indexed = self.columns + self.kept_columns
        self._exact = {c: _Hashes() for c in indexed}  # normalized values
        self._grams = {c: _Hashes() for c in indexed}  # word-joined values that may embed
        # first words of the n-word grams (n >= 2, all columns)
        self._firsts = {n: _Hashes() for n in range(2, MAX_NGRAM + 1)}
        self._small: dict[str, set[str]] = {c: set() for c in indexed}
        self._legit = {c: _Hashes() for c in self.legit_columns}
        self._canonical: dict[str, _Hashes] = {
            str(d.entity): _Hashes() for d in [*self.decisions, *self.kept_decisions]
            if d.entity in CANONICAL_ENTITIES}

    @property
    def source_columns(self) -> list[str]:
        """Every source column :meth:`add` reads."""
        return list(dict.fromkeys(self.columns + self.kept_columns + self.legit_columns))

    @classmethod
    def for_source(cls, source: pd.DataFrame, plan: PiiPlan) -> "LeakIndex":
        """The index of a whole in-memory source table."""
        index = cls(d for d in plan.columns if d.column in source.columns)
        index.add(source)
        return index

    def add(self, source: pd.DataFrame) -> None:
        """Add a batch of source rows."""
        for d in [*self.decisions, *self.kept_decisions]:
            if d.column not in source.columns:
                continue
            values = _source_values(source, d.column, d.free_text, d.entity)
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
        for c in self.legit_columns:
            if c in source.columns and _text_like(source[c].dtype):
                uniques = pd.unique(source[c].dropna())
                self._legit[c].add(hash_strings(normalize_index(uniques)))

    def _hits(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Per indexed column, which of the normalized cell values ``keys`` match it."""
        hashes = hash_strings(keys)
        hits = {c: member(hashes, self._exact[c].compact()) for c in self._exact}
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
        for c in self._grams:
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

    def scan(self, candidate: pd.DataFrame) -> LeakCounts:
        """Per indexed source column, the number of candidate cells leaking one of its values:
        ``leaks`` for the replaced PII columns, ``kept`` for those the catalog keeps."""
        counted = {c: self._small_count(c, candidate[c]) if c in candidate.columns else 0
                   for c in self._exact}
        per_column = [(str(name), *_column_counts(candidate[name])) for name in candidate.columns]
        union = list(dict.fromkeys(k for _, keys, _ in per_column for k in keys))
        if union:
            position = {k: i for i, k in enumerate(union)}
            hits = self._hits(union)
            for name, keys, counts in per_column:
                if not keys:
                    continue
                at = np.fromiter((position[k] for k in keys), dtype=np.int64, count=len(keys))
                leaking = counts
                if name in self._legit:  # a kept non-PII column's own values are no leak there
                    leaking = np.where(member(hash_strings(keys), self._legit[name].compact()),
                                       0, counts)
                for c, hit in hits.items():
                    counted[c] += int(leaking[hit[at]].sum())
        return LeakCounts(leaks={c: counted[c] for c in self.columns},
                          kept={c: counted[c] for c in self.kept_columns})

    def leaks(self, candidate: pd.DataFrame) -> dict[str, int]:
        """Per replaced PII column, the number of candidate cells leaking one of its values."""
        return self.scan(candidate).leaks

    def leaking(self, values: pd.Series, entity: str | None = None) -> np.ndarray:
        """Boolean mask over ``values``: cells that match any indexed column, kept ones included
        (the same rules as :meth:`scan`, without legitimacy, with small numbers looked for when
        ``values`` is named like an indexed column) or, for an ``entity`` with a canonical form,
        equal a source value of that entity in it (a fresh fake must avoid both)."""
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

    def _parts(self) -> list[_Hashes]:
        return [*self._exact.values(), *self._grams.values(), *self._firsts.values(),
                *self._canonical.values(), *self._legit.values()]

    def compact(self) -> None:
        """Merge the batches added so far (done on demand anyway; call it before pickling)."""
        for part in self._parts():
            part.compact()

    @property
    def nbytes(self) -> int:
        """Memory held by the hash arrays."""
        return sum(p.compact().nbytes for p in self._parts())


def pii_leak_scan(source: pd.DataFrame, candidate: pd.DataFrame, plan: PiiPlan) -> LeakCounts:
    """:meth:`LeakIndex.scan` of ``candidate`` against the whole in-memory ``source``."""
    return LeakIndex.for_source(source, plan).scan(candidate)


def pii_leaks(source: pd.DataFrame, candidate: pd.DataFrame, plan: PiiPlan) -> dict[str, int]:
    """Per checked source column, the number of candidate cells leaking one of its values.

    Checked columns: PII decisions with an action other than ``keep`` that exist in ``source``;
    each appears in the result (0 when clean). Kept PII columns: :func:`pii_leak_scan`.
    """
    return LeakIndex.for_source(source, plan).leaks(candidate)
