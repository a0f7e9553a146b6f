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

Custom recognizers (:func:`load_recognizers`) are Presidio pattern recognizers declared in YAML;
the format is described in :mod:`tabletwin.pii.recognizers.yaml_patterns`.

The steps live in :mod:`.evidence` (1-2), :mod:`.classify` (3-4) and :mod:`.name_columns` (name
columns judged together); this module applies keys and overrides (5) and returns the plan.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from tabletwin.errors import ConfigError
from tabletwin.pii.classify import Classified, classify, default_action
from tabletwin.pii.name_columns import (co_occurring_names, first_vs_last,
                                        names_inside_other_columns)
from tabletwin.pii.plan import (
    ACTIONS,
    ENTITIES,
    KEPT_BY_CATALOG,
    ColumnDecision,
    ColumnOverride,
    PiiPlan,
)
from tabletwin.seeds import stable_seed

__all__ = ["detect_pii", "load_recognizers", "reset_recognizers"]


def load_recognizers(yaml_path: Any) -> list[str]:
    """Add YAML-declared Presidio pattern recognizers (format:
    :mod:`tabletwin.pii.recognizers.yaml_patterns`)."""
    from tabletwin.pii.recognizers.analysis import load_recognizers as load

    return load(yaml_path)


def reset_recognizers() -> None:
    """Forget every YAML-declared recognizer."""
    from tabletwin.pii.recognizers.analysis import reset_recognizers as reset

    reset()


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
    if ov.pii is None and ov.entity is None and ov.action is None:
        return detected  # an entry that pins nothing (e.g. only a reviewed ``type``)
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
    return ColumnDecision(col, entity, 1.0, ov.action or default_action(entity), "override",
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
    from tabletwin.pii.recognizers.analysis import custom_entities as declared

    overrides = dict(overrides or {})
    columns = [str(c) for c in df.columns]
    for name in [*overrides, *key_columns]:
        if name not in columns:
            raise ConfigError(f"column {name!r} is not in the table", table=table, field=name)
    custom = declared()
    known = {*ENTITIES, *custom}
    for name, ov in overrides.items():
        _check_override(table, name, ov, known)
    if sample_size < 1:
        raise ConfigError("sample_size must be positive", table=table, field="sample_size")

    classified: list[Classified] = []
    for position, name in enumerate(columns):
        if name in key_columns:
            # keys are identifiers, not personal data: pseudonymized when masked and replaced by
            # fresh keys in synthetic tables, but never reported as PII
            classified.append(Classified(ColumnDecision(
                name, None, 1.0, "pseudonymize", "override", evidence={"catalog": "key"})))
        else:
            rng = np.random.default_rng(stable_seed(seed, table, name))
            classified.append(classify(name, df.iloc[:, position], rng, sample_size, custom))
    co_occurring_names(classified)
    names_inside_other_columns(df, classified)
    first_vs_last(classified)
    decisions = []
    for name, item in zip(columns, classified):
        decision = item.decision
        if name in overrides:
            decision = _apply_override(table, decision, overrides[name])
        decisions.append(decision)
    return PiiPlan(table=table, columns=decisions)
