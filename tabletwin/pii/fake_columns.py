"""Fakes for whole columns: equal source values get equal fakes, no fake equals a forbidden
(source) value, names follow the row's sex where the plan has a sex column, and e-mails are built
from the same row's fake name (the ``fake`` action of :mod:`tabletwin.pii.mask`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set

import numpy as np
import pandas as pd

from tabletwin.errors import ConfigError
from tabletwin.pii.cells import is_integral, value_codes
from tabletwin.pii.fakes import FAKEABLE, emails_for, fake_name_parts, fake_values
from tabletwin.pii.normalize import normalize_value
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.seeds import stable_seed


_DIGIT_ENTITIES = ("PHONE_NUMBER", "US_SSN", "CREDIT_CARD")


def restore_dtype(values: np.ndarray, like: pd.Series, entity: str | None) -> pd.Series:
    """Object values shaped like ``like``: integer columns of numbers get the fakes' digits."""
    index = like.index
    if entity in _DIGIT_ENTITIES and (pd.api.types.is_integer_dtype(like.dtype) or (
            pd.api.types.is_float_dtype(like.dtype) and is_integral(like))):
        digits = [None if v is None else re.sub(r"\D", "", str(v)) for v in values]
        if all(d is None or (d and len(d) <= 18) for d in digits):
            ints = pd.array([None if d is None else int(d) for d in digits], dtype="Int64")
            series = pd.Series(ints, index=index, name=like.name)
            if series.notna().all() and not pd.api.types.is_extension_array_dtype(like.dtype):
                return series.astype(np.int64)
            return series
    series = pd.Series(values, index=index, name=like.name, dtype=object)
    if pd.api.types.is_string_dtype(like.dtype) and like.dtype != object:
        return series.astype(like.dtype)
    return series


def _fake_by_codes(entity: str, codes: np.ndarray, rng: np.random.Generator, locale: str,
                   forbidden: Set[str], names: np.ndarray | None = None) -> np.ndarray:
    """Object array: a fake per distinct code (None where code is -1).

    For EMAIL_ADDRESS with ``names`` (a fake name per row), each address is built from the name
    of the row where its code first occurs.
    """
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    if not present.any():
        return out
    k = int(codes.max()) + 1
    if entity == "EMAIL_ADDRESS" and names is not None:
        _, first_rows = np.unique(np.where(present, codes, k), return_index=True)
        row_names = names[first_rows[:k]]
        missing = np.array([n is None for n in row_names], dtype=bool)
        if missing.any():
            row_names[missing] = fake_values("PERSON", int(missing.sum()), rng, locale=locale)
        fakes = emails_for(row_names, rng, forbidden=forbidden, unique=True)
    else:
        fakes = fake_values(entity, k, rng, locale=locale, forbidden=forbidden, unique=True)
    out[present] = fakes[codes[present]]
    return out


def sex_column(plan: PiiPlan, frame: pd.DataFrame) -> pd.Series | None:
    """The table's sex/gender column (a quasi-identifier of kind ``sex``), if any."""
    for d in plan.columns:
        if d.quasi_identifier and d.evidence.get("quasi") == "sex" and d.column in frame.columns:
            return frame[d.column]
    return None


def _check_entity(table: str, d: ColumnDecision) -> str:
    if d.entity not in FAKEABLE:
        raise ConfigError(f"column {d.column!r}: cannot fake entity {d.entity!r}", table=table,
                          field=d.column)
    return d.entity


