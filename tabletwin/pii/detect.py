"""Column-level PII detection: a bounded sample of each column, its name, and validators -> PiiPlan.

How a column is classified (cost independent of the row count):

1. Up to ``sample_size`` non-null, non-blank values are drawn at random (seeded per column), and the
   column name is split into words and matched against multilingual hints (:mod:`.lexicon`).
2. At most :data:`ANALYZE_LIMIT` distinct sampled values go through the offline Presidio engine of
   :mod:`.recognizers` (pattern recognizers with checksums, phonenumbers, name dictionaries, street
   shapes, YAML-declared patterns), restricted to the entities the values could hold at all.
3. For each entity: ``match_share`` = share of sampled values the entity covers (nearly) whole at
   the entity's score threshold; ``weak_share`` also counts low-scored shapes. A column is flagged
   when ``match_share >= 0.5`` (or >= 0.25 with ``weak_share >= 0.8``) with more than one hit, or
   when a column-name hint agrees with weaker value evidence (a relaxed shape, e.g. nine digits for
   ``ssn``). Dates count as DATE_TIME only for dates of birth, i.e. with a birth-date name hint.
4. A column of longer texts where at least :data:`FREE_TEXT_MIN_SHARE` of the analysed cells hold an
   entity (and more than one cell does) is flagged ``free_text=True`` with action ``redact``.
5. Catalog keys and overrides are applied last (origin ``override``).

Evidence holds hints, shares, validator names and counts, never values.

Custom recognizers (:func:`load_recognizers`) are Presidio ``PatternRecognizer`` objects declared
in YAML and added to the engine's RecognizerRegistry::

    recognizers:
      - entity: EMPLOYEE_ID          # upper-case entity name (new, or one of plan.ENTITIES)
        name: EmployeeIdRecognizer   # optional, defaults to "<entity>_yaml"
        patterns:                    # one or more
          - name: emp id             # optional
            regex: '\\bEMP-\\d{6}\\b'   # single quotes keep backslashes as they are
            score: 0.9               # in [0, 1], default 0.5
        context: [employee, staff]   # optional: words that, found in the column name, raise the
                                     # score (Presidio context enhancement)
        name_hints: [emp_no, personalnummer]  # optional column names (or parts) for this entity
        action: pseudonymize         # optional; default DEFAULT_ACTIONS[entity] or "pseudonymize"

A value matches when a pattern scoring at least 0.5 (after context enhancement) covers it; weaker
patterns count only with a name hint. A malformed file raises
:class:`~tabletwin.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.errors import ConfigError
from tabletwin.seeds import stable_seed
from tabletwin.pii import lexicon as lx
from tabletwin.pii import scanners
from tabletwin.pii.plan import (
    ACTIONS,
    DEFAULT_ACTIONS,
    ENTITIES,
    KEPT_BY_CATALOG,
    ColumnDecision,
    ColumnOverride,
    PiiPlan,
)

__all__ = ["detect_pii", "load_recognizers", "reset_recognizers"]

#: Distinct sampled values per column that go through Presidio.
ANALYZE_LIMIT = 200
#: Characters of a cell analysed for classification.
MAX_TEXT = 2000
#: Share of analysed cells holding an entity for a free-text column to be flagged.
FREE_TEXT_MIN_SHARE = 0.05
#: Coverage (share of a value's letters and digits inside spans) for a whole-value match.
WHOLE_COVERAGE = 0.7

#: Tie-break order: the more specific entity wins at equal confidence.
_PRIORITY = ("IBAN_CODE", "CREDIT_CARD", "EMAIL_ADDRESS", "US_SSN", "IP_ADDRESS", "URL",
             "PHONE_NUMBER", "LOCATION", "PERSON")


def load_recognizers(yaml_path: Any) -> list[str]:
    """Add YAML-declared Presidio pattern recognizers (format: :mod:`tabletwin.pii.recognizers`)."""
    from tabletwin.pii import recognizers

    return recognizers.load_recognizers(yaml_path)


def reset_recognizers() -> None:
    """Forget every YAML-declared recognizer."""
    from tabletwin.pii import recognizers

    recognizers.reset_recognizers()


# --------------------------------------------------------------------------------------------------
# sampling and value preparation
# --------------------------------------------------------------------------------------------------


def _sample(series: pd.Series, size: int, rng: np.random.Generator) -> list[Any]:
    """Random non-null values of a column (at most ``size``, in row order)."""
    positions = np.flatnonzero(series.notna().to_numpy())
    if len(positions) > size:
        positions = np.sort(rng.choice(positions, size=size, replace=False))
    return series.iloc[positions].tolist()


def _as_text(value: Any) -> str | None:
    """Text form of a sampled value (ints without ".0"); None for non-scalar or blank values."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, dict, tuple, set)):
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------------------------------
# column-name hints
# --------------------------------------------------------------------------------------------------


