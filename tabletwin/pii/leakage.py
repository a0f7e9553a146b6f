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
values with hash sets (one dictionary lookup per candidate word), so 200k x 10 candidates take
seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import pandas as pd

from tabletwin.pii.fakes import MAX_NGRAM, MIN_EMBEDDED, normalize_value
from tabletwin.pii.fakes import words as _words
from tabletwin.pii.plan import PiiPlan

__all__ = ["pii_leaks"]


def _source_values(source: pd.DataFrame, column: str, free_text: bool) -> set[str]:
    """Normalized values of a source column (detected spans for free text)."""
    series = source[column].dropna()
    uniques = pd.unique(series)
    if not free_text:
        return {v for v in (normalize_value(u) for u in uniques) if v}
    from tabletwin.pii import recognizers

    texts = [str(u) for u in uniques]
    spans = recognizers.find_spans(texts)
    return {v for text, found in zip(texts, spans) for s in found
            if (v := normalize_value(text[s.start:s.end]))}


def _candidate_counts(candidate: pd.DataFrame) -> Counter[str]:
    """Normalized cell value -> number of candidate cells holding it (all columns)."""
    counts: Counter[str] = Counter()
    for position in range(candidate.shape[1]):
        values = candidate.iloc[:, position].value_counts(dropna=True)
        for value, count in zip(values.index, values.to_numpy()):
            key = normalize_value(value)
            if key:
                counts[key] += int(count)
    return counts


def _index(values: dict[str, set[str]]
           ) -> tuple[dict[str, set[str]], dict[str, set[int]], dict[str, set[str]]]:
    """Exact index (value -> columns), first word -> n-gram lengths, n-gram -> columns."""
    exact: dict[str, set[str]] = defaultdict(set)
    lengths: dict[str, set[int]] = defaultdict(set)
    grams: dict[str, set[str]] = defaultdict(set)
    for column, vals in values.items():
        for v in vals:
            exact[v].add(column)
            words = _words(v) if len(v) >= MIN_EMBEDDED else []
            if 1 <= len(words) <= MAX_NGRAM:
                lengths[words[0]].add(len(words))
                grams[" ".join(words)].add(column)
    return exact, lengths, grams


def _embedded(words: list[str], lengths: dict[str, set[int]],
              grams: dict[str, set[str]]) -> Iterable[str]:
    """Columns whose values occur as word n-grams of ``words``."""
    for i, word in enumerate(words):
        for n in lengths.get(word, ()):
            if i + n <= len(words):
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
    exact, lengths, grams = _index(values)
    for cell, count in _candidate_counts(candidate).items():
        columns = set(exact.get(cell, ()))
        columns.update(_embedded(_words(cell), lengths, grams))
        for column in columns:
            leaks[column] += count
    return leaks
