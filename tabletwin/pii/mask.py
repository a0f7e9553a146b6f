"""Apply a PiiPlan to a table: keep, fake, pseudonymize, generalize, redact or drop each column.

Actions (:func:`mask_table`):

* ``keep`` - unchanged.
* ``fake`` - realistic fakes (:mod:`.fakes`) for the decision's entity and the ``locale``.
  Equal source values (after :func:`~.fakes.normalize_value`) get equal fakes, distinct ones
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

Everything is deterministic given ``seed`` and ``key``.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import phonenumbers

from tabletwin.errors import ConfigError
from tabletwin.seeds import stable_seed
from tabletwin.pii.fakes import (
    FAKEABLE,
    canonical,
    emails_for,
    fake_name_parts,
    fake_values,
    normalize_many,
    normalize_value,
)
from tabletwin.pii.plan import ColumnDecision, PiiPlan

__all__ = ["fill_pii_columns", "mask_table", "pseudonymize"]

#: Pseudonymous integers lie in [1, 2**53): positive, exact in float64 and JSON.
INT_RANGE = 2**53 - 1
#: A string keeps its length and character classes when that leaves at least 2**64 possibilities.
_MIN_SPACE_BITS = 64


# --------------------------------------------------------------------------------------------------
# pseudonymization
# --------------------------------------------------------------------------------------------------


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def _pseudo_int(key: bytes, value: int) -> int:
    return 1 + int.from_bytes(_mac(key, b"i:%d" % value)[:8], "big") % INT_RANGE


def _pseudo_str(key: bytes, value: str) -> str:
    digest = _mac(key, b"s:" + value.encode("utf-8"))
    bits = 0.0
    for ch in value:
        if ch.isascii() and ch.isdigit():
            bits += 3.32
        elif ch.isascii() and ch.isalpha():
            bits += 4.7
        elif ch.isalnum():
            return "tt_" + digest.hex()[:16]
    if bits < _MIN_SPACE_BITS:
        return "tt_" + digest.hex()[:16]
    stream = bytearray()
    counter = 0
    while len(stream) < len(value):
        stream += _mac(key, digest + counter.to_bytes(4, "big"))
        counter += 1
    out = []
    for ch, b in zip(value, stream):
        if ch.isdigit():
            out.append(chr(48 + b % 10))
        elif ch.isupper():
            out.append(chr(65 + b % 26))
        elif ch.isalpha():
            out.append(chr(97 + b % 26))
        else:
            out.append(ch)
    return "".join(out)


def _integral(series: pd.Series) -> bool:
    """True for integer columns, and float columns whose non-null values are all whole numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.all(np.isfinite(values) & (values == np.floor(values))))
    return False