def _name_hints(column: object, custom: Mapping[str, frozenset[str]]) -> dict[str, str]:
    """Entity -> the hint word found in the column name (negative words cancel PERSON/LOCATION)."""
    tokens = lx.column_tokens(column)
    joined = "".join(tokens)
    found: dict[str, str] = {}
    for entity, (words, stems) in lx.NAME_HINTS.items():
        hit = next((t for t in tokens if t in words), None) or next(
            (s for s in stems if s in joined), None)
        if hit and not (set(tokens) & lx.NEGATIVE_HINTS.get(entity, frozenset())):
            found[entity] = hit
    for entity, hints in custom.items():
        hit = next((h for h in hints if (h in tokens) or (len(h) >= 4 and h in joined)), None)
        if hit:
            found[entity] = hit
    return found


# --------------------------------------------------------------------------------------------------
# value evidence
# --------------------------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8}"
    r"|\d{1,2}\.?\s+\w+\.?,?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def _date_share(values: list[Any]) -> float:
    """Share of values that are calendar dates (date objects or date strings, years 1870-2100)."""
    if not values:
        return 0.0
    hits = sum(isinstance(v, (dt.date, np.datetime64)) for v in values)
    texts = [t for v in values if not isinstance(v, (dt.date, np.datetime64))
             and (t := _as_text(v)) is not None and _DATE.match(t)]
    if texts:
        eight = [t for t in texts if t.isdigit()]
        other = [t for t in texts if not t.isdigit()]
        parsed = pd.concat([
            pd.to_datetime(pd.Series(eight, dtype=object), format="%Y%m%d", errors="coerce"),
            pd.to_datetime(pd.Series(other, dtype=object), format="mixed", errors="coerce"),
        ])
        years = parsed.dt.year
        hits += int(((years >= 1870) & (years <= 2100)).sum())
    return hits / len(values)


_PHONE_CHARS = re.compile(r"^[+\d\s().\-/x#]+$")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{10,32}$")
_URLISH = re.compile(r"(?i)^(?:https?://|www\.)\S+$|^[\w-]+(?:\.[\w-]+)+(?:/\S*)?$")
_NAMEISH = re.compile(r"^[^\W\d_][\w'’.\- ]*$")


def _relaxed(entity: str, text: str) -> bool:
    """A loose shape of ``entity``, enough only together with a column-name hint."""
    digits = sum(c.isdigit() for c in text)
    if entity == "PERSON":
        words = text.split()
        if not (1 <= len(words) <= 5 and _NAMEISH.match(text) and not digits):
            return False
        return all(w[:1].isupper() for w in words) or text.islower() or text.isupper()
    if entity == "EMAIL_ADDRESS":
        return "@" in text
    if entity == "PHONE_NUMBER":
        return 6 <= digits <= 15 and bool(_PHONE_CHARS.match(text))
    if entity == "US_SSN":
        compact = re.sub(r"[\s.-]", "", text)
        return compact.isdigit() and 7 <= len(compact) <= 9
    if entity == "CREDIT_CARD":
        compact = re.sub(r"[\s-]", "", text)
        return compact.isdigit() and 12 <= len(compact) <= 19
    if entity == "IBAN_CODE":
        return bool(_IBAN_SHAPE.match(text.upper()))
    if entity == "URL":
        return bool(_URLISH.match(text))
    if entity == "LOCATION":
        return (digits > 0 and any(c.isalpha() for c in text)) or scanners.has_street_word(text)
    return False


