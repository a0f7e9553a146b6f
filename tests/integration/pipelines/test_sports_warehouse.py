"""A sports warehouse shaped like a public baseball database publishes with default settings.

``players`` (text key like ``aardsda01``; separate first, last and given-name columns; a birth
country; dates of birth and death) with two child tables (``batting`` and ``fielding`` seasons). Some
players carry names that are also country names (Germany Schaefer played in 1901-1918): the
synthetic ``birthCountry`` column legitimately holds "Germany", which is no leak. First names must
land in the first-name column (not full names), and no source name in any name column.
"""

from __future__ import annotations

from tests.conftest import run_on
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from pipelines.cli import main

FIRST = ["Germany", "Ireland", "Honus", "Cy", "Walter", "Christy", "Nap", "Eddie", "Tris", "Babe",
         "Rogers", "Lefty", "Mordecai", "Zack", "Chief", "Home Run", "Addie", "Ed", "Rube", "Joe",
         "Sam", "Bill", "George", "Frank", "Harry", "John", "Jim", "Tom", "Fred", "Charlie",
         "Hideo", "Ichiro", "Sadaharu", "Yu", "Adrián", "José", "Vladimír", "Dariusz", "Ngozi",
         "Aarav", "Björn", "Siobhan", "Ramón", "Mateus", "Kwame", "Oleksandr", "Tomás", "Yadier"]
LAST = ["Schaefer", "France", "Wagner", "Young", "Johnson", "Mathewson", "Lajoie", "Collins",
        "Speaker", "Ruth", "Hornsby", "Grove", "Brown", "Wheat", "Bender", "Baker", "Joss",
        "Walsh", "Waddell", "Jackson", "Crawford", "Dahlen", "Kelley", "Chance", "Evers", "Tinker",
        "Nomo", "Suzuki", "Oh", "Darvish", "Beltré", "Altuve", "Guerrero", "Kowalczyk", "Okafor",
        "Patel", "Lindqvist", "O'Sullivan", "Hernández", "Moreira", "Mensah", "Shevchenko",
        "Pérez", "Molina", "Aardsma", "Aaron", "Abbott", "Ábalos", "Zimmerman", "Yastrzemski"]
COUNTRIES = ["USA", "USA", "USA", "USA", "Dominican Republic", "Venezuela", "Japan", "Germany",
             "France", "Ireland", "Canada", "Cuba", "Mexico", "Puerto Rico"]
TEAMS = ["NYA", "BOS", "CHN", "DET", "PHA", "PIT", "SLN", "CLE", "BRO", "NY1"]


def warehouse(path: Path, n: int = 3000, seed: int = 3) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    given = [f"{f} {rng.choice(FIRST)}" if rng.random() < 0.6 else f for f in first]
    ids = []
    for i, (f, l) in enumerate(zip(first, last)):
        stem = "".join(ch for ch in l.lower() if ch.isalpha())[:5] + "".join(
            ch for ch in f.lower() if ch.isalpha())[:2]
        ids.append(f"{stem}{i % 100:02d}{i // 100}")
    birth = pd.Timestamp("1860-01-01") + pd.to_timedelta(rng.integers(0, 140 * 365, n), unit="D")
    dead = rng.random(n) < np.clip((pd.Timestamp("2000-01-01") - birth).days / 36500, 0, 1)
    death = birth + pd.to_timedelta(rng.integers(50 * 365, 95 * 365, n), unit="D")
    players = pd.DataFrame({
        "playerID": ids, "nameFirst": first, "nameLast": last, "nameGiven": given,
        "birthCountry": rng.choice(COUNTRIES, n), "birthDate": birth,
        "deathDate": pd.Series(death).where(dead, pd.NaT),
        "weight": rng.integers(150, 250, n), "height": rng.integers(66, 79, n),
        "bats": rng.choice(["R", "L", "B"], n, p=[0.6, 0.3, 0.1]),
    })
    rows = []
    for pid, b in zip(ids, birth):
        start = b.year + int(rng.integers(20, 25))
        for year in range(start, start + int(rng.integers(1, 8))):
            rows.append((pid, year, rng.choice(TEAMS)))
    seasons = pd.DataFrame(rows, columns=["playerID", "yearID", "teamID"])
    k = len(seasons)
    batting = seasons.assign(G=rng.integers(1, 160, k), AB=rng.integers(0, 600, k))
    batting = batting.assign(H=(batting["AB"] * rng.uniform(0.15, 0.35, k)).astype(int))
    fielding = seasons.assign(POS=rng.choice(["P", "C", "1B", "2B", "3B", "SS", "OF"], k),
                              E=rng.integers(0, 30, k))
    batting.insert(0, "battingID", np.arange(1, k + 1))
    fielding.insert(0, "fieldingID", np.arange(1, k + 1))
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE players ("playerID" VARCHAR PRIMARY KEY, "nameFirst" VARCHAR, '
                '"nameLast" VARCHAR, "nameGiven" VARCHAR, "birthCountry" VARCHAR, '
                '"birthDate" DATE, "deathDate" DATE, weight INTEGER, height INTEGER, bats VARCHAR)')
    con.execute('CREATE TABLE batting ("battingID" BIGINT PRIMARY KEY, "playerID" VARCHAR '
                'REFERENCES players("playerID"), "yearID" INTEGER, "teamID" VARCHAR, '
                '"G" BIGINT, "AB" BIGINT, "H" BIGINT)')
    con.execute('CREATE TABLE fielding ("fieldingID" BIGINT PRIMARY KEY, "playerID" VARCHAR '
                'REFERENCES players("playerID"), "yearID" INTEGER, "teamID" VARCHAR, '
                '"POS" VARCHAR, "E" BIGINT)')
    for name, df in (("players", players), ("batting", batting), ("fielding", fielding)):
        con.register("df", df)
        con.execute(f"INSERT INTO {name} SELECT * FROM df")
        con.unregister("df")
    con.close()
    return {"players": players, "batting": batting, "fielding": fielding}


