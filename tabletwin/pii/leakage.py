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
The result counts cells, per source column, and never contains a value. Work is done on distinct
values with hash sets (one dictionary lookup per candidate word), no pairwise comparison: a 200k x
10 candidate against a 200k-row source takes about ten seconds here, most of it normalizing text.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from tabletwin.pii.fakes import (
    MAX_NGRAM,
    MIN_EMBEDDED,
    PUNCTUATION,
    normalize_many,
    normalize_value,
)
from tabletwin.pii.fakes import words as _words
from tabletwin.pii.plan import PiiPlan

__all__ = ["pii_leaks"]


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
        for key, count in zip(normalize_many(values.index), values.to_numpy().tolist()):
            if key:
                counts[key] = counts.get(key, 0) + count
    return counts


def _ngram_index(values: dict[str, set[str]]
                 ) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """First word -> bit mask of n-gram lengths, and n-gram -> source columns."""
    lengths: dict[str, int] = {}
    grams: dict[str, tuple[str, ...]] = {}
    for column, vals in values.items():
        alone = (column,)
        for v in vals:
            if len(v) < MIN_EMBEDDED:
                continue
            words = _words(v) if " " in v else [w] if (w := v.strip(PUNCTUATION)) else []
            if not 1 <= len(words) <= MAX_NGRAM:
                continue
            gram = " ".join(words)
            lengths[words[0]] = lengths.get(words[0], 0) | (1 << len(words))
            known = grams.get(gram)
            grams[gram] = alone if known is None else tuple({*known, column})
    return lengths, grams


def _embedded(words: list[str], lengths: dict[str, int],
              grams: dict[str, tuple[str, ...]]) -> Iterable[str]:
    """Columns whose values occur as word n-grams of ``words``."""
    for i, word in enumerate(words):
        mask = lengths.get(word)
        if not mask:
            continue
        for n in range(1, MAX_NGRAM + 1):
            if mask >> n & 1 and i + n <= len(words):
                yield from grams.get(" ".join(words[i:i + n]), ())


def pii_leaks(source: pd.DataFrame, candidate: pd.DataFrame, plan: PiiPlan) -> dict[str, int]:
    """Per checked source column, the number of candidate cells leaking one of its values.

    Checked columns: PII decisions with an action other than ``keep`` that exist in ``source``;
    each appears in the result (0 when clean).
    """
    checked = [d for d in plan.columns
               if d.is_pii and d.action != "keep" and d.column in source.columns]
    values = {d.column: _source_values(source, d.column, d.free_text) for d in checked}
    leaks = {d.column: 0 for d in checked}
    for column, vals in values.items():
        small = {v for v in vals if v.isdigit() and len(v) < MIN_EMBEDDED}
        if small:
            vals -= small
            if column in candidate.columns:
                counts = candidate[column].value_counts(dropna=True)
                leaks[column] += sum(int(c) for v, c in zip(counts.index, counts.to_numpy())
                                     if normalize_value(v) in small)
    cells = _candidate_counts(candidate)
    hits: dict[str, set[str]] = {}
    for column, vals in values.items():
        smaller, larger = (vals, cells) if len(vals) <= len(cells) else (cells, vals)
        hits[column] = {v for v in smaller if v in larger}
    lengths, grams = _ngram_index(values)
    for cell in cells:
        if " " not in cell and cell.strip(PUNCTUATION) == cell:
            continue  # one clean word: only an exact match, counted above
        for column in _embedded(_words(cell), lengths, grams):
            hits[column].add(cell)
    for column, found in hits.items():
        leaks[column] += sum(cells[c] for c in found)
    return leaks