def _candidates(texts: list[str], custom: Collection[str]) -> list[str]:
    """Entities that at least one value could hold (cheap character tests)."""
    found: set[str] = set(custom)
    for t in texts:
        digits = sum(c.isdigit() for c in t)
        letters = any(c.isalpha() for c in t)
        if "@" in t:
            found.add("EMAIL_ADDRESS")
        if "." in t and letters:
            found.add("URL")
        if ("." in t and digits >= 4) or t.count(":") >= 2:
            found.add("IP_ADDRESS")
        if digits >= 12:
            found.add("CREDIT_CARD")
        if digits >= 8 and letters:
            found.add("IBAN_CODE")
        if digits >= 9:
            found.add("US_SSN")
        if digits >= 7:
            found.add("PHONE_NUMBER")
        if letters:
            found.add("PERSON")
        if letters and digits:
            found.add("LOCATION")
    return sorted(found)


@dataclass
class _Evidence:
    """Shares per entity over the analysed values (weighted by how often each value was sampled)."""

    analysed: int = 0
    strong: Counter[str] = field(default_factory=Counter)
    weak: Counter[str] = field(default_factory=Counter)
    contains: Counter[str] = field(default_factory=Counter)
    any_entity: int = 0

    def share(self, counter: Counter[str], entity: str) -> float:
        return counter[entity] / self.analysed if self.analysed else 0.0


def _analyse(texts: list[str], entities: list[str], context: tuple[str, ...]) -> _Evidence:
    """Run the engine on each distinct text; ``context``: the column name's words."""
    from tabletwin.pii import recognizers as rec

    ev = _Evidence(analysed=len(texts))
    if not entities:
        return ev
    for text, count in Counter(texts).items():
        snippet = text[:MAX_TEXT]
        spans = rec.analyze(snippet, entities, context)
        if not spans:
            continue
        alnum = sum(c.isalnum() for c in snippet) or 1
        strong_entities = set()
        for entity in {s.entity for s in spans}:
            mine = [s for s in spans if s.entity == entity]
            threshold = rec.min_score(entity)
            strong = [s for s in mine if s.score >= threshold]

            def cover(ss: list[Any]) -> float:
                chars = set()
                for s in ss:
                    chars.update(i for i in range(s.start, s.end) if snippet[i].isalnum())
                return len(chars) / alnum

            if strong and cover(strong) >= WHOLE_COVERAGE:
                ev.strong[entity] += count
            if any(s.score >= rec.min_score(entity, in_text=True) for s in mine):
                strong_entities.add(entity)
                ev.contains[entity] += count
            if cover(mine) >= WHOLE_COVERAGE:
                ev.weak[entity] += count
        if strong_entities:
            ev.any_entity += count
    return ev


# --------------------------------------------------------------------------------------------------
# classification of one column
# --------------------------------------------------------------------------------------------------


def _decision(column: str, entity: str | None, score: float, evidence: dict[str, Any],
              *, free_text: bool = False, subtype: str | None = None) -> ColumnDecision:
    score = round(min(max(score, 0.0), 1.0), 3)
    if entity is None:
        return ColumnDecision(column, None, score, "keep", evidence=evidence)
    action = "redact" if free_text else _default_action(entity)
    return ColumnDecision(column, entity, score, action, free_text=free_text, evidence=evidence,
                          subtype=subtype)


def _default_action(entity: str) -> str:
    if entity in DEFAULT_ACTIONS:
        return DEFAULT_ACTIONS[entity]
    from tabletwin.pii import recognizers

    return recognizers.custom_entities().get(entity, (frozenset(), "pseudonymize"))[1]


