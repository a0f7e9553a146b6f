"""Quasi-identifiers: columns that single people out in combination (not PII on their own).

* :func:`quasi_kind` names the kind of a column from its name and values: ``birth_date``,
  ``death_date``, ``admission_date``, ``discharge_date``, ``postcode``, ``age``, ``sex``,
  ``ethnicity``. Detection flags such columns in the plan (``ColumnDecision.quasi_identifier``).
* :func:`unique_combination_share` is the share of rows whose combination of quasi-identifier
  values occurs once in the frame (the classic re-identification risk figure; real vs synthetic).
* :func:`female_mask` reads a sex/gender column as female / male / unknown, so fake first names
  can agree with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tabletwin.pii import lexicon as lx

__all__ = ["QUASI_KINDS", "female_mask", "quasi_kind", "unique_combination_share"]

QUASI_KINDS: tuple[str, ...] = ("birth_date", "death_date", "admission_date", "discharge_date",
                                "postcode", "age", "sex", "ethnicity")

#: Column-name words per kind (English, German, French, Spanish, Italian, Dutch, Portuguese, Czech,
#: Polish, folded). Dates need a date-like column; the others are checked against the values.
_DATE_WORDS: dict[str, tuple[str, ...]] = {
    "birth_date": ("birth", "born", "dob", "bday", "geburt", "nacimiento", "naissance", "nascita",
                   "nascimento", "geboorte", "narozen", "urodzen"),
    "death_date": ("death", "died", "dod", "deceased", "sterbe", "tod", "deces", "deceso",
                   "fallecimiento", "morte", "obito", "overlijden", "umrti", "zgon"),
    "admission_date": ("admission", "admit", "admitted", "aufnahme", "ingreso", "ricovero",
                       "internacao", "opname", "prijem"),
    "discharge_date": ("discharge", "discharged", "entlassung", "alta", "dimissione", "ontslag",
                       "propusteni", "wypis"),
}
_POSTCODE_WORDS = frozenset("zip zipcode postcode postalcode postal plz cep cp cap npa psc "
                            "postleitzahl codigopostal kodpocztowy postnummer".split())
_POSTCODE_STEMS = ("zipcode", "postcode", "postalcode", "postleitzahl", "codigopostal")
_AGE_WORDS = frozenset("age ages alter edad eta idade leeftijd vek wiek agegroup".split())
_SEX_WORDS = frozenset("sex gender geschlecht sexe genre sexo genero sesso geslacht pohlavi "
                       "plec".split())
_ETHNIC_WORDS = frozenset("ethnicity ethnic race ethnie etnia etnie rasse raza razza ras "
                          "etnicidade".split())

#: Values of a sex/gender column (folded) -> female?
_SEX_VALUES: dict[str, bool] = {
    **dict.fromkeys("f female woman women w weiblich frau femme feminin femenino mujer femmina "
                    "donna feminino mulher vrouw vrouwelijk zena zensky kobieta k girl".split(),
                    True),
    **dict.fromkeys("m male man men mannlich mann homme masculin masculino hombre maschio uomo "
                    "homem man mannelijk muz muzsky mezczyzna boy h".split(), False),
}

_POSTCODE_VALUE = re.compile(
    r"^(?:\d{5}(?:-\d{4})?|\d{4}|\d{3}\s?\d{2}|\d{2}-\d{3}|\d{5}-\d{3}|[A-Z]\d[A-Z]\s?\d[A-Z]\d"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})$", re.IGNORECASE)


def _has(tokens: Sequence[str], words: frozenset[str] | tuple[str, ...]) -> bool:
    return any(t in words for t in tokens)


def _texts(values: Sequence[object]) -> list[str]:
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def quasi_kind(column: object, values: Sequence[object], *, is_date: bool = False) -> str | None:
    """The quasi-identifier kind of a column, or None.

    ``values``: a sample of its non-null values; ``is_date``: the column holds dates (dtype or
    parsed share decided by the caller). Dates are classified by their column name only (an
    order date is no quasi-identifier); postcodes, ages and sexes also need fitting values.
    """
    tokens = lx.column_tokens(column)
    joined = "".join(tokens)
    if is_date:
        for kind, stems in _DATE_WORDS.items():
            if any(t in stems for t in tokens) or any(len(s) >= 5 and s in joined for s in stems):
                return kind
        return None
    texts = _texts(values)
    if not texts:
        return None
    if _has(tokens, _SEX_WORDS) or (len(set(lx.fold(t) for t in texts)) <= 4 and all(
            lx.fold(t) in _SEX_VALUES for t in set(texts))):
        distinct = {lx.fold(t) for t in texts}
        if len(distinct) <= 6:
            return "sex"
    if _has(tokens, _ETHNIC_WORDS) and len(set(texts)) <= 50:
        return "ethnicity"
    if _has(tokens, _POSTCODE_WORDS) or any(s in joined for s in _POSTCODE_STEMS):
        if sum(bool(_POSTCODE_VALUE.match(t)) for t in texts) >= 0.8 * len(texts):
            return "postcode"
    if _has(tokens, _AGE_WORDS):
        numbers = pd.to_numeric(pd.Series(texts), errors="coerce")
        if numbers.notna().mean() >= 0.9 and numbers.between(0, 125).mean() >= 0.9:
            return "age"
        if len(set(texts)) <= 30:  # age bands ("30-39")
            return "age"
    return None


def unique_combination_share(df: pd.DataFrame, columns: Sequence[str]) -> float:
    """Share of rows whose combination of values in ``columns`` occurs exactly once in ``df``.

    Nulls count as a value of their own. 0.0 for an empty frame or no columns (nothing singles
    a row out). Raises KeyError naming a column that is not in ``df``.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    if not columns or len(df) == 0:
        return 0.0
    codes = [pd.factorize(df[c], use_na_sentinel=False)[0] for c in columns]
    keys = np.stack(codes, axis=1)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    return float((counts[inverse.ravel()] == 1).mean())


def female_mask(series: pd.Series) -> np.ndarray:
    """Per row: 1.0 female, 0.0 male, NaN unknown, read from a sex/gender column's values."""
    out = np.full(len(series), np.nan)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([_SEX_VALUES.get(lx.fold(str(u).strip()), np.nan) for u in uniques],
                      dtype=float)
    present = codes >= 0
    out[present] = mapped[codes[present]]
    return out
