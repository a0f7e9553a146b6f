"""Apply a PiiPlan to a table: keep, fake, pseudonymize, generalize, redact or drop each column.

Actions (:func:`mask_table`):

* ``keep`` - unchanged.
* ``fake`` - realistic fakes (:mod:`.fakes`) for the decision's entity and the ``locale``.
  Equal source values (after :func:`~.normalize.normalize_value`) get equal fakes, distinct ones
  distinct fakes where the value space allows; no fake equals a source value of its entity in the
  table (names and streets also avoid each other, see :func:`_cross_entity`); nulls and blank
  strings stay as they are. When the plan fakes both a PERSON and an EMAIL_ADDRESS column, each
  fake e-mail is built from the fake name of the row where that e-mail first occurs. Integer
  columns of phone, SSN or card numbers get the fake's digits back as integers.
* ``pseudonymize`` - :func:`pseudonymize`: keyed HMAC-SHA256, deterministic across calls and tables.
* ``generalize`` - a coarser value: dates (of birth) -> year (``Int64``); e-mail -> domain; phone ->
  country calling code ("+420"); IP -> network (IPv4 /24, IPv6 /48); URL -> scheme and host; person
  -> initials ("J. S."); street address -> locality (text after the last comma, digits removed; the
  street without numbers when there is no comma); card -> issuer prefix (first six digits); SSN ->
  area number; IBAN -> country code; anything else -> its shape (digits -> 9, letters -> A/a).
* ``redact`` - free text: every entity span found by the detector is replaced by a fake of the same
  entity (same span text -> same fake), the rest of the text is untouched; distinct texts are
  analysed once, over two processes for large columns. A non-free-text column is faked whole.
* ``drop`` - all null, same dtype where it can hold nulls (integers -> ``Int64``).

Everything is deterministic given ``seed`` and ``key``. The actions live in :mod:`.fake_columns`,
:mod:`.pseudonyms` and :mod:`.redaction`; this module applies a plan's decisions with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set

import numpy as np
import pandas as pd

from tabletwin.errors import ConfigError
from tabletwin.pii.cells import is_integral, normalized_values
from tabletwin.pii.fake_columns import fake_columns, restore_dtype, sex_column
from tabletwin.pii.fakes import FAKEABLE
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.pii.pseudonyms import fresh_tokens, pseudonymize
from tabletwin.pii.redaction import FreeText, generalize, nulls_like
from tabletwin.seeds import stable_seed

__all__ = ["fill_pii_columns", "mask_table"]


def _cross_entity(by_entity: dict[str, set[str]]) -> dict[str, set[str]]:
    """Multi-word fakes (names, streets) must not contain a source name or street either.

    Faker's street names are made of person names ("Brandon Lane"): a fake address must avoid the
    table's person names as well as its addresses, and a fake name its street names.
    """
    words = by_entity.get("PERSON", set()) | by_entity.get("LOCATION", set())
    out = defaultdict(set, by_entity)
    if words:
        out["PERSON"] = out["LOCATION"] = words
    return out


def _decisions(plan: PiiPlan, frame: pd.DataFrame, columns: Sequence[str] | None = None
               ) -> list[ColumnDecision]:
    names = list(columns) if columns is not None else [d.column for d in plan.columns]
    known = {d.column for d in plan.columns}
    for name in names:
        if name not in known:
            raise ConfigError(f"column {name!r} has no decision in the plan", table=plan.table,
                              field=name)
        if columns is None and name not in frame.columns:
            raise ConfigError(f"planned column {name!r} is not in the table", table=plan.table,
                              field=name)
    return [plan[name] for name in names]


def mask_table(df: pd.DataFrame, plan: PiiPlan, *, key: bytes, seed: int,
               locale: str = "en_US") -> pd.DataFrame:
    """A copy of ``df`` with each column transformed by its decision's action (module docstring).

    Same columns in the same order, same index. Columns without a decision are kept.
    """
    decisions = _decisions(plan, df)
    out = df.copy()
    fake = [d for d in decisions if d.action == "fake" or (
        d.action == "redact" and not d.free_text and d.entity in FAKEABLE)]
    free = {d.column: FreeText(df[d.column]) for d in decisions
            if d.action == "redact" and d not in fake}
    # a fake must not reproduce a source value of its entity from any column of the table
    by_entity: dict[str, set[str]] = defaultdict(set)
    for d in fake:
        by_entity[str(d.entity)] |= normalized_values(df[d.column])
    for text_column in free.values():
        for entity, values in text_column.span_values().items():
            by_entity[entity] |= values
    by_entity = _cross_entity(by_entity)
    forbidden = {d.column: by_entity[str(d.entity)] for d in fake}
    entities = {d.column: d.entity for d in fake}
    for column, values in fake_columns(df, fake, plan.table, seed, locale, "mask",
                                        forbidden, sex_column(plan, df)).items():
        out[column] = restore_dtype(values, df[column], entities[column])
    for d in decisions:
        series = df[d.column]
        if d.action == "pseudonymize":
            out[d.column] = pseudonymize(series, key)
        elif d.action == "generalize":
            out[d.column] = generalize(series, d.entity)
        elif d.column in free:
            rng = np.random.default_rng(stable_seed(seed, plan.table, d.column, "redact"))
            out[d.column] = free[d.column].redact(series, rng, locale, by_entity)
        elif d.action == "drop":
            out[d.column] = nulls_like(series)
        elif d.action not in ("keep", "fake", "redact"):
            raise ConfigError(f"column {d.column!r}: unknown action {d.action!r}",
                              table=plan.table, field=d.column)
    return out


def fill_pii_columns(frame: pd.DataFrame, plan: PiiPlan, *, columns: Sequence[str], seed: int,
                     forbidden: Mapping[str, Set[str]], locale: str = "en_US") -> pd.DataFrame:
    """A copy of ``frame`` with the named PII columns set to fresh values (for synthetic tables).

    ``fake`` columns get fakes never in ``forbidden[column]`` (normalized source values);
    ``pseudonymize`` columns get fresh random tokens in pseudonym format (integers in [1, 2**53)
    for integer columns, else ``"tt_"`` + 16 hex), unrelated to any source value; ``drop`` columns
    become null. When ``frame`` already has the column, its null cells stay null and cells with
    equal values get equal fresh values (a repeated key stays repeated); otherwise every row gets
    its own value. The token format follows ``frame[column]``'s dtype (integer or not). Names and
    e-mails stay consistent within a row. Other actions raise ConfigError.
    """
    decisions = _decisions(plan, frame, columns)
    for d in decisions:
        if d.action not in ("fake", "pseudonymize", "drop"):
            raise ConfigError(f"column {d.column!r}: fill_pii_columns handles fake, pseudonymize "
                              f"and drop, not {d.action!r}", table=plan.table, field=d.column)
    out = frame.copy()
    n = len(frame)
    fake = [d for d in decisions if d.action == "fake"]
    by_entity: dict[str, set[str]] = defaultdict(set)
    for d in fake:
        by_entity[str(d.entity)] |= set(forbidden.get(d.column, set()))
    by_entity = _cross_entity(by_entity)
    forbidden = {d.column: by_entity[str(d.entity)] for d in fake}
    blank = pd.Series([None] * n, index=frame.index, dtype=object)
    entities = {d.column: d.entity for d in fake}
    for column, values in fake_columns(frame, fake, plan.table, seed, locale, "fill",
                                        forbidden, sex_column(plan, frame)).items():
        like = frame[column] if column in frame.columns else blank
        out[column] = restore_dtype(values, like, entities[column])
    for d in decisions:
        template = frame[d.column] if d.column in frame.columns else None
        if d.action == "pseudonymize":
            rng = np.random.default_rng(stable_seed(seed, plan.table, d.column, "fill"))
            integral = template is not None and is_integral(template)
            out[d.column] = fresh_tokens(template, frame.index, rng, integral)
        elif d.action == "drop":
            out[d.column] = nulls_like(template if template is not None else blank)
    return out
