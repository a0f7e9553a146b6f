"""The Presidio side of PII detection: one offline AnalyzerEngine, its recognizers, YAML extensions.

The engine uses Presidio's ``no_op`` NLP engine (no spaCy model, nothing downloaded) and a
:class:`~presidio_analyzer.RecognizerRegistry` holding

* Presidio pattern recognizers, tightened where needed: e-mail (top-level domain checked without
  ``tldextract``, which would fetch the public-suffix list), payment card (12-19 digits, Luhn via
  python-stdnum, issuer digit, card grouping), IBAN (ISO 13616 checksum, plus python-stdnum's
  country rules), US SSN (SSA area/group/serial rules), IP (checked with :mod:`ipaddress`, version
  numbers such as "Chrome/57.0.1.2" left out), URL (a bare domain only weakly);
* tabletwin recognizers: phone numbers (python-phonenumbers, international and national formats of
  many regions), PERSON (name dictionaries of many Faker locales + honorifics), LOCATION (street
  addresses with a house number and postal boxes in several languages, :mod:`.address`);
* pattern recognizers declared in YAML files (:func:`load_recognizers`).

The engine is built once per process, lazily (:func:`engine`). Importing this module imports
Presidio (and spaCy, about 4 s), so the rest of :mod:`tabletwin.pii` imports it only when needed.

The YAML format of :func:`load_recognizers` is described in :mod:`tabletwin.pii.detect`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The e-mail recognizer imports tldextract, which fetches the public-suffix list on first use and
# reads these variables when it is imported: keep it offline and out of the home directory.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("TLDEXTRACT_CACHE", str(Path(tempfile.gettempdir()) / "tabletwin-tldextract"))

import regex  # noqa: E402
import yaml  # noqa: E402
from presidio_analyzer import (  # noqa: E402
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)
from stdnum import iban as std_iban  # noqa: E402

from tabletwin.errors import ConfigError  # noqa: E402
from tabletwin.pii import scanners  # noqa: E402
from tabletwin.pii.address import StreetAddressRecognizer  # noqa: E402
from tabletwin.pii.span_recognizer import SpanRecognizer  # noqa: E402
from tabletwin.pii.lexicon import column_tokens  # noqa: E402
from tabletwin.pii.plan import ACTIONS, DEFAULT_ACTIONS  # noqa: E402

#: Minimum score for a span covering a whole value to count as that entity.
MIN_SCORES: dict[str, float] = {
    "EMAIL_ADDRESS": 0.5, "CREDIT_CARD": 0.9, "IBAN_CODE": 0.9, "US_SSN": 0.5, "IP_ADDRESS": 0.5,
    "URL": 0.5, "PHONE_NUMBER": 0.4, "PERSON": 0.4, "LOCATION": 0.5,
}
#: Higher minimums for spans inside longer text (a person needs a known first name or a title).
TEXT_MIN_SCORES: dict[str, float] = {**MIN_SCORES, "PERSON": 0.5, "LOCATION": 0.6}
#: Score a YAML pattern needs to count without a column-name hint.
CUSTOM_MIN_SCORE = 0.5

#: Name of the validator behind each built-in entity (for plan evidence).
VALIDATORS: dict[str, str] = {
    "EMAIL_ADDRESS": "email_pattern", "CREDIT_CARD": "luhn", "IBAN_CODE": "iban_checksum",
    "US_SSN": "ssa_rules", "IP_ADDRESS": "ipaddress", "URL": "url_pattern",
    "PHONE_NUMBER": "phonenumbers", "PERSON": "name_dictionary", "LOCATION": "street_pattern",
}


@dataclass(frozen=True)
class Span:
    """One detected entity occurrence in a text (offsets into that text)."""

    entity: str
    start: int
    end: int
    score: float


# --------------------------------------------------------------------------------------------------
# recognizers
# --------------------------------------------------------------------------------------------------


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern; the domain is checked for an alphabetic TLD, offline."""

    _TLD = re.compile(r"\.[^\W\d_]{2,63}$")

    def validate_result(self, pattern_text: str) -> bool:
        """True when the domain ends in an alphabetic top-level domain."""
        return bool(self._TLD.search(pattern_text.rsplit("@", 1)[-1]))


class CardNumberRecognizer(CreditCardRecognizer):
    """Card numbers of 12 to 19 digits (Maestro, JCB, Visa 19...), checked by Luhn and issuer."""

    PATTERNS = [Pattern("card number", r"(?<![\d+\-.])\d(?:[ -]?\d){11,18}(?![\d\-.])", 0.3)]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS)

    def validate_result(self, pattern_text: str) -> bool:
        """Luhn-valid, known issuer digit, no phone-like grouping."""
        return scanners.card_number_ok(pattern_text)


class StrictIbanRecognizer(IbanRecognizer):
    """Presidio's IBAN recognizer, results re-checked with python-stdnum (country formats)."""

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """IBAN spans whose compact form python-stdnum accepts."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        return [r for r in results if std_iban.is_valid(text[r.start:r.end])]


class SsaSsnRecognizer(UsSsnRecognizer):
    """Presidio's SSN patterns; invalid area (000, 666, 900-999), group or serial rejected."""

    def invalidate_result(self, pattern_text: str) -> bool:
        """True when Presidio or the SSA rules reject the number."""
        return bool(super().invalidate_result(pattern_text)) or not scanners.ssn_ok(pattern_text)