def test_sports_warehouse_publishes_with_defaults(tmp_path, capfd):
    (tmp_path / "data").mkdir()
    frames = warehouse(tmp_path / "data" / "wh.duckdb")
    catalog = {"warehouse": {"path": "data/wh.duckdb"},
               "tables": {"players": {}, "batting": {}, "fielding": {}}}
    cat = tmp_path / "tabletwin.yaml"
    cat.write_text(yaml.safe_dump(catalog))
    # the keys are the warehouse's, undeclared in the catalog: `tabletwin run` refreshes the key
    # cache the Dagster definitions read (the code location itself never opens the warehouse)
    code = run_on("2026-06-01", ["run", "--catalog", str(cat), "--date", "2026-06-01"])
    printed = capfd.readouterr()
    assert code == 0, printed.out[-3000:] + printed.err[-3000:]
    assert (tmp_path / "tabletwin.keys.yaml").is_file()
    con = duckdb.connect(str(tmp_path / "data" / "wh.duckdb"), read_only=True)
    syn = {t: con.execute(f"SELECT * FROM synthetic.{t}").df() for t in frames}
    con.close()
    src = frames["players"]
    names = set(src["nameFirst"]) | set(src["nameLast"]) | set(src["nameGiven"])
    names_folded = {v.casefold() for v in names}
    for col in ("nameFirst", "nameLast", "nameGiven"):
        leaked = syn["players"][col].dropna().str.casefold().isin(names_folded)
        assert not leaked.any(), f"{col}: {int(leaked.sum())} source names published"
    # first names in the first-name column: one word each (a few double first names exist)
    one_word = (syn["players"]["nameFirst"].dropna().str.split().str.len() == 1).mean()
    assert one_word > 0.9, one_word
    assert (syn["players"]["nameLast"].dropna().str.split().str.len() <= 2).mean() > 0.9
    # the country column keeps countries, Germany included (no false leak blocked it)
    assert set(syn["players"]["birthCountry"].dropna()) <= set(COUNTRIES)
    # children point at synthetic players; the text key keeps no source key
    keys = set(syn["players"]["playerID"])
    assert not keys & set(src["playerID"])
    for child in ("batting", "fielding"):
        assert syn[child]["playerID"].isin(keys).all()
    # the privacy officer's view: dates of birth and death flagged as quasi-identifiers, with the
    # share of rows they single out, real vs synthetic, in the report
    report = json.loads((tmp_path / "data" / "reports" / "players" / "2026-06-01.json").read_text())
    flagged = {c["column"] for c in report["pii_plan"]["columns"] if c.get("quasi_identifier")}
    assert {"birthDate", "deathDate"} <= flagged
    qi = report["quasi_identifiers"]
    assert set(qi["columns"]) >= {"birthDate", "deathDate"}
    assert 0.0 <= qi["synthetic_unique_share"] <= 1.0 and 0.0 <= qi["real_unique_share"] <= 1.0
    subtypes = {c["column"]: c.get("subtype") for c in report["pii_plan"]["columns"]}
    assert subtypes["nameFirst"] == "first_name" and subtypes["nameLast"] == "last_name"
