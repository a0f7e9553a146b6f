"""Build the final held-out PII set ``tests/data/pii-heldout-final/`` (Parquet + truth.json).

Built once, after the name detector's rules were frozen, and scored once: nothing was tuned on it.
Sources used nowhere before (not in ``../shared/pii-dev``, ``tests/data/pii-heldout``,
``tests/data/pii-heldout-faker``, the tests, or the tuning locales):

* Faker 40.54 locales never used so far (names; decoys: cities, countries, jobs, companies);
* mimesis 22.2 locales never used so far (names; decoys: cities, occupations, dishes);
* names written by hand for this set in other romanisations (Wade-Giles / Yale / McCune-Reischauer,
  Arabic and Russian variants, West African, Polynesian), none checked against the lexicon.

Layouts vary per table: not every table has all three name parts, names may be upper-case
("NOVAK"), "Last, First", or carry middle names and titles (Faker ``name()``). Column names follow
five conventions: opaque (``c1``..``cN``), camelCase abbreviations (``custFn``), German, Spanish
and Polish abbreviations. Decoys (cities, countries, jobs, companies, dishes, team codes,
categories, colours) must stay not-PII.

Run: ``.venv/bin/python benchmarks/make_pii_heldout_final.py``
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "pii-heldout-final"

#: column-name conventions: role -> column name
STYLES = {
    "opaque": None,  # c1..cN in shuffled order
    "camel": {"first": "custFn", "last": "custLn", "full": "custNm", "city": "cityNm",
              "country": "ctryNm", "job": "jobTtl", "company": "coNm", "dish": "prodNm",
              "team": "teamCd", "category": "catDesc", "colour": "clrNm"},
    "german": {"first": "vnm", "last": "nnm", "full": "pers_bez", "city": "ort", "country": "land",
               "job": "taetigk", "company": "firma_bez", "dish": "artikel", "team": "mannsch",
               "category": "kat", "colour": "farbe"},
    "spanish": {"first": "nom", "last": "ape1", "full": "nom_compl", "city": "ciudad",
                "country": "pais", "job": "puesto", "company": "empresa", "dish": "producto",
                "team": "equipo", "category": "categoria", "colour": "color"},
    "polish": {"first": "imie", "last": "nazw", "full": "osoba", "city": "miasto",
               "country": "kraj", "job": "zawod", "company": "firma", "dish": "produkt",
               "team": "druzyna", "category": "kategoria", "colour": "kolor"},
}

FAKER_LOCALES = ("en_IN", "th_TH", "tw_GH", "zu_ZA", "hy_AM", "az_AZ", "ne_NP", "bn_BD", "fil_PH",
                 "ga_IE", "es_CO", "fr_QC", "yo_NG", "sq_AL", "mk_MK", "is_IS", "mt_MT", "el_CY",
                 "ta_IN", "pt_PT", "ar_EG", "zh_TW", "nl_BE", "sr_BA")
MIMESIS_LOCALES = ("de", "en", "es", "fr", "pl", "sk", "kk", "is", "pt", "ko")

CATEGORIES = ["Standard shipping", "Express", "Gift wrap", "Pick-up in store", "Returned",
              "Back order", "Loyalty member", "Wholesale", "Online only", "Clearance"]

#: written by hand for this set (other romanisations); not looked up in the lexicon
HAND_FIRST = """Chih-hao Hsiu-ying Tzu-wei Kuo-chiang Mei-ling Chun-yu Hyŏn-u Sŏng-min Chŏng-hŭi
    Kyŏng-ja Yŏng-ho Mohamed Mohammed Muhammad Abdelaziz Abdulrahman Youssef Yusuf Khadija
    Fatma Aleksandr Alexandr Yevgeniy Evgeny Iurii Yuriy Nataliya Natalia Olesya Adebayo
    Oluwaseun Chukwuemeka Ngozi Chiamaka Babajide Folasade Kwabena Akosua Yaw Efua Tamatea
    Aroha Wiremu Keola Kalani Leilani Mahina Sione Losana Mereana""".split()
HAND_LAST = """Chang Hsu Teng Chou Tsai Kuo Pak Yi Ch'oe Chŏng Kang Yun El-Sayed Abdel-Rahman
    Al-Masri Ben Youssef Benali Haddad Bouazza Khodorkovskiy Tchaikovsky Chaykovskiy Shcherbakov
    Shcherbakova Yevtushenko Evtushenko Okonkwo Adeyemi Oyelaran Nwachukwu Mensah Asante Owusu
    Boateng Ngata Te Rangi Parata Kahananui Kealoha Fifita Tuilagi Vainikolo""".split()


def _columns(style: str, roles: list[str], rng: np.random.Generator) -> dict[str, str]:
    if STYLES[style] is None:
        order = rng.permutation(len(roles))
        return {role: f"c{int(i) + 1}" for role, i in zip(roles, order)}
    return {role: STYLES[style][role] for role in roles}


def _write(tables: dict[str, tuple[pd.DataFrame, dict, dict]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    truth, subtypes = {}, {}
    for name, (df, labels, subs) in tables.items():
        df.to_parquet(OUT / f"{name}.parquet")
        truth[name], subtypes[name] = labels, subs
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    (OUT / "subtypes.json").write_text(json.dumps(subtypes, indent=1, ensure_ascii=False))


def _table(rng: np.random.Generator, style: str, people: dict[str, list[str]],
           decoys: dict[str, list[str]]) -> tuple[pd.DataFrame, dict, dict]:
    roles = [*people, *decoys]
    cols = _columns(style, roles, rng)
    data = {cols[r]: v for r, v in {**people, **decoys}.items()}
    order = list(data)
    rng.shuffle(order)
    df = pd.DataFrame({c: data[c] for c in order})
    labels = {cols[r]: "PERSON" for r in people} | {cols[r]: None for r in decoys}
    subs = {cols[r]: f"{r}_name" for r in people}
    return df, labels, subs


def _people(rng: np.random.Generator, first: list[str], last: list[str], layout: int,
            full: list[str] | None = None) -> dict[str, list[str]]:
    """Name columns in one of five layouts (which parts, how written)."""
    if layout == 0:
        return {"first": first, "last": last, "full": [f"{a} {b}" for a, b in zip(first, last)]}
    if layout == 1:  # upper-case surnames, "LAST, First" full names
        return {"first": first, "last": [s.upper() for s in last],
                "full": [f"{b.upper()}, {a}" for a, b in zip(first, last)]}
    if layout == 2:  # only a full name (with titles and middle names where the source has them)
        return {"full": full or [f"{a} {b}" for a, b in zip(first, last)]}
    if layout == 3:  # first and last only
        return {"first": first, "last": last}
    return {"last": last, "full": [f"{b} {a}" for a, b in zip(first, last)]}  # family first


def faker_tables(rng: np.random.Generator, n: int = 500) -> dict:
    from faker import Faker

    tables = {}
    styles = list(STYLES)
    for i, locale in enumerate(FAKER_LOCALES):
        fk = Faker(locale)
        fk.seed_instance(int(rng.integers(0, 2**31)))
        female = rng.random(n) < 0.5
        first = [fk.first_name_female() if f else fk.first_name_male() for f in female]
        last = [fk.last_name() for _ in range(n)]
        full = [fk.name() for _ in range(n)]

        def safe(method: str) -> list[str]:
            try:
                return [str(getattr(fk, method)()) for _ in range(n)]
            except AttributeError:
                return []

        decoys = {"city": safe("city"), "country": safe("country"), "job": safe("job"),
                  "company": safe("company"), "colour": safe("color_name"),
                  "team": list(rng.choice(["NYR", "BOS", "TOR", "MTL", "CHI", "DET", "LAK"], n)),
                  "category": list(rng.choice(CATEGORIES, n))}
        decoys = {k: v for k, v in decoys.items() if v}
        people = _people(rng, first, last, i % 5, full)
        tables[f"fk_{locale.lower()}"] = _table(rng, styles[i % len(styles)], people, decoys)
    return tables


def mimesis_tables(rng: np.random.Generator, n: int = 500) -> dict:
    from mimesis import Address, Food, Generic, Person  # noqa: F401
    from mimesis.enums import Gender
    from mimesis.locales import Locale

    tables = {}
    styles = list(STYLES)
    for i, code in enumerate(MIMESIS_LOCALES):
        locale = Locale(code)
        seed = int(rng.integers(0, 2**31))
        person, address, food = Person(locale, seed=seed), Address(locale, seed=seed), \
            Food(locale, seed=seed)
        female = rng.random(n) < 0.5
        first = [person.first_name(Gender.FEMALE if f else Gender.MALE) for f in female]
        last = [person.last_name(Gender.FEMALE if f else Gender.MALE) for f in female]
        full = [person.full_name(Gender.FEMALE if f else Gender.MALE) for f in female]
        decoys = {"city": [address.city() for _ in range(n)],
                  "country": [address.country() for _ in range(n)],
                  "job": [person.occupation() for _ in range(n)],
                  "dish": [food.dish() for _ in range(n)],
                  "team": list(rng.choice(["A-1", "B-2", "RED", "BLUE", "U21", "SEN"], n))}
        people = _people(rng, first, last, (i + 2) % 5, full)
        tables[f"mim_{code.replace('-', '_')}"] = _table(rng, styles[(i + 1) % len(styles)],
                                                           people, decoys)
    return tables


def hand_table(rng: np.random.Generator, n: int = 400) -> dict:
    first = list(rng.choice(HAND_FIRST, n))
    last = list(rng.choice(HAND_LAST, n))
    people = _people(rng, first, last, 0)
    decoys = {"category": list(rng.choice(CATEGORIES, n)),
              "team": list(rng.choice(["NYR", "BOS", "TOR", "MTL"], n))}
    return {"hand_romanised": _table(rng, "opaque", people, decoys)}


def main() -> int:
    rng = np.random.default_rng(20261201)
    tables = {**faker_tables(rng), **mimesis_tables(rng), **hand_table(rng)}
    _write(tables)
    print(f"wrote {len(tables)} tables to {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