class CheckedIpRecognizer(IpRecognizer):
    """Presidio's IP patterns, each match parsed by :mod:`ipaddress`.

    A dotted quad right after a word and "/" or ":" ("Chrome/57.0.828.0", "rv:1.9.5.20") is a
    version number, not an address.
    """

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """IP spans that are not version numbers."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        return [r for r in results if not (
            r.start >= 2 and text[r.start - 1] in "/:" and text[r.start - 2].isalpha())]

    def invalidate_result(self, pattern_text: str) -> bool:
        """True unless the text is a valid IPv4 or IPv6 address."""
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return True
        return False


class WebAddressRecognizer(UrlRecognizer):
    """Presidio's URL patterns; a bare domain ("smith.com") is only a weak match (0.3)."""

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None, *args: Any, **kwargs: Any
                ) -> list[RecognizerResult]:
        """URL spans; those without scheme, ``www.`` or path get score 0.3."""
        results = super().analyze(text, entities, nlp_artifacts, *args, **kwargs)
        for r in results:
            found = text[r.start:r.end].lower()
            if "://" not in found and not found.startswith("www.") and "/" not in found:
                r.score = min(r.score, 0.3)
        return results


class PhoneNumbersRecognizer(SpanRecognizer):
    """Phone numbers via python-phonenumbers (see :func:`scanners.find_phones`)."""

    ENTITY = "PHONE_NUMBER"

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Phone spans."""
        return scanners.find_phones(text)


class PersonNameRecognizer(SpanRecognizer):
    """Person names via name dictionaries (see :func:`scanners.find_person_names`)."""

    ENTITY = "PERSON"

    def find(self, text: str) -> list[tuple[int, int, float]]:
        """Name spans."""
        return scanners.find_person_names(text)


def _builtin_recognizers() -> list[Any]:
    return [
        OfflineEmailRecognizer(), CardNumberRecognizer(), StrictIbanRecognizer(),
        SsaSsnRecognizer(), CheckedIpRecognizer(), WebAddressRecognizer(), PhoneNumbersRecognizer(),
        PersonNameRecognizer(), StreetAddressRecognizer(),
    ]


# --------------------------------------------------------------------------------------------------
# engine singleton and YAML extensions
# --------------------------------------------------------------------------------------------------


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
                registry = RecognizerRegistry(recognizers=_builtin_recognizers(),
                                              supported_languages=["en"])
                _STATE.engine = AnalyzerEngine(registry=registry, nlp_engine=nlp,
                                               supported_languages=["en"])
                _STATE.hints, _STATE.actions = {}, {}
    return _STATE.engine


def _parse_yaml(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read recognizer file ({exc.strerror})", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({type(exc).__name__})", path=str(path)) from None
    items = data.get("recognizers") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigError("expected a non-empty 'recognizers' list", path=str(path))
    return items


def _build(item: Any, index: int, path: Path) -> tuple[PatternRecognizer, frozenset[str], str]:
    field = f"recognizers[{index}]"
    if not isinstance(item, dict):
        raise ConfigError("each recognizer must be a mapping", path=str(path), field=field)
    entity = item.get("entity")
    if not isinstance(entity, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", entity):
        raise ConfigError("'entity' must be an upper-case name", path=str(path), field=field)
    raw_patterns = item.get("patterns")
    if not isinstance(raw_patterns, list) or not raw_patterns:
        raise ConfigError("'patterns' must be a non-empty list", path=str(path), field=field)
    patterns = []
    for j, p in enumerate(raw_patterns):
        pfield = f"{field}.patterns[{j}]"
        if not isinstance(p, dict) or not isinstance(p.get("regex"), str):
            raise ConfigError("a pattern needs a 'regex' string", path=str(path), field=pfield)
        score = p.get("score", 0.5)
        if not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ConfigError("'score' must be a number in [0, 1]", path=str(path), field=pfield)
        try:
            re.compile(p["regex"])
        except re.error:
            raise ConfigError("'regex' does not compile", path=str(path), field=pfield) from None
        patterns.append(Pattern(str(p.get("name", f"{entity} pattern {j}")), p["regex"],
                                float(score)))
    context = item.get("context") or []
    hints = item.get("name_hints") or []
    if not all(isinstance(w, str) for w in [*context, *hints]):
        raise ConfigError("'context' and 'name_hints' must be lists of strings",
                          path=str(path), field=field)
    action = item.get("action", DEFAULT_ACTIONS.get(entity, "pseudonymize"))
    if action not in ACTIONS or (action == "fake" and entity not in DEFAULT_ACTIONS):
        raise ConfigError(f"'action' must be one of {', '.join(ACTIONS)} ('fake' only for "
                          "built-in entities)", path=str(path), field=field)
    recognizer = PatternRecognizer(supported_entity=entity,
                                   name=str(item.get("name", f"{entity}_yaml")),
                                   patterns=patterns, context=list(context) or None)
    tokens = frozenset(j for j in ("".join(column_tokens(h)) for h in hints) if j)
    return recognizer, tokens, action


def load_recognizers(yaml_path: str | os.PathLike[str]) -> list[str]:
    """Add the pattern recognizers declared in a YAML file to the engine; returns their names.

    Raises :class:`~tabletwin.errors.ConfigError` (naming the file and field) for a malformed file.
    The format is described in this module's docstring.
    """
    path = Path(yaml_path)
    built = [_build(item, i, path) for i, item in enumerate(_parse_yaml(path))]
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


# --------------------------------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------------------------------


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
