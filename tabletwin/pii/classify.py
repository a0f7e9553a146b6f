"""One column's decision: is it personal data, which entity, which action (steps 3-4 of
:mod:`tabletwin.pii.detect`), from the evidence of :mod:`tabletwin.pii.evidence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.pii import lexicon as lx
from tabletwin.pii import scanners
from tabletwin.pii.evidence import (ANALYZE_LIMIT, Evidence, analyse_values, as_text,
                                    candidate_entities, date_share, hinted_subtype, name_hints,
                                    relaxed_shape, sample_values)
from tabletwin.pii.plan import DEFAULT_ACTIONS, ColumnDecision

#: Share of analysed cells holding an entity for a free-text column to be flagged.
FREE_TEXT_MIN_SHARE = 0.05

#: Tie-break order: the more specific entity wins at equal confidence.
_PRIORITY = ("IBAN_CODE", "CREDIT_CARD", "EMAIL_ADDRESS", "US_SSN", "IP_ADDRESS", "URL",
             "PHONE_NUMBER", "LOCATION", "PERSON")


def column_decision(column: str, entity: str | None, score: float, evidence: dict[str, Any],
              *, free_text: bool = False, subtype: str | None = None) -> ColumnDecision:
    score = round(min(max(score, 0.0), 1.0), 3)
    if entity is None:
        return ColumnDecision(column, None, score, "keep", evidence=evidence)
    action = "redact" if free_text else default_action(entity)
    return ColumnDecision(column, entity, score, action, free_text=free_text, evidence=evidence,
                          subtype=subtype)


def default_action(entity: str) -> str:
    if entity in DEFAULT_ACTIONS:
        return DEFAULT_ACTIONS[entity]
    from tabletwin.pii.recognizers.analysis import custom_entities

    return custom_entities().get(entity, (frozenset(), "pseudonymize"))[1]


def _is_text_column(texts: list[str]) -> bool:
    """Longer texts: a median of at least four words and 25 characters."""
    if not texts:
        return False
    words = sorted(len(t.split()) for t in texts)
    lengths = sorted(len(t) for t in texts)
    return words[len(words) // 2] >= 4 and lengths[len(lengths) // 2] >= 25


Option = tuple[float, str, dict[str, Any]]


def _entity_options(ev: Evidence, texts: list[str], hints: Mapping[str, str],
                    entities: list[str], base: dict[str, Any]) -> list[Option]:
    """(confidence, entity, evidence) for every entity the values (and hints) support."""
    from tabletwin.pii.recognizers.registry import VALIDATORS

    n = ev.analysed
    options: list[Option] = []
    for entity in entities:
        strong, weak = ev.share(ev.strong, entity), ev.share(ev.weak, entity)
        hint = hints.get(entity)
        evidence: dict[str, Any] = {**base, **({"name_hint": hint} if hint else {}),
                                    "match_share": round(strong, 3),
                                    "validator": VALIDATORS.get(entity, "yaml_pattern")}
        if strong >= 0.5 and ev.strong[entity] >= 2:
            options.append((0.55 + 0.4 * strong + (0.05 if hint else 0.0), entity, evidence))
        elif strong >= 0.25 and weak >= 0.8 and ev.weak[entity] >= 2:
            options.append((0.5 + 0.3 * weak, entity, {**evidence, "weak_share": round(weak, 3)}))
        elif hint:
            relaxed = sum(relaxed_shape(entity, t) for t in texts) / len(texts)
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
            "validator": VALIDATORS.get(entity, "yaml_pattern")}))
    if sum(scanners.has_street_word(t) for t in texts) >= 0.5 * len(texts):
        options = [o for o in options if o[1] != "PERSON"]  # street names, not people
    person = ev.share(ev.weak, "PERSON")
    if not options and person >= 0.85 and len(set(texts)) >= 30:
        options.append((0.55, "PERSON", {  # a column of single first or last names
            **base, "weak_share": round(person, 3), "validator": "name_dictionary"}))
    return options


def _free_text_option(ev: Evidence, texts: list[str], base: dict[str, Any]) -> Option | None:
    """Free text where enough cells hold an entity: the most frequent entity."""
    from tabletwin.pii.recognizers.registry import VALIDATORS

    n = ev.analysed
    if not _is_text_column(texts) or ev.any_entity < 2 or ev.any_entity < FREE_TEXT_MIN_SHARE * n:
        return None
    share = ev.any_entity / n
    entity = max(ev.contains, key=lambda e: (ev.contains[e], -_rank(e)))
    return 0.5 + 0.5 * min(1.0, 2 * share), entity, {
        **base, "match_share": round(share, 3),
        "entity_shares": {e: round(c / n, 3) for e, c in sorted(ev.contains.items())},
        "validator": VALIDATORS.get(entity, "yaml_pattern")}


@dataclass
class Classified:
    """A column's decision, plus what the table-level pass needs."""

    decision: ColumnDecision
    #: subtype the weaker (co-occurrence) bar would accept, when the decision is not PII
    candidate: str | None = None
    evidence: dict[str, Any] | None = None


def classify(column: str, series: pd.Series, rng: np.random.Generator, sample_size: int,
              custom: Mapping[str, tuple[frozenset[str], str]]) -> Classified:
    values = [v for v in sample_values(series, sample_size, rng)
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
        not pd.api.types.is_numeric_dtype(dtype) and date_share(values[:200]) >= 0.8)
    return quasi_kind(column, values[:500], is_date=is_date)