def _is_text_column(texts: list[str]) -> bool:
    """Longer texts: a median of at least four words and 25 characters."""
    if not texts:
        return False
    words = sorted(len(t.split()) for t in texts)
    lengths = sorted(len(t) for t in texts)
    return words[len(words) // 2] >= 4 and lengths[len(lengths) // 2] >= 25


Option = tuple[float, str, dict[str, Any]]


def _entity_options(ev: _Evidence, texts: list[str], hints: Mapping[str, str],
                    entities: list[str], base: dict[str, Any]) -> list[Option]:
    """(confidence, entity, evidence) for every entity the values (and hints) support."""
    from tabletwin.pii import recognizers as rec

    n = ev.analysed
    options: list[Option] = []
    for entity in entities:
        strong, weak = ev.share(ev.strong, entity), ev.share(ev.weak, entity)
        hint = hints.get(entity)
        evidence: dict[str, Any] = {**base, **({"name_hint": hint} if hint else {}),
                                    "match_share": round(strong, 3),
                                    "validator": rec.VALIDATORS.get(entity, "yaml_pattern")}
        if strong >= 0.5 and ev.strong[entity] >= 2:
            options.append((0.55 + 0.4 * strong + (0.05 if hint else 0.0), entity, evidence))
        elif strong >= 0.25 and weak >= 0.8 and ev.weak[entity] >= 2:
            options.append((0.5 + 0.3 * weak, entity, {**evidence, "weak_share": round(weak, 3)}))
        elif hint:
            relaxed = sum(_relaxed(entity, t) for t in texts) / len(texts)
            shape = relaxed / 0.8
            if entity == "PERSON":  # capitalised words alone are no names: need dictionary hits
                shape = min(shape, weak / 0.2)
            if max(strong / 0.2, weak / 0.5, shape) >= 1 and (
                    ev.weak[entity] >= 2 or relaxed * len(texts) >= 2):
                evidence.update(weak_share=round(weak, 3), shape_share=round(relaxed, 3))
                options.append((0.45 + 0.4 * max(strong, weak, relaxed), entity, evidence))
    total = sum(ev.strong.values()) / n if n else 0.0
    if not options and total >= 0.6 and sum(c >= 2 for c in ev.strong.values()) >= 2:
        entity = max(ev.strong, key=lambda e: (ev.strong[e], -_rank(e)))
        options.append((0.5 + 0.3 * total, entity, {  # e.g. contacts: e-mails and phones
            **base, "match_share": round(total, 3),
            "entity_shares": {e: round(c / n, 3) for e, c in sorted(ev.strong.items())},
            "validator": rec.VALIDATORS.get(entity, "yaml_pattern")}))
    if sum(scanners.has_street_word(t) for t in texts) >= 0.5 * len(texts):
        options = [o for o in options if o[1] != "PERSON"]  # street names, not people
    person = ev.share(ev.weak, "PERSON")
    if not options and person >= 0.85 and len(set(texts)) >= 30:
        options.append((0.55, "PERSON", {  # a column of single first or last names
            **base, "weak_share": round(person, 3), "validator": "name_dictionary"}))
    return options


def _free_text_option(ev: _Evidence, texts: list[str], base: dict[str, Any]) -> Option | None:
    """Free text where enough cells hold an entity: the most frequent entity."""
    from tabletwin.pii import recognizers as rec

    n = ev.analysed
    if not _is_text_column(texts) or ev.any_entity < 2 or ev.any_entity < FREE_TEXT_MIN_SHARE * n:
        return None
    share = ev.any_entity / n
    entity = max(ev.contains, key=lambda e: (ev.contains[e], -_rank(e)))
    return 0.5 + 0.5 * min(1.0, 2 * share), entity, {
        **base, "match_share": round(share, 3),
        "entity_shares": {e: round(c / n, 3) for e, c in sorted(ev.contains.items())},
        "validator": rec.VALIDATORS.get(entity, "yaml_pattern")}


@dataclass
class _Classified:
    """A column's decision, plus what the table-level pass needs."""

    decision: ColumnDecision
    #: subtype the weaker (co-occurrence) bar would accept, when the decision is not PII
    candidate: str | None = None
    evidence: dict[str, Any] | None = None


def _classify(column: str, series: pd.Series, rng: np.random.Generator, sample_size: int,
              custom: Mapping[str, tuple[frozenset[str], str]]) -> _Classified:
    values = [v for v in _sample(series, sample_size, rng)
              if not (isinstance(v, str) and not v.strip())]
    result = _classify_values(column, series, values, custom)
    kind = _quasi_kind(column, series, values, result.decision)
    if kind is not None:
        result.decision = replace(result.decision, quasi_identifier=True,
                                  evidence={**result.decision.evidence, "quasi": kind})
    return result


def _quasi_kind(column: str, series: pd.Series, values: list[Any],
                decision: ColumnDecision) -> str | None:
    from tabletwin.pii.quasi import quasi_kind

    if not values or (decision.is_pii and decision.entity != "DATE_TIME"):
        return None
    dtype = series.dtype
    is_date = pd.api.types.is_datetime64_any_dtype(dtype) or (
        not pd.api.types.is_numeric_dtype(dtype) and _date_share(values[:200]) >= 0.8)
    return quasi_kind(column, values[:500], is_date=is_date)


#: Column-name words that say which part of a name a PERSON column holds (folded).
_FIRST_WORDS = frozenset(lx.fold(w) for w in """first firstname forename forenames given
    givenname givennames vorname vornamen prenom prénom nombre nombres jmeno jméno imie imię
    voornaam nome fname""".split())
_LAST_WORDS = frozenset(lx.fold(w) for w in """last lastname surname surnames family familyname
    nachname familienname apellido apellidos cognome sobrenome achternaam prijmeni příjmení
    nazwisko lname""".split())
_FULL_WORDS = frozenset("fullname full".split())


def _hinted_subtype(column: str) -> str | None:
    tokens = lx.column_tokens(column)
    joined = "".join(tokens)
    for words, subtype in ((_FIRST_WORDS, "first_name"), (_LAST_WORDS, "last_name"),
                           (_FULL_WORDS, "full_name")):
        if any(t in words for t in tokens) or any(len(w) >= 7 and w in joined for w in words):
            return subtype
    return None


def _name_subtype(column: str, ev: Any) -> str:
    from tabletwin.pii import names

    hinted = _hinted_subtype(column)
    if hinted is not None:
        return hinted
    if ev.single >= 0.9:
        return names.single_subtype(ev)
    return "full_name"


def _classify_values(column: str, series: pd.Series, values: list[Any],
                     custom: Mapping[str, tuple[frozenset[str], str]]) -> _Classified:
    decision, texts = _classify_column(column, series, values, custom)
    if decision.free_text and decision.entity == "PERSON" and decision.origin == "detected" \
            and "PERSON" not in _name_hints(column, {}):
        from tabletwin.pii import names

        # longer values whose name words are mostly inside firm names ("Trần Phạm Công ty
        # TNHH", "Sæther, Berg og Jensen"): company names, not people
        distinct = list(dict.fromkeys(texts))
        orgs = sum(names.is_org_like(t) for t in distinct) / len(distinct)
        # firm names are short; sentences ("Called Ana back and sent the form") are free text
        # whose "and" joins clauses, not partners' surnames: the rule is for names only
        short = float(np.median([len(str(t).split()) for t in distinct])) <= 6
        if orgs >= 0.5 and short:
            return _Classified(_decision(column, None, 0.6, {
                **decision.evidence, "org_share": round(orgs, 3),
                "note": "name words inside organisation names"}))
    if not texts or decision.free_text or (decision.is_pii and decision.entity != "PERSON"):
        return _Classified(decision)
    if decision.origin != "detected" or len(texts) < 2:
        return _Classified(decision)
    from tabletwin.pii import names

    ev = names.name_evidence(texts)
    figures = {"name_shape": ev.as_dict()}
    hint = _name_hints(column, {}).get("PERSON")
    if decision.entity == "PERSON" and not (hint is None and names.vetoed(ev)):
        return _Classified(replace(decision, subtype=_name_subtype(column, ev),
                                   evidence={**decision.evidence, **figures}))
    if decision.entity == "PERSON":  # dictionary words, but places / firms / templated phrases
        decision = _decision(column, None, 0.6, {**decision.evidence, **figures,
                                                 "note": "name words, but not names of people"})
        return _Classified(decision, None, figures)
    tokens = set(lx.column_tokens(column))
    if tokens & lx.NEGATIVE_HINTS["PERSON"]:  # "country", "city", "team", "product_name"...
        return _Classified(decision)
    subtype = names.classify(ev, hint=hint)
    if subtype is None and hint:
        subtype = names.classify(ev, hint=hint, strict=False)
    if subtype is not None:
        hinted = _hinted_subtype(column)
        if hinted and (hinted == "full_name") == (subtype == "full_name"):
            subtype = hinted
        score = 0.5 + 0.4 * (ev.known if subtype != "full_name" else ev.full_some)
        evidence = {**decision.evidence, **({"name_hint": hint} if hint else {}), **figures,
                    "validator": "name_lexicon"}
        return _Classified(_decision(column, "PERSON", score, evidence, subtype=subtype))
    return _Classified(decision, names.classify(ev, strict=False), figures)


def _classify_column(column: str, series: pd.Series, values: list[Any],
                     custom: Mapping[str, tuple[frozenset[str], str]]
                     ) -> tuple[ColumnDecision, list[str]]:
    hints = _name_hints(column, {e: h for e, (h, _) in custom.items()})
    base: dict[str, Any] = {"sampled": len(values)}
    dtype = series.dtype
    if not values:
        return _decision(column, None, 1.0, {**base, "note": "no values"}), []
    if pd.api.types.is_bool_dtype(dtype):
        return _decision(column, None, 1.0, {**base, "dtype": "bool"}), []
    if "DATE_TIME" in hints:  # dates count only as dates of birth, known from the column name
        share = 1.0 if pd.api.types.is_datetime64_any_dtype(dtype) else _date_share(values)
        if share >= 0.8 and len(values) >= 2:
            return _decision(column, "DATE_TIME", 0.5 + 0.5 * share, {
                **base, "name_hint": hints["DATE_TIME"], "match_share": round(share, 3),
                "validator": "date_parse"}), []
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return _decision(column, None, 1.0, {**base, "dtype": str(dtype)}), []
    texts = [t for v in values if (t := _as_text(v)) is not None]
    if pd.api.types.is_numeric_dtype(dtype) and (
            len(texts) < len(values) * 0.5
            or (not hints and np.median([len(t) for t in texts]) < 7)):
        return _decision(column, None, 0.95, {**base, "dtype": str(dtype)}), []
    if len(texts) < len(values) * 0.5:
        return _decision(column, None, 0.9, {**base, "note": "few text or number values"}), []

    analysed = texts[:ANALYZE_LIMIT]
    ev = _analyse(analysed, _candidates(list(set(analysed)), custom), lx.column_tokens(column))
    base["analyzed"] = ev.analysed
    options = _entity_options(ev, analysed, hints, [*_PRIORITY, *sorted(custom)], base)
    if options:
        score, entity, evidence = max(options, key=lambda o: (round(o[0], 6), -_rank(o[1])))
        return _decision(column, entity, score, evidence), texts
    free = _free_text_option(ev, analysed, base)
    if free is not None:
        return _decision(column, free[1], free[0], free[2], free_text=True), texts
    evidence = {**base, **({"name_hint": sorted(hints.values())[0]} if hints else {})}
    best = max((ev.share(ev.strong, e) for e in ev.strong), default=0.0)
    return _decision(column, None, 1.0 - best, evidence), texts


def _rank(entity: str) -> int:
    return _PRIORITY.index(entity) if entity in _PRIORITY else len(_PRIORITY)


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


def _check_override(table: str, column: str, ov: ColumnOverride, known: Collection[str]) -> None:
    if ov.entity is not None and ov.entity not in known:
        raise ConfigError(f"column {column!r}: unknown entity {ov.entity!r}", table=table,
                          field=column)
    if ov.action is not None and ov.action not in ACTIONS:
        raise ConfigError(f"column {column!r}: unknown action {ov.action!r}", table=table,
                          field=column)
    if ov.pii is False and ov.entity is not None:
        raise ConfigError(f"column {column!r}: pii=False contradicts entity {ov.entity!r}",
                          table=table, field=column)


def _apply_override(table: str, detected: ColumnDecision, ov: ColumnOverride) -> ColumnDecision:
    decision = _override(table, detected, ov)
    if decision.kept_by_catalog:  # never silent: the plan says real values go out
        return replace(decision, evidence={**decision.evidence, "kept": KEPT_BY_CATALOG})
    return decision


def _override(table: str, detected: ColumnDecision, ov: ColumnOverride) -> ColumnDecision:
    col = detected.column
    if ov.pii is False:
        return ColumnDecision(col, None, 1.0, ov.action or "keep", "override",
                              evidence={"catalog": "not_pii"})
    entity = ov.entity or detected.entity or ("ID" if ov.pii else None)
    if entity is None:  # action alone on a column nothing was detected in
        if ov.action in ("fake", "redact"):
            raise ConfigError(f"column {col!r}: action {ov.action!r} needs an entity",
                              table=table, field=col)
        return replace(detected, action=ov.action or detected.action, origin="override",
                       evidence={**detected.evidence, "catalog": "action"})
    if entity == detected.entity:
        return replace(detected, action=ov.action or detected.action, origin="override",
                       evidence={**detected.evidence, "catalog": "entity" if ov.entity else
                                 "action"})
    return ColumnDecision(col, entity, 1.0, ov.action or _default_action(entity), "override",
                          evidence={"catalog": "entity"})


def detect_pii(df: pd.DataFrame, *, table: str = "table",
               overrides: Mapping[str, ColumnOverride] | None = None,
               key_columns: Collection[str] = (), sample_size: int = 1000,
               seed: int = 0) -> PiiPlan:
    """Classify every column of ``df`` as personal data or not and propose an action for it.

    ``overrides`` pin columns (``ColumnOverride(pii=False)``, ``entity=...``, ``action=...``);
    ``key_columns`` are catalog keys (not PII: entity None, action pseudonymize). The cost per column is bounded
    by ``sample_size`` values, whatever the row count. Deterministic for a given ``seed``.
    Raises :class:`~tabletwin.errors.ConfigError` for overrides or keys naming unknown columns.
    """
    from tabletwin.pii import recognizers

    overrides = dict(overrides or {})
    columns = [str(c) for c in df.columns]
    for name in [*overrides, *key_columns]:
        if name not in columns:
            raise ConfigError(f"column {name!r} is not in the table", table=table, field=name)
    custom = recognizers.custom_entities()
    known = {*ENTITIES, *custom}
    for name, ov in overrides.items():
        _check_override(table, name, ov, known)
    if sample_size < 1:
        raise ConfigError("sample_size must be positive", table=table, field="sample_size")

    classified: list[_Classified] = []
    for position, name in enumerate(columns):
        if name in key_columns:
            # keys are identifiers, not personal data: pseudonymized when masked and replaced by
            # fresh keys in synthetic tables, but never reported as PII
            classified.append(_Classified(ColumnDecision(
                name, None, 1.0, "pseudonymize", "override", evidence={"catalog": "key"})))
        else:
            rng = np.random.default_rng(stable_seed(seed, table, name))
            classified.append(_classify(name, df.iloc[:, position], rng, sample_size, custom))
    _co_occurring_names(classified)
    _names_inside_other_columns(df, classified)
    _first_vs_last(classified)
    decisions = []
    for name, item in zip(columns, classified):
        decision = item.decision
        if name in overrides:
            decision = _apply_override(table, decision, overrides[name])
        decisions.append(decision)
    return PiiPlan(table=table, columns=decisions)


#: Rows compared when checking that a column's values sit inside another column's values.
_CONTAINMENT_ROWS = 1000


def _names_inside_other_columns(df: pd.DataFrame, classified: list[_Classified]) -> None:
    """A column whose value is, row by row, a word of the same row's full name or e-mail is a
    name part (the same person's first or last name), however rare the names are.

    Only single-word columns that are not decided otherwise are tried, against PERSON full-name
    and EMAIL_ADDRESS columns of the same table.
    """
    sources = [c for c in classified if not c.decision.free_text and (
        c.decision.entity == "EMAIL_ADDRESS" or c.candidate == "full_name" or (
            c.decision.entity == "PERSON" and c.decision.subtype == "full_name"))]
    if not sources:
        return
    from tabletwin.pii import names

    head = df.head(_CONTAINMENT_ROWS)
    for item in classified:
        figures = (item.evidence or {}).get("name_shape")
        if item.decision.is_pii or not figures or figures["distinct"] < 5 or \
                figures["single"] < 0.6 or figures["single"] + figures["multi"] < 0.9 or \
                names.vetoed(names.NameEvidence(**figures)):
            continue
        if set(lx.column_tokens(item.decision.column)) & lx.NEGATIVE_HINTS["PERSON"]:
            continue
        mine = head[item.decision.column]
        for holder in sources:
            source = holder.decision
            other = head[source.column]
            both = mine.notna() & other.notna()
            if both.sum() < 5:
                continue
            inside = [_word_inside(str(a), str(b), source.entity == "EMAIL_ADDRESS")
                      for a, b in zip(mine[both], other[both])]
            share = sum(inside) / len(inside)
            if share >= 0.6:
                subtype = _hinted_subtype(item.decision.column) or (
                    "first_name" if figures["first_pref"] > figures["last_pref"]
                    else "last_name")
                item.decision = _decision(
                    item.decision.column, "PERSON", 0.5 + 0.4 * share,
                    {**item.decision.evidence, **item.evidence, "validator": "name_in_row",
                     "inside_column": source.column, "inside_share": round(share, 3)},
                    subtype=subtype)
                if not source.is_pii and holder.evidence is not None:
                    # a weaker full-name candidate holding another name column's values, row
                    # by row: both are names of the same people
                    holder.decision = _decision(
                        source.column, "PERSON", 0.5 + 0.3 * share,
                        {**source.evidence, **holder.evidence, "validator": "name_in_row",
                         "holds_column": item.decision.column}, subtype="full_name")
                break


def _word_inside(value: str, other: str, email: bool) -> bool:
    word = lx.fold(value.strip())
    if len(word) < 2:
        return False
    if email:
        from anyascii import anyascii

        local = lx.fold(other.split("@")[0])
        return word in local or anyascii(word).lower() in local
    # a compound name ("Abu Madyan", "de la Cruz") counts when its words stand in that order
    words = " ".join(lx.fold(w.strip(",.")) for w in other.split())
    return f" {word} " in f" {words} "


def _first_vs_last(classified: list[_Classified]) -> None:
    """Two single-name columns without a name hint that both came out as the same part: the one
    whose words rank more as first names is the first-name column, the other the last-name one.

    Why relative: in some cultures (Vietnamese, Chinese, Korean) the lexicon ranks many given
    names about as often as family names, so each column alone leans the same way; side by side
    the family-name column still leans further towards last names.
    """
    singles = [c for c in classified if c.decision.entity == "PERSON" and not c.decision.free_text
               and c.decision.subtype in ("first_name", "last_name")
               and c.decision.origin == "detected" and not _hinted_subtype(c.decision.column)
               and "name_shape" in c.decision.evidence]
    if len(singles) != 2 or singles[0].decision.subtype != singles[1].decision.subtype:
        return

    def lean(item: _Classified) -> float:
        figures = item.decision.evidence["name_shape"]
        return figures["first_pref"] - figures["last_pref"]

    a, b = singles
    if lean(a) == lean(b):
        return
    first, last = (a, b) if lean(a) > lean(b) else (b, a)
    first.decision = replace(first.decision, subtype="first_name",
                             evidence={**first.decision.evidence, "relative_to": last.decision.column})
    last.decision = replace(last.decision, subtype="last_name",
                            evidence={**last.decision.evidence, "relative_to": first.decision.column})


def _co_occurring_names(classified: list[_Classified]) -> None:
    """A weaker name candidate counts when the table has a confident single-name column.

    A last-name column with many rare surnames next to a first-name column (or the reverse) is
    a name column; on its own it would need more dictionary hits. First vs last is then also
    decided relative to the neighbour: the column whose words rank more as first names is it.
    """
    confident = [c for c in classified if c.decision.entity == "PERSON" and not
                 c.decision.free_text and c.decision.subtype in ("first_name", "last_name")]
    if not confident:
        return
    for item in classified:
        if item.candidate in ("first_name", "last_name") and item.evidence is not None:
            figures = item.evidence["name_shape"]
            subtype = _hinted_subtype(item.decision.column) or item.candidate
            if len(confident) == 1 and not _hinted_subtype(item.decision.column):
                other = confident[0].decision
                other_pref = other.evidence.get("name_shape", {})
                # two single-name columns side by side: the more first-name-like one is first
                mine = figures["first_pref"] - figures["last_pref"]
                theirs = other_pref.get("first_pref", 0) - other_pref.get("last_pref", 0)
                subtype = "last_name" if other.subtype == "first_name" or mine < theirs \
                    else "first_name"
            item.decision = _decision(
                item.decision.column, "PERSON", 0.45 + 0.3 * figures["known"],
                {**item.decision.evidence, **item.evidence, "validator": "name_lexicon",
                 "co_occurring_names": sorted(c.decision.column for c in confident)},
                subtype=subtype)