def pseudonymize(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed, deterministic pseudonyms (HMAC-SHA256), format-aware; nulls stay null.

    Integers (and whole-number floats) -> integers in [1, 2**53) (``int64``; ``Int64`` with nulls).
    Strings -> same length and character classes when that leaves at least 2**64 possibilities
    (e.g. long account numbers), else ``"tt_"`` + 16 hex characters. In object columns each value
    is handled by its own type. The same value and key give the same pseudonym in any table.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if _integral(values):
        mapped = np.array([_pseudo_int(key, int(u)) for u in uniques], dtype=np.int64)
        if (codes < 0).any():
            out = pd.array(np.where(codes >= 0, mapped[np.maximum(codes, 0)], 0), dtype="Int64")
            out[codes < 0] = pd.NA
            return pd.Series(out, index=values.index, name=values.name)
        return pd.Series(mapped[codes], index=values.index, name=values.name, dtype=np.int64)
    mapped_obj = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        if isinstance(u, (int, np.integer)) and not isinstance(u, (bool, np.bool_)):
            mapped_obj[i] = _pseudo_int(key, int(u))
        else:
            mapped_obj[i] = _pseudo_str(key, u.decode() if isinstance(u, bytes) else str(u))
    out_obj = np.full(len(values), None, dtype=object)
    out_obj[codes >= 0] = mapped_obj[codes[codes >= 0]]
    return pd.Series(out_obj, index=values.index, name=values.name, dtype=object)


def _fresh_tokens(template: pd.Series | None, index: pd.Index, rng: np.random.Generator,
                  integral: bool) -> pd.Series:
    """Random tokens in pseudonym format: one per distinct template value (nulls kept)."""
    codes = _codes(template) if template is not None else np.arange(len(index))
    k = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
    if integral:
        tokens = rng.choice(INT_RANGE, size=k, replace=False).astype(np.int64) + 1
        if (codes < 0).any():
            out = pd.array(tokens[np.maximum(codes, 0)] if k else np.zeros(len(codes), np.int64),
                           dtype="Int64")
            out[codes < 0] = pd.NA
            return pd.Series(out, index=index)
        return pd.Series(tokens[codes], index=index, dtype=np.int64)
    raw = rng.integers(0, 2**64, size=k, dtype=np.uint64)
    tokens_obj = np.array([f"tt_{int(v):016x}" for v in raw], dtype=object)
    out_obj = np.full(len(codes), None, dtype=object)
    out_obj[codes >= 0] = tokens_obj[codes[codes >= 0]]
    return pd.Series(out_obj, index=index, dtype=object)


# --------------------------------------------------------------------------------------------------
# fakes per column
# --------------------------------------------------------------------------------------------------


def _present(series: pd.Series) -> np.ndarray:
    """Mask of cells to replace: not null and not a blank string."""
    mask = series.notna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        blank = np.array([isinstance(v, str) and not v.strip() for v in values[mask]], dtype=bool)
        mask[np.flatnonzero(mask)[blank]] = False
    return mask


def _codes(series: pd.Series) -> np.ndarray:
    """Code per row (-1 for null/blank) grouping cells whose normalized values are equal."""
    mask = _present(series)
    raw_codes, raw_uniques = pd.factorize(series[mask])
    norm = np.array(normalize_many(raw_uniques), dtype=object)
    norm_codes, _ = pd.factorize(norm)
    codes = np.full(len(series), -1, dtype=np.int64)
    codes[mask] = norm_codes[raw_codes] if len(raw_codes) else raw_codes
    return codes


def _normalized_values(series: pd.Series) -> set[str]:
    return set(normalize_many(pd.unique(series[_present(series)])))


#: Entities whose fakes go back into integer columns as their digits.
_DIGIT_ENTITIES = ("PHONE_NUMBER", "US_SSN", "CREDIT_CARD")


def _restore_dtype(values: np.ndarray, like: pd.Series, entity: str | None) -> pd.Series:
    """Object values shaped like ``like``: integer columns of numbers get the fakes' digits."""
    index = like.index
    if entity in _DIGIT_ENTITIES and (pd.api.types.is_integer_dtype(like.dtype) or (
            pd.api.types.is_float_dtype(like.dtype) and _integral(like))):
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


def _sex_column(plan: PiiPlan, frame: pd.DataFrame) -> pd.Series | None:
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


def _fake_columns(frame: pd.DataFrame, decisions: Sequence[ColumnDecision], table: str,
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
            codes = _codes(frame[d.column])
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
            codes = _codes(frame[d.column]) if d.column in frame.columns else np.arange(n)
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


# --------------------------------------------------------------------------------------------------
# generalization, redaction, drop
# --------------------------------------------------------------------------------------------------


def birth_years(series: pd.Series) -> pd.Series:
    """Year of each date (datetime, date string, or YYYYMMDD number) as ``Int64``."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        years = series.dt.year
    else:
        text = series.map(lambda v: None if pd.isna(v) else (
            str(int(v)) if isinstance(v, (int, np.integer, float, np.floating)) else str(v)),
            na_action="ignore")
        eight = text.str.fullmatch(r"\d{8}", na=False)
        parsed = pd.to_datetime(text.where(~eight), format="mixed", errors="coerce")
        parsed_eight = pd.to_datetime(text.where(eight), format="%Y%m%d", errors="coerce")
        years = parsed.dt.year.where(~eight, parsed_eight.dt.year)
    return years.astype("Int64").rename(series.name)


def _shape(text: str) -> str:
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", text)))


def _phone_country(text: str) -> str | None:
    """Country calling code ("+420") of a phone number, or None."""
    if text.startswith(("+", "00")):
        try:
            number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, None)
        except phonenumbers.NumberParseException:
            return None
        return f"+{number.country_code}"
    for region in ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "CZ", "PL"):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return f"+{number.country_code}"
    return None


def _ip_network(text: str) -> str | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _locality(text: str) -> str:
    part = text.rsplit(",", 1)[-1] if "," in text else text
    return " ".join(re.sub(r"\d+\S*", " ", part).split()).strip(" ,")


def _generalize_text(entity: str | None, text: str) -> str | None:
    if entity == "EMAIL_ADDRESS":
        return text.rsplit("@", 1)[-1].strip().lower() if "@" in text else None
    if entity == "PHONE_NUMBER":
        return _phone_country(text.strip())
    if entity == "IP_ADDRESS":
        return _ip_network(text)
    if entity == "URL":
        parts = urlsplit(text.strip() if "://" in text else "http://" + text.strip())
        return f"{parts.scheme}://{parts.hostname}" if parts.hostname else None
    if entity == "PERSON":
        letters = [w[0].upper() + "." for w in text.split() if w[:1].isalpha()]
        return " ".join(letters) or None
    if entity == "LOCATION":
        return _locality(text) or None
    digits = re.sub(r"\D", "", text)
    if entity == "CREDIT_CARD":
        return digits[:6] or None
    if entity == "US_SSN":
        return digits[:3] or None
    if entity == "IBAN_CODE":
        return re.sub(r"\s", "", text)[:2].upper() or None
    return _shape(text)


def _generalize(series: pd.Series, entity: str | None) -> pd.Series:
    if entity == "DATE_TIME" or (entity is None
                                 and pd.api.types.is_datetime64_any_dtype(series.dtype)):
        return birth_years(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([_generalize_text(entity, str(u)) for u in uniques], dtype=object)
    out = np.full(len(series), None, dtype=object)
    out[codes >= 0] = mapped[codes[codes >= 0]]
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


def _nulls_like(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series(pd.NA, index=series.index, name=series.name, dtype="boolean")
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return pd.Series(pd.NA, index=series.index, name=series.name, dtype="Int64")
    if dtype == object:
        return pd.Series([None] * len(series), index=series.index, name=series.name,
                         dtype=object)
    return pd.Series(index=series.index, name=series.name, dtype=dtype)


def _shape_fakes(texts: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Random text of the same shape (for entities without a fake generator)."""
    out = []
    for text in texts:
        chars = []
        for ch in text:
            if ch.isdigit():
                chars.append(str(rng.integers(0, 10)))
            elif ch.isalpha():
                letter = chr(97 + int(rng.integers(0, 26)))
                chars.append(letter.upper() if ch.isupper() else letter)
            else:
                chars.append(ch)
        out.append("".join(chars))
    return out


def _span_text(text: str, span: Any) -> str:
    return text[span.start:span.end]


def redact_texts(texts: Sequence[str], spans: Sequence[Sequence[Any]], rng: np.random.Generator,
                 locale: str, forbidden: Mapping[str, Set[str]]) -> list[str]:
    """Each text with its entity ``spans`` replaced by fakes of the same entity.

    The same span text (canonical form) gets the same fake everywhere; a fake never equals a
    ``forbidden[entity]`` value or another span of its entity. Text outside the spans is unchanged.
    """
    by_entity: dict[str, dict[str, str]] = {}
    for text, found in zip(texts, spans):
        for s in found:
            by_entity.setdefault(s.entity, {})[canonical(s.entity)(_span_text(text, s))] = \
                _span_text(text, s)
    replacement: dict[str, dict[str, str]] = {}
    for entity in sorted(by_entity):
        keys = sorted(by_entity[entity])
        if entity in FAKEABLE:
            avoid = set(forbidden.get(entity, set())) | set(by_entity[entity].values())
            fakes = fake_values(entity, len(keys), rng, locale=locale, forbidden=avoid,
                                unique=True)
        else:
            fakes = _shape_fakes([by_entity[entity][k] for k in keys], rng)
        replacement[entity] = dict(zip(keys, fakes))
    out = []
    for text, found in zip(texts, spans):
        for s in sorted(found, key=lambda s: -s.start):
            fake = replacement[s.entity][canonical(s.entity)(_span_text(text, s))]
            text = text[:s.start] + fake + text[s.end:]
        out.append(text)
    return out


class _FreeText:
    """A free-text column's distinct texts and their detected spans (computed once)."""

    def __init__(self, series: pd.Series):
        from tabletwin.pii.recognizers.analysis import find_spans

        self.mask = _present(series)
        self.codes, uniques = pd.factorize(series[self.mask].astype(str))
        self.texts = [str(u) for u in uniques]
        self.spans = find_spans(self.texts)

    def span_values(self) -> dict[str, set[str]]:
        """Entity -> normalized span texts."""
        out: dict[str, set[str]] = {}
        for text, found in zip(self.texts, self.spans):
            for s in found:
                out.setdefault(s.entity, set()).add(normalize_value(_span_text(text, s)))
        return out

    def redact(self, series: pd.Series, rng: np.random.Generator, locale: str,
               forbidden: Mapping[str, Set[str]]) -> pd.Series:
        redacted = np.array(redact_texts(self.texts, self.spans, rng, locale, forbidden),
                            dtype=object)
        out = series.astype(object).copy()
        out[self.mask] = redacted[self.codes]
        return out


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


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
    free = {d.column: _FreeText(df[d.column]) for d in decisions
            if d.action == "redact" and d not in fake}
    # a fake must not reproduce a source value of its entity from any column of the table
    by_entity: dict[str, set[str]] = defaultdict(set)
    for d in fake:
        by_entity[str(d.entity)] |= _normalized_values(df[d.column])
    for text_column in free.values():
        for entity, values in text_column.span_values().items():
            by_entity[entity] |= values
    by_entity = _cross_entity(by_entity)
    forbidden = {d.column: by_entity[str(d.entity)] for d in fake}
    entities = {d.column: d.entity for d in fake}
    for column, values in _fake_columns(df, fake, plan.table, seed, locale, "mask",
                                        forbidden, _sex_column(plan, df)).items():
        out[column] = _restore_dtype(values, df[column], entities[column])
    for d in decisions:
        series = df[d.column]
        if d.action == "pseudonymize":
            out[d.column] = pseudonymize(series, key)
        elif d.action == "generalize":
            out[d.column] = _generalize(series, d.entity)
        elif d.column in free:
            rng = np.random.default_rng(stable_seed(seed, plan.table, d.column, "redact"))
            out[d.column] = free[d.column].redact(series, rng, locale, by_entity)
        elif d.action == "drop":
            out[d.column] = _nulls_like(series)
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
    for column, values in _fake_columns(frame, fake, plan.table, seed, locale, "fill",
                                        forbidden, _sex_column(plan, frame)).items():
        like = frame[column] if column in frame.columns else blank
        out[column] = _restore_dtype(values, like, entities[column])
    for d in decisions:
        template = frame[d.column] if d.column in frame.columns else None
        if d.action == "pseudonymize":
            rng = np.random.default_rng(stable_seed(seed, plan.table, d.column, "fill"))
            integral = template is not None and _integral(template)
            out[d.column] = _fresh_tokens(template, frame.index, rng, integral)
        elif d.action == "drop":
            out[d.column] = _nulls_like(template if template is not None else blank)
    return out
