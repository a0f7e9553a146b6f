"""The offline Presidio engine of tabletwin, and span analysis of texts with it.

The engine uses Presidio's ``no_op`` NLP engine (no spaCy model, nothing downloaded) and a
:class:`~presidio_analyzer.RecognizerRegistry` holding the built-in recognizers
(:func:`~tabletwin.pii.recognizers.registry.builtin_recognizers`) and those declared in YAML
files (:func:`load_recognizers`, format in :mod:`tabletwin.pii.recognizers.yaml_patterns`). It is
built once per process, lazily (:func:`engine`). Spans found in a text are cached per text
(:func:`text_spans`); many texts are analysed in a process pool (:func:`find_spans`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngineProvider

from tabletwin.pii.recognizers.registry import builtin_recognizers
from tabletwin.pii.recognizers.yaml_patterns import recognizers_from_yaml

#: Minimum score for a span covering a whole value to count as that entity.
MIN_SCORES: dict[str, float] = {
    "EMAIL_ADDRESS": 0.5, "CREDIT_CARD": 0.9, "IBAN_CODE": 0.9, "US_SSN": 0.5, "IP_ADDRESS": 0.5,
    "URL": 0.5, "PHONE_NUMBER": 0.4, "PERSON": 0.4, "LOCATION": 0.5,
}
#: Higher minimums for spans inside longer text (a person needs a known first name or a title).
TEXT_MIN_SCORES: dict[str, float] = {**MIN_SCORES, "PERSON": 0.5, "LOCATION": 0.6}
#: Score a YAML pattern needs to count without a column-name hint.
CUSTOM_MIN_SCORE = 0.5


@dataclass(frozen=True)
class Span:
    """One detected entity occurrence in a text (offsets into that text)."""

    entity: str
    start: int
    end: int
    score: float


@dataclass
class _State:
    engine: AnalyzerEngine | None = None
    yaml_paths: tuple[str, ...] = ()
    #: entity -> column-name tokens, from YAML
    hints: dict[str, frozenset[str]] | None = None
    #: entity -> default action, from YAML
    actions: dict[str, str] | None = None
    #: entity tuple -> recognizers of the registry
    by_entities: dict[tuple[str, ...], list[Any]] = field(default_factory=dict)
    #: text -> resolved spans, and the cached texts' total length
    spans: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    span_chars: int = 0


_STATE = _State()
_LOCK = threading.Lock()


def engine() -> AnalyzerEngine:
    """The process-wide AnalyzerEngine (no_op NLP engine, offline), built on first use."""
    if _STATE.engine is None:
        with _LOCK:
            if _STATE.engine is None:
                nlp = NlpEngineProvider(nlp_configuration={
                    "nlp_engine_name": "no_op",
                    "models": [{"lang_code": "en", "model_name": "no_op"}],
                }).create_engine()
                registry = RecognizerRegistry(recognizers=builtin_recognizers(),
                                              supported_languages=["en"])
                _STATE.engine = AnalyzerEngine(registry=registry, nlp_engine=nlp,
                                               supported_languages=["en"])
                _STATE.hints, _STATE.actions = {}, {}
    return _STATE.engine


def load_recognizers(yaml_path: str | os.PathLike[str]) -> list[str]:
    """Add the pattern recognizers declared in a YAML file to the engine; returns their names.

    Raises :class:`~tabletwin.errors.ConfigError` (naming the file and field) for a malformed file.
    The format is described in :mod:`tabletwin.pii.recognizers.yaml_patterns`.
    """
    path = Path(yaml_path)
    built = recognizers_from_yaml(path)
    if str(path.resolve()) in _STATE.yaml_paths:  # loading the same file again is a no-op
        return [r.name for r, _, _ in built]
    eng = engine()
    with _LOCK:
        assert _STATE.hints is not None and _STATE.actions is not None
        for recognizer, tokens, action in built:
            eng.registry.add_recognizer(recognizer)
            _STATE.by_entities.clear()
            _STATE.spans.clear()
            _STATE.span_chars = 0
            entity = recognizer.supported_entities[0]
            _STATE.hints[entity] = _STATE.hints.get(entity, frozenset()) | tokens
            _STATE.actions[entity] = action
        _STATE.yaml_paths = (*_STATE.yaml_paths, str(path.resolve()))
    return [r.name for r, _, _ in built]


def reset_recognizers() -> None:
    """Drop every YAML-declared recognizer (back to the built-in set)."""
    with _LOCK:
        _STATE.engine = None
        _STATE.yaml_paths = ()
        _STATE.hints = _STATE.actions = None
        _STATE.by_entities.clear()
        _STATE.spans.clear()
        _STATE.span_chars = 0


def custom_entities() -> dict[str, tuple[frozenset[str], str]]:
    """YAML-declared entities: entity -> (column-name hint tokens, default action)."""
    engine()
    assert _STATE.hints is not None and _STATE.actions is not None
    return {e: (_STATE.hints.get(e, frozenset()), a) for e, a in _STATE.actions.items()}


def min_score(entity: str, *, in_text: bool = False) -> float:
    """Score a span of ``entity`` needs to count on its own (as a whole value, or inside text)."""
    return (TEXT_MIN_SCORES if in_text else MIN_SCORES).get(entity, CUSTOM_MIN_SCORE)


def analyze(text: str, entities: Sequence[str] | None = None,
            context: Sequence[str] = ()) -> list[Span]:
    """Every span the AnalyzerEngine reports in ``text`` (any score), restricted to ``entities``.

    ``context`` words (a column name's words) raise the score of recognizers declaring them.
    """
    if not text.strip():
        return []
    results = engine().analyze(text=text, language="en", context=list(context) or None,
                               entities=list(entities) if entities else None)
    return [Span(r.entity_type, r.start, r.end, float(r.score)) for r in results]


def resolve(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans at or above each entity's in-text minimum; longer, then surer, wins."""
    keep: list[Span] = []
    for s in sorted((s for s in spans if s.score >= min_score(s.entity, in_text=True)),
                    key=lambda s: (-(s.end - s.start), -s.score, s.start)):
        if all(s.end <= k.start or s.start >= k.end for k in keep):
            keep.append(s)
    return sorted(keep, key=lambda s: s.start)


_CAPITALISED_PAIR = regex.compile(r"\p{Lu}[\p{L}\p{M}'’-]*\.?\s+\p{Lu}")
_DOMAIN_LIKE = regex.compile(r"[\w-]\.\p{L}{2}")
_IP_LIKE = regex.compile(r"\d\.\d+\.\d|[0-9a-fA-F]:[0-9a-fA-F]*:")


def _possible_entities(text: str) -> tuple[str, ...]:
    """Entities ``text`` could hold at all (cheap character tests); YAML entities always."""
    found = set(_STATE.actions or ())
    digits = sum(map(str.isdigit, text))
    if "@" in text:
        found.add("EMAIL_ADDRESS")
    if _DOMAIN_LIKE.search(text):
        found.add("URL")
    if digits >= 3 and _IP_LIKE.search(text):
        found.add("IP_ADDRESS")
    if digits >= 7:
        found.update(("PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE"))
    if digits:
        found.add("LOCATION")
    if _CAPITALISED_PAIR.search(text):
        found.add("PERSON")
    return tuple(sorted(found))


def _recognizers_for(entities: tuple[str, ...]) -> list[Any]:
    cache = _STATE.by_entities
    if entities not in cache:
        cache[entities] = engine().registry.get_recognizers(
            language="en", entities=list(entities), all_fields=False)
    return cache[entities]


def text_spans(text: str) -> list[Span]:
    """Resolved entity spans of one text, fast path for bulk work (cached per text).

    Calls the engine registry's recognizers directly, only those whose entities the text could
    hold: the AnalyzerEngine's context enhancement has nothing to work with under the no_op NLP
    engine and would cost a third of the time.
    """
    cached = _STATE.spans.get(text)
    if cached is not None:
        return list(cached)
    entities = _possible_entities(text)
    results: list[RecognizerResult] = []
    if entities:
        for recognizer in _recognizers_for(entities):
            results.extend(recognizer.analyze(text, list(entities), None) or [])
    spans = resolve(Span(r.entity_type, r.start, r.end, float(r.score)) for r in results)
    _remember(text, spans)
    return spans


def _remember(text: str, spans: list[Span]) -> None:
    if _STATE.span_chars + len(text) > SPAN_CACHE_CHARS:
        _STATE.spans.clear()
        _STATE.span_chars = 0
    _STATE.spans[text] = tuple(spans)
    _STATE.span_chars += len(text)


def _spans_chunk(texts: Sequence[str]) -> list[list[Span]]:
    return [text_spans(t) for t in texts]


def _init_worker(yaml_paths: tuple[str, ...]) -> None:
    if _STATE.yaml_paths != yaml_paths:
        reset_recognizers()
        for p in yaml_paths:
            load_recognizers(p)


#: Texts per worker task; distinct texts from which a process pool is used; characters of text
#: whose spans are cached (the cache is emptied when full).
CHUNK = 2000
POOL_MIN_TEXTS = 20000
SPAN_CACHE_CHARS = 50_000_000


def find_spans(texts: Sequence[str], *, workers: int = 2) -> list[list[Span]]:
    """Resolved spans for each text; many texts are split over a pool of ``workers`` processes.

    The result does not depend on the number of workers (chunks are fixed-size and in order).
    Workers are forked on POSIX (the engine is inherited, no start-up cost), spawned elsewhere.
    Spans are cached per text, so masking then leak-checking a table analyses its texts once.
    """
    engine()
    todo = [t for t in dict.fromkeys(texts) if t not in _STATE.spans]
    found: dict[str, list[Span]] = {}
    if workers >= 2 and len(todo) >= POOL_MIN_TEXTS and (os.cpu_count() or 1) >= 2:
        import multiprocessing

        chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=min(workers, 2), mp_context=ctx,
                                 initializer=_init_worker, initargs=(_STATE.yaml_paths,)) as pool:
            for chunk, part in zip(chunks, pool.map(_spans_chunk, chunks)):
                for text, spans in zip(chunk, part):
                    found[text] = spans
                    _remember(text, spans)
    return [list(found[t]) if t in found else text_spans(t) for t in texts]