def _name_subtype(column: str, ev: Any) -> str:
    from tabletwin.pii import names

    hinted = hinted_subtype(column)
    if hinted is not None:
        return hinted
    if ev.single >= 0.9:
        return names.single_subtype(ev)
    return "full_name"


def _classify_values(column: str, series: pd.Series, values: list[Any],
                     custom: Mapping[str, tuple[frozenset[str], str]]) -> Classified:
    decision, texts = _classify_column(column, series, values, custom)
    if decision.free_text and decision.entity == "PERSON" and decision.origin == "detected" \
            and "PERSON" not in name_hints(column, {}):
        from tabletwin.pii import names

        # longer values whose name words are mostly inside firm names ("Trần Phạm Công ty
        # TNHH", "Sæther, Berg og Jensen"): company names, not people
        distinct = list(dict.fromkeys(texts))
        orgs = sum(names.is_org_like(t) for t in distinct) / len(distinct)
        # firm names are short; sentences ("Called Ana back and sent the form") are free text
        # whose "and" joins clauses, not partners' surnames: the rule is for names only
        short = float(np.median([len(str(t).split()) for t in distinct])) <= 6
        if orgs >= 0.5 and short:
            return Classified(column_decision(column, None, 0.6, {
                **decision.evidence, "org_share": round(orgs, 3),
                "note": "name words inside organisation names"}))
    if not texts or decision.free_text or (decision.is_pii and decision.entity != "PERSON"):
        return Classified(decision)
    if decision.origin != "detected" or len(texts) < 2:
        return Classified(decision)
    from tabletwin.pii import names

    ev = names.name_evidence(texts)
    figures = {"name_shape": ev.as_dict()}
    hint = name_hints(column, {}).get("PERSON")
    if decision.entity == "PERSON" and not (hint is None and names.vetoed(ev)):
        return Classified(replace(decision, subtype=_name_subtype(column, ev),
                                   evidence={**decision.evidence, **figures}))
    if decision.entity == "PERSON":  # dictionary words, but places / firms / templated phrases
        decision = column_decision(column, None, 0.6, {**decision.evidence, **figures,
                                                 "note": "name words, but not names of people"})
        return Classified(decision, None, figures)
    tokens = set(lx.column_tokens(column))
    if tokens & lx.NEGATIVE_HINTS["PERSON"]:  # "country", "city", "team", "product_name"...
        return Classified(decision)
    subtype = names.classify(ev, hint=hint)
    if subtype is None and hint:
        subtype = names.classify(ev, hint=hint, strict=False)
    if subtype is not None:
        hinted = hinted_subtype(column)
        if hinted and (hinted == "full_name") == (subtype == "full_name"):
            subtype = hinted
        score = 0.5 + 0.4 * (ev.known if subtype != "full_name" else ev.full_some)
        evidence = {**decision.evidence, **({"name_hint": hint} if hint else {}), **figures,
                    "validator": "name_lexicon"}
        return Classified(column_decision(column, "PERSON", score, evidence, subtype=subtype))
    return Classified(decision, names.classify(ev, strict=False), figures)


def _classify_column(column: str, series: pd.Series, values: list[Any],
                     custom: Mapping[str, tuple[frozenset[str], str]]
                     ) -> tuple[ColumnDecision, list[str]]:
    hints = name_hints(column, {e: h for e, (h, _) in custom.items()})
    base: dict[str, Any] = {"sampled": len(values)}
    dtype = series.dtype
    if not values:
        return column_decision(column, None, 1.0, {**base, "note": "no values"}), []
    if pd.api.types.is_bool_dtype(dtype):
        return column_decision(column, None, 1.0, {**base, "dtype": "bool"}), []
    if "DATE_TIME" in hints:  # dates count only as dates of birth, known from the column name
        share = 1.0 if pd.api.types.is_datetime64_any_dtype(dtype) else date_share(values)
        if share >= 0.8 and len(values) >= 2:
            return column_decision(column, "DATE_TIME", 0.5 + 0.5 * share, {
                **base, "name_hint": hints["DATE_TIME"], "match_share": round(share, 3),
                "validator": "date_parse"}), []
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return column_decision(column, None, 1.0, {**base, "dtype": str(dtype)}), []
    texts = [t for v in values if (t := as_text(v)) is not None]
    if pd.api.types.is_numeric_dtype(dtype) and (
            len(texts) < len(values) * 0.5
            or (not hints and np.median([len(t) for t in texts]) < 7)):
        return column_decision(column, None, 0.95, {**base, "dtype": str(dtype)}), []
    if len(texts) < len(values) * 0.5:
        return column_decision(column, None, 0.9, {**base, "note": "few text or number values"}), []

    analysed = texts[:ANALYZE_LIMIT]
    ev = analyse_values(analysed, candidate_entities(list(set(analysed)), custom), lx.column_tokens(column))
    base["analyzed"] = ev.analysed
    options = _entity_options(ev, analysed, hints, [*_PRIORITY, *sorted(custom)], base)
    if options:
        score, entity, evidence = max(options, key=lambda o: (round(o[0], 6), -_rank(o[1])))
        return column_decision(column, entity, score, evidence), texts
    free = _free_text_option(ev, analysed, base)
    if free is not None:
        return column_decision(column, free[1], free[0], free[2], free_text=True), texts
    evidence = {**base, **({"name_hint": sorted(hints.values())[0]} if hints else {})}
    best = max((ev.share(ev.strong, e) for e in ev.strong), default=0.0)
    return column_decision(column, None, 1.0 - best, evidence), texts


def _rank(entity: str) -> int:
    return _PRIORITY.index(entity) if entity in _PRIORITY else len(_PRIORITY)
