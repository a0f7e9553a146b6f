"""Name columns with opaque names, their subtypes, quasi-identifiers and name fakes per subtype.

Tables come from tests/data/pii-heldout (built by benchmarks/make_pii_heldout.py from name lists
the detector was not tuned on: US Census, Japanese names, nam_dict, mimesis).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabletwin.pii import detect_pii, mask_table
from tabletwin.pii.normalize import normalize_value
from tabletwin.pii.lexicon import first_names
from tabletwin.pii.quasi import female_mask, unique_combination_share

HELDOUT = Path(__file__).resolve().parents[2] / "data" / "pii-heldout"  # tests/data


@pytest.fixture(scope="module")
def patients():
    df = pd.read_parquet(HELDOUT / "us_patients.parquet")
    return df, detect_pii(df, table="us_patients")


def test_opaque_census_names_found_with_subtype(patients):
    _, plan = patients
    assert plan["c1"].entity == "PERSON" and plan["c1"].subtype == "first_name"
    assert plan["c2"].entity == "PERSON" and plan["c2"].subtype == "last_name"


def test_decoys_stay_not_pii(patients):
    _, plan = patients
    for column in ("c6", "c7", "c8", "c9"):  # cities, dishes, jobs, departments
        assert not plan[column].is_pii, column


def test_quasi_identifiers_flagged(patients):
    _, plan = patients
    assert plan["c3"].quasi_identifier and plan["c3"].evidence["quasi"] == "sex"
    assert not plan["c3"].is_pii and plan["c3"].action == "keep"
    assert plan["c5"].quasi_identifier is False  # an opaque 5-digit column: no name hint


@pytest.mark.parametrize("table, expected", [
    ("jp_members", {"f1": "first_name", "f2": "last_name", "f3": "full_name"}),
    ("mimesis_uk", {"im": "first_name", "prizv": "last_name", "pib": "full_name"}),
    ("us_staff", {"attr_1": "full_name", "attr_2": "full_name"}),
])
def test_other_cultures_and_shapes(table, expected):
    df = pd.read_parquet(HELDOUT / f"{table}.parquet")
    plan = detect_pii(df, table=table)
    for column, subtype in expected.items():
        assert (plan[column].entity, plan[column].subtype) == ("PERSON", subtype), column
    assert not any(plan[c].is_pii for c in df.columns if c not in expected)


def test_players_table():
    df = pd.read_parquet(HELDOUT / "players.parquet")
    plan = detect_pii(df, table="players")
    assert plan["nameFirst"].subtype == "first_name"
    assert plan["nameLast"].subtype == "last_name"
    assert not plan["country"].is_pii
    assert plan["birthDate"].quasi_identifier and plan["deathDate"].quasi_identifier
    masked = mask_table(df, plan, key=b"k" * 32, seed=1)
    # first names in the first-name column: one word each, never a source name
    assert (masked["nameFirst"].str.split().str.len() == 1).mean() > 0.97
    source = {normalize_value(v) for c in ("nameFirst", "nameLast", "nameGiven")
              for v in df[c]}
    for column in ("nameFirst", "nameLast", "nameGiven"):
        assert not {normalize_value(v) for v in masked[column]} & source, column
    assert (masked["country"] == df["country"]).all()


def _people(n=300, seed=3):
    rng = np.random.default_rng(seed)
    census = pd.read_parquet(HELDOUT / "us_patients.parquet")
    first, last = census["c1"].to_numpy()[:n], census["c2"].to_numpy()[:n]
    sex = census["c3"].to_numpy()[:n]
    return pd.DataFrame({
        "f": first, "l": last, "full": [f"{a} {b}" for a, b in zip(first, last)],
        "mail": [f"{a.lower()}.{b.lower()}@corp.example" for a, b in zip(first, last)],
        "sex": sex, "n": rng.integers(0, 9, n)})


def test_fakes_per_subtype_row_consistency_and_gender():
    df = _people()
    plan = detect_pii(df, table="people")
    assert plan["f"].subtype == "first_name" and plan["l"].subtype == "last_name"
    assert plan["full"].subtype == "full_name" and plan["mail"].entity == "EMAIL_ADDRESS"
    out = mask_table(df, plan, key=b"k" * 32, seed=5)
    assert (out["f"].str.split().str.len() == 1).all()
    assert (out["l"].str.split().str.len() == 1).all()
    # one fake person per row: full = first + last; the e-mail is built from it
    assert (out["full"] == out["f"] + " " + out["l"]).all()
    from tabletwin.pii.normalize import ascii_word
    hits = [ascii_word(f) in m.split("@")[0] or ascii_word(l) in m.split("@")[0]
            for f, l, m in zip(out["f"], out["l"], out["mail"])]
    assert np.mean(hits) > 0.95
    # first names agree with the sex column: women get names Faker lists as female
    from tabletwin.pii.fakes import _NAME_FALLBACKS
    from tabletwin.pii.fake_locales import locale_data as _locale
    female_names = {w for loc in ("en_US", *_NAME_FALLBACKS) for w in _locale(loc).first[0][0]}
    male_names = {w for loc in ("en_US", *_NAME_FALLBACKS) for w in _locale(loc).first[1][0]}
    women = female_mask(df["sex"]) == 1.0
    assert np.mean([v in female_names for v in out["f"][women]]) > 0.95
    assert np.mean([v in male_names for v in out["f"][~women]]) > 0.95
    # no fake equals a source value of that column
    for column in ("f", "l", "full", "mail"):
        src = {normalize_value(v) for v in df[column]}
        assert not {normalize_value(v) for v in out[column]} & src, column


def test_first_name_fakes_are_first_names():
    df = _people()[["f"]]
    plan = detect_pii(df.assign(x=range(len(df))), table="t")
    out = mask_table(df.assign(x=range(len(df))), plan, key=b"k" * 32, seed=2)
    from tabletwin.pii.lexicon import fold
    assert np.mean([fold(v) in first_names() for v in out["f"]]) > 0.95


def test_unique_combination_share():
    df = pd.DataFrame({"zip": ["1", "1", "2", "3", None, None],
                       "sex": ["F", "F", "M", "M", "F", "F"]})
    assert unique_combination_share(df, ["zip", "sex"]) == pytest.approx(2 / 6)
    assert unique_combination_share(df, ["sex"]) == 0.0
    assert unique_combination_share(df, []) == 0.0
    assert unique_combination_share(df.iloc[:0], ["zip"]) == 0.0
    with pytest.raises(KeyError):
        unique_combination_share(df, ["nope"])


def test_quasi_by_column_name():
    df = pd.DataFrame({
        "zip_code": [f"{i:05d}" for i in range(100, 160)],
        "age": list(range(20, 80)),
        "gender": ["female", "male"] * 30,
        "admission_date": pd.date_range("2020-01-01", periods=60),
        "order_date": pd.date_range("2020-01-01", periods=60),
        "ethnicity": ["a", "b", "c"] * 20,
    })
    plan = detect_pii(df, table="t")
    kinds = {d.column: d.evidence.get("quasi") for d in plan.columns if d.quasi_identifier}
    assert kinds == {"zip_code": "postcode", "age": "age", "gender": "sex",
                     "admission_date": "admission_date", "ethnicity": "ethnicity"}


# --------------------------------------------------------------------------------------------------
# precision rules: firms built from surnames, templated places, and first vs last side by side
# --------------------------------------------------------------------------------------------------

_SURNAMES = ["Smith", "Müller", "Nguyen", "Kowalski", "Rossi", "Jensen", "Novák", "García",
             "Schmidt", "Dubois", "Larsen", "Horvath", "Petrov", "Tanaka", "Silva", "Moreau",
             "Bauer", "Kovač", "Berg", "Olsen", "Fischer", "Lopez", "Martin", "Wagner", "Weber"]
_GIVEN = ["Anna", "Peter", "Maria", "John", "Eva", "Lukas", "Sofia", "Jan", "Elena", "David",
          "Laura", "Tomas", "Clara", "Marco", "Julia", "Pavel", "Nina", "Oskar", "Ida", "Hugo",
          "Lena", "Ivan", "Marta", "Felix", "Rosa"]


def _column(values: list[str], n: int = 300, seed: int = 1) -> list[str]:
    return list(np.random.default_rng(seed).choice(np.array(values, dtype=object), n))


def test_company_names_built_from_surnames_are_not_people():
    forms = ["Ltd", "GmbH", "& Sons", "Group", "LLC", "S.A.", "AS", "s.r.o.", "Holding", "PLC"]
    firms = [f"{s} {f}" for s in _SURNAMES for f in forms[:4]] + [
        f"{a}, {b} and {c}" for a, b, c in zip(_SURNAMES, _SURNAMES[3:], _SURNAMES[7:])] + [
        f"{a} & {b}" for a, b in zip(_SURNAMES, _SURNAMES[1:])]
    d = detect_pii(pd.DataFrame({"c4": _column(firms)}))["c4"]
    assert not d.is_pii, d.evidence
    # the same surnames alone are a last-name column
    d = detect_pii(pd.DataFrame({"c4": _column(_SURNAMES * 2 + ["Ortega", "Meyer", "Costa"])}))
    assert d["c4"].entity == "PERSON" and d["c4"].subtype == "last_name"


def test_templated_places_made_of_names_are_not_people():
    towns = [f"{p} {g}" for p in ("North", "Port", "West", "Lake", "Fort") for g in _GIVEN]
    d = detect_pii(pd.DataFrame({"c2": _column(towns)}))["c2"]
    assert not d.is_pii, d.evidence
    # a full-name column whose family names repeat a lot (family name first) stays a name column
    people = [f"{s} {g}" for s in _SURNAMES[:5] for g in _GIVEN]
    d = detect_pii(pd.DataFrame({"c2": _column(people)}))["c2"]
    assert d.entity == "PERSON" and d.subtype == "full_name"


def test_compound_surnames_stay_last_names():
    # a quarter of the surnames have two words: still a last-name column, not full names
    compound = [f"{a} {b}" for a, b in zip(_SURNAMES[:8], _SURNAMES[8:16])]
    rng = np.random.default_rng(2)
    values = list(rng.choice(np.array(_SURNAMES + ["Ortega", "Meyer", "Costa", "Lund"]), 225)) + \
        list(rng.choice(np.array(compound), 75))
    d = detect_pii(pd.DataFrame({"c9": values}))["c9"]
    assert d.entity == "PERSON" and d.subtype == "last_name", d.evidence


def test_georgian_script_full_names_found():
    # Georgian letters count as lower case in Unicode; the script has no capitals
    given = ["გიორგი", "ნინო", "დავით", "მარიამ", "ლევან", "ანა", "ზურაბ", "თამარ", "ნიკა", "ეკა"]
    family = ["ბერიძე", "კაპანაძე", "გელაშვილი", "მაისურაძე", "ლომიძე", "ჯაფარიძე",
              "ხარაიშვილი", "ნოზაძე", "ცერცვაძე", "ქავთარაძე"]
    full = [f"{g} {f}" for g in given for f in family]
    d = detect_pii(pd.DataFrame({"c3": _column(full)}))["c3"]
    assert d.entity == "PERSON" and d.subtype == "full_name", d.evidence


def test_first_vs_last_decided_side_by_side():
    given = ["Lan", "Hùng", "Minh", "Thảo", "Dũng", "Hoa", "Tuấn", "Mai", "Phương", "Quang",
             "Linh", "Sơn", "Hải", "Trang", "Nam", "Hương", "Long", "Yến", "Đức", "Vy"]
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
              "Dương", "Lý", "Phan", "Võ"]
    rng = np.random.default_rng(4)
    n = 400
    g, f = rng.choice(given, n), rng.choice(family, n)
    plan = detect_pii(pd.DataFrame({"a1": g, "a2": f, "a3": [f"{x} {y}" for x, y in zip(f, g)]}))
    assert plan["a1"].subtype == "first_name" and plan["a2"].subtype == "last_name"
    assert plan["a3"].subtype == "full_name"


def test_faker_word_sets_cached_on_disk(tmp_path, monkeypatch):
    from tabletwin.pii import lexicon as lx

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def words():
        calls.append(1)
        return frozenset({"anna", "novak"})

    assert lx._disk_cached(words)() == {"anna", "novak"}
    assert lx._disk_cached(words)() == {"anna", "novak"}  # a fresh wrapper, as in a new process
    assert len(calls) == 1 and list((tmp_path / "tabletwin").glob("words-faker*.pickle"))
    for f in (tmp_path / "tabletwin").iterdir():
        f.write_bytes(b"not a pickle")  # a damaged cache is rebuilt, not trusted
    assert lx._disk_cached(words)() == {"anna", "novak"} and len(calls) == 2