def fake_columns(frame: pd.DataFrame, decisions: Sequence[ColumnDecision], table: str,
                  seed: int, locale: str, purpose: str,
                  forbidden: Mapping[str, Set[str]],
                  sex: pd.Series | None = None) -> dict[str, np.ndarray]:
    """Fake values (object arrays, None for null) for columns whose action is ``fake``.

    Names go first so e-mails can follow them. PERSON columns with a subtype get names of their
    kind (first names, last names, full names), and one fake person per row: a full-name column
    next to faked first- and last-name columns is that row's fake first + last name, and e-mails
    are built from the row's fake person. ``sex`` (a sex/gender column of the same rows, see
    :func:`~tabletwin.pii.quasi.female_mask`) sets the gender of fake first names.
    """
    from tabletwin.pii.quasi import female_mask

    n = len(frame)
    female_rows = female_mask(sex) if sex is not None and len(sex) == n else np.full(n, np.nan)
    ordered = sorted(decisions, key=lambda d: (d.entity != "PERSON", d.subtype == "full_name"))
    parts: dict[str, np.ndarray] = {}  # subtype -> per-row fake of the first such column
    person_names: np.ndarray | None = None
    out: dict[str, np.ndarray] = {}
    for d in ordered:
        entity = _check_entity(table, d)
        if entity == "EMAIL_ADDRESS":
            continue  # after the names, from the row's fake person (below)
        rng = np.random.default_rng(stable_seed(seed, table, d.column, purpose))
        if d.column in frame.columns:
            codes = value_codes(frame[d.column])
        else:
            codes = np.arange(n)
        bad = forbidden.get(d.column, set())
        if entity == "PERSON" and d.subtype == "full_name" and {"first_name", "last_name"} <= \
                set(parts):
            values = _joined_names(parts["first_name"], parts["last_name"], codes, bad, rng,
                                   locale, female_rows)
        elif entity == "PERSON" and d.subtype in ("first_name", "last_name", "full_name"):
            values = _fake_names_by_codes(d.subtype, codes, rng, locale, bad, female_rows)
        else:
            values = _fake_by_codes(entity, codes, rng, locale, bad)
        if entity == "PERSON":
            parts.setdefault(d.subtype or "full_name", values)
        out[d.column] = values
        if entity == "PERSON" and d.subtype in (None, "full_name") and person_names is None:
            person_names = values
    if person_names is None and "first_name" in parts:
        # e-mails of a row's fake person: its first name with its (or a fresh) last name
        rng = np.random.default_rng(stable_seed(seed, table, "person", purpose))
        last = parts.get("last_name")
        if last is None:
            last = fake_name_parts("last_name", female_rows > 0.5, rng, locale=locale)
        person_names = np.array([None if f is None else f"{f} {s or ''}".strip()
                                 for f, s in zip(parts["first_name"], last)], dtype=object)
    for d in ordered:
        if d.entity == "EMAIL_ADDRESS":
            rng = np.random.default_rng(stable_seed(seed, table, d.column, purpose))
            codes = value_codes(frame[d.column]) if d.column in frame.columns else np.arange(n)
            out[d.column] = _fake_by_codes("EMAIL_ADDRESS", codes, rng, locale,
                                           forbidden.get(d.column, set()), person_names)
    return out


def _female_per_code(codes: np.ndarray, female_rows: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Gender per distinct code: the majority of its rows with a known sex, else random."""
    k = int(codes.max()) + 1
    known = (codes >= 0) & ~np.isnan(female_rows)
    women = np.bincount(codes[known], weights=female_rows[known], minlength=k)
    total = np.bincount(codes[known], minlength=k)
    return np.where(total > 0, women * 2 > total, rng.random(k) < 0.5)


def _fake_names_by_codes(subtype: str, codes: np.ndarray, rng: np.random.Generator,
                         locale: str, forbidden: Set[str], female_rows: np.ndarray
                         ) -> np.ndarray:
    """A fake first/last/full name per distinct code, of the gender of the code's rows."""
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    if not present.any():
        return out
    female = _female_per_code(codes, female_rows, rng)
    fakes = fake_name_parts(subtype, female, rng, locale=locale, forbidden=forbidden,
                            unique=True)
    out[present] = fakes[codes[present]]
    return out


def _joined_names(first: np.ndarray, last: np.ndarray, codes: np.ndarray, forbidden: Set[str],
                  rng: np.random.Generator, locale: str, female_rows: np.ndarray) -> np.ndarray:
    """Each row's fake first + last name; rows whose join is forbidden get a fresh full name."""
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    joined = [f"{f} {s}" if f is not None and s is not None else None
              for f, s in zip(first, last)]
    keys = {normalize_value(v) for v in forbidden}
    for i in np.flatnonzero(present):
        out[i] = joined[i]
    redo = [i for i in np.flatnonzero(present)
            if out[i] is None or normalize_value(out[i]) in keys]
    if redo:
        female = np.nan_to_num(female_rows[redo], nan=0.5) > 0.5
        out[redo] = fake_name_parts("full_name", female, rng, locale=locale, forbidden=forbidden)
    return out
