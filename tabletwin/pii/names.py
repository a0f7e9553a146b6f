"""Column-level evidence that a column holds people's names, and which part (first, last, full).

Why not per value: a real name column has a long tail of rare names that no dictionary holds, so
value-by-value matching misses it; and many single words are names *and* something else ("Paris",
"Jordan", "Brown"). A column is judged as a whole, over its distinct sampled values:

* shape: share of values that are one word of letters (a first or last name) or two to four such
  words (a full name, also "Surname, Given"), no digits;
* lexicon: share of distinct values (or of their first / last words) in the shipped name lexicon
  (names-dataset, 106 countries, see :mod:`.namelex`) or in Faker's name lists;
* negatives: share of distinct values that are places (cities, countries, states) and
  placeholder words; a column mostly of places is no name column even when places are also names;
  share of organisations (a legal form such as "Ltd", "GmbH", "ООД" from cleanco's table, "&",
  "and"/"og"/"và" between names, "Group"): company names are often built from surnames; share of
  "templated" values (a frequent word in first or last position that is no strong name: "Port X",
  "West X", "X Group"), which marks generated places, companies and products;
* spread: enough distinct values (categories, team codes and colours repeat a few values);
* first vs last: per word, whether the lexicon ranks it higher as a first or as a last name.

:func:`name_evidence` returns the figures; :func:`classify` turns them into a subtype (or None);
``detect`` also lets a weaker candidate through when another column of the same table is a
confident name column (a last-name column next to a first-name column).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import regex

from tabletwin.pii import lexicon as lx
from tabletwin.pii import namelex

_WORD = regex.compile(r"^\p{L}[\p{L}\p{M}'’\-]*\.?$")
_SPLIT = regex.compile(r"[\s,]+")

#: Words that start or mark place names, beyond :data:`lexicon.GEO_WORDS` ("Nueva Uganda").
_PLACE_WORDS = lx.GEO_WORDS | frozenset(
    "nueva nuevo vieja viejo ciudad villa vila puerto porto sankt bad neu alt nowa nowy stara "
    "stary city town ville village county".split())

#: Words meaning "group", "company", "holding" in several languages (whole words, folded), beside
#: cleanco's legal forms: in generated and real company names they stand where a legal form would.
_ORG_WORDS = lx.ORG_WORDS | frozenset(lx.fold(w) for w in """group groupe gruppe grupo gruppo
    grupa groep grupp koncern konzern holding holdings industries enterprises international
    associates partners sons brothers bros tnhh ооо оао зао пао ооод ood ead еад
    тов пп ип группа група холдинг корпорация компания شركة شرکت مؤسسة گروه مجموعة""".split())

#: Conjunctions that join several surnames into a firm's name ("Berg og Jensen", "Nguyễn và Lê").
#: Not "y"/"e": they join the two family names of one Spanish or Portuguese person.
_CONJUNCTIONS = frozenset(lx.fold(w) for w in """and und og och en et y e i és es ja un ir și si
    ve va và a и і та""".split())

#: Several-word phrases meaning "company" / "group" ("Công ty", "Tập đoàn"), folded.
_ORG_PHRASES = ("cong ty", "tap đoan", "tap doan", "& co", "and co", "and company")

#: Substrings that mark an organisation in scripts written without spaces (CJK).
_ORG_SUBSTRINGS = ("公司", "集团", "株式会社", "有限会社", "주식회사", "(주)")

#: Fewest distinct values for a column to be judged by its values alone (no name hint).
MIN_DISTINCT = 20


@dataclass(frozen=True)
class NameEvidence:
    """Figures over a column's sampled values (no values are kept)."""

    distinct: int = 0
    rows: int = 0
    single: float = 0.0  # share of values that are one letters-only word
    multi: float = 0.0  # share of values that are 2-4 letters-only words
    known: float = 0.0  # share of distinct single words in a name lexicon
    first_pref: float = 0.0  # share of distinct single words ranked rather as first names
    last_pref: float = 0.0  # ... rather as last names
    full_known: float = 0.0  # share of distinct multi-word values with known first AND last word
    full_some: float = 0.0  # ... with a known first OR last word
    places: float = 0.0  # share of distinct values that are places
    common: float = 0.0  # share of distinct values that are placeholder/common words
    orgs: float = 0.0  # share of distinct values that look like organisations
    lower: float = 0.0  # share of distinct capitalised values with a later lower-case word
    templated: float = 0.0  # share of distinct multi-word values with a frequent non-name affix

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _info(word: str) -> tuple[int, int]:
    """(first strength, last strength) 0..3 of a word from the lexicon and Faker's lists.

    A word in another script is also looked up transliterated (anyascii: "Олександр" ->
    "oleksandr"), since the lexicon's sources hold many names only in Latin script.
    """
    key = lx.fold(word.rstrip("."))
    entry = namelex.lookup(key)
    first, last = entry.first, entry.last
    if not key.isascii() and not (first and last):
        from anyascii import anyascii

        latin = namelex.lookup(lx.fold(anyascii(key)))
        first, last = max(first, latin.first), max(last, latin.last)
    if key in lx.first_names():
        first = max(first, 2)
    if key in lx.last_names():
        last = max(last, 2)
    return first, last


def _is_lower_word(word: str) -> bool:
    """A lower-case word in a script that capitalises names (Latin, Greek, Cyrillic, Armenian).

    Georgian Mkhedruli letters count as lower case in Unicode but the script has no capitals
    in names, so ``str.islower`` alone would call every Georgian name a lower-case word.
    """
    return word.islower() and bool(_CASED_SCRIPT.match(word))


_CASED_SCRIPT = regex.compile(r"^[\p{Latin}\p{Greek}\p{Cyrillic}\p{Armenian}]")


@functools.cache
def _legal_forms() -> frozenset[str]:
    """Company legal forms of many countries ("ltd", "gmbh", "s.r.o.", "ооо"), from cleanco.

    Why cleanco: it keeps a per-country table of legal-entity terms (ISO 20275-like) that we
    would otherwise copy by hand.
    """
    from cleanco.clean import get_unique_terms

    return frozenset(lx.fold(t.strip()) for t in get_unique_terms())


def is_org_like(text: str) -> bool:
    """A company-like value: legal form, "&", a conjunction between names, a "group" word."""
    if "&" in text or "+" in text or any(s in text for s in _ORG_SUBSTRINGS):
        return True
    tokens = [t for t in _SPLIT.split(text.strip()) if t]
    if len(tokens) < 2:
        return False
    folded = [lx.fold(t) for t in tokens]
    forms = _legal_forms()
    for size in (1, 2, 3):
        for part, raw in ((folded[-size:], tokens[-size:]), (folded[:size], tokens[:size])):
            if size >= len(tokens):
                continue
            term = " ".join(part)
            if term in forms or term.rstrip(".") in forms:
                # two-letter forms ("AS", "AD", "SA") only in capitals: "Da", "Ba" are names
                if len(term.replace(".", "")) > 2 or all(r.isupper() for r in raw):
                    return True
    if any(f.rstrip(".") in _ORG_WORDS for f in folded):
        return True
    joined = f" {' '.join(folded)} "
    if any(f" {phrase} " in joined for phrase in _ORG_PHRASES):
        return True
    return len(tokens) >= 3 and any(f in _CONJUNCTIONS for f in folded[1:-1])


def _lower_inside(text: str) -> bool:
    """A capitalised value with a later lower-case word that is no name particle ("Smažený sýr",
    "Brandýs nad Orlicí", "Mai Công ty Hợp danh"): dishes, places, firms, not people.

    All-lower-case values ("john smith") say nothing: whole columns are often lower-cased.
    """
    tokens = [t for t in _SPLIT.split(text.strip()) if t]
    if len(tokens) < 2 or not tokens[0][:1].isupper():
        return False
    return any(_is_lower_word(t) and lx.fold(t) not in lx.NAME_PARTICLES for t in tokens[1:])


def _templated_share(multi: list[list[str]]) -> float:
    """Share of multi-word values whose first or last word is a frequent word that is no strong
    name ("Port X", "West X", "X Group", "روستای X").

    In a full-name column the frequent first or last words are common given or family names
    (strong in the lexicon, even when family names come first as in Vietnamese "Nguyễn ...");
    in generated places, companies and products they are fixed affixes.
    """
    if len(multi) < 10:
        return 0.0
    floor = max(3, int(0.05 * len(multi)))
    best = 0.0
    # titles and initials ("Dr.", "Prof.", "J.") belong to names; they are no affix
    multi = [kept for ws in multi if (kept := [
        f for w in ws if (f := lx.fold(w).rstrip(".")) not in lx.HONORIFICS and len(f) > 1])]
    if len(multi) < 10:
        return 0.0
    for position in (0, -1):
        words = [ws[position] for ws in multi]
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        affixes = {w for w, c in counts.items() if c >= floor and max(_info(w)) < 2}
        best = max(best, sum(w in affixes for w in words) / len(multi))
    return best


def _words(text: str) -> list[str] | None:
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    parts = [p for p in parts if not (_is_lower_word(p) and lx.fold(p) in lx.NAME_PARTICLES)]
    if not parts or not all(_WORD.match(p) for p in parts):
        return None
    return parts


def name_evidence(texts: list[str]) -> NameEvidence:
    """Shape, lexicon and negative figures of a column's sampled texts."""
    if not texts:
        return NameEvidence()
    n = len(texts)
    distinct = list(dict.fromkeys(texts))
    split = {t: _words(t) for t in distinct}
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    single_vals = [t for t in distinct if split[t] is not None and len(split[t]) == 1]
    multi_vals = [t for t in distinct if split[t] is not None and 2 <= len(split[t]) <= 4]
    single = sum(counts[t] for t in single_vals) / n
    multi = sum(counts[t] for t in multi_vals) / n
    known = first_pref = last_pref = 0
    for t in single_vals:
        f, s = _info(t)
        known += bool(f or s)
        first_pref += f > s
        last_pref += s > f
    full_known = full_some = 0
    for t in multi_vals:
        ws = split[t]
        assert ws is not None
        if "," in t:  # "Surname, Given"
            ws = ws[1:] + ws[:1]
        head, tail = _info(ws[0]), _info(ws[-1])
        # given name first, or family name first (Japan, China, Korea, Hungary, Vietnam)
        full_known += bool((head[0] and (tail[1] or tail[0])) or (head[1] and tail[0]))
        full_some += bool(head[0] or head[1] or tail[0] or tail[1])
    lorem = lx.lorem_words()
    def place_like(t: str) -> bool:
        ws = split[t] or []
        return namelex.lookup(lx.fold(t)).place or (len(ws) >= 2 and any(
            lx.fold(w) in _PLACE_WORDS or (_is_lower_word(w) and len(w) > 3) for w in ws))

    places = sum(place_like(t) for t in distinct)
    common = sum(lx.fold(t) in lorem or any(lx.fold(w) in lorem for w in (split[t] or [])[1:])
                 for t in distinct)
    orgs = sum(is_org_like(t) for t in distinct)
    lower = sum(_lower_inside(t) for t in distinct)
    templated = _templated_share([split[t] for t in multi_vals])  # type: ignore[misc]
    ns, nm, nd = max(len(single_vals), 1), max(len(multi_vals), 1), len(distinct)
    return NameEvidence(distinct=nd, rows=n, single=single, multi=multi, known=known / ns,
                        first_pref=first_pref / ns, last_pref=last_pref / ns,
                        full_known=full_known / nm, full_some=full_some / nm,
                        places=places / nd, common=common / nd, orgs=orgs / nd, lower=lower / nd,
                        templated=templated)


def vetoed(ev: NameEvidence) -> bool:
    """Values that are mostly places, placeholder words, organisations or templated phrases."""
    return (ev.places >= 0.35 or ev.common >= 0.3 or ev.orgs >= 0.2 or ev.lower >= 0.3
            or (ev.templated >= 0.3 and ev.multi >= 0.5))


def single_subtype(ev: NameEvidence) -> str:
    """first_name or last_name for a column of single names."""
    return "first_name" if ev.first_pref > ev.last_pref else "last_name"


def classify(ev: NameEvidence, *, hint: str | None = None, strict: bool = True) -> str | None:
    """Subtype of a name column (``first_name``, ``last_name``, ``full_name``) or None.

    ``strict=False`` is the weaker bar used when another column of the table is a confident name
    column, or the column name hints at a name.
    """
    if ev.distinct < (MIN_DISTINCT if strict and not hint else 5):
        return None
    if vetoed(ev):
        return None
    if not strict and not hint and ev.distinct < 0.1 * ev.rows:  # a few repeated values
        return None
    if ev.single >= 0.9 or (ev.single >= 0.6 and ev.single + ev.multi >= 0.9
                            and ev.places < 0.15 and ev.lower < 0.05
                            and ev.distinct >= 0.1 * ev.rows):
        # single names, some compound ("Abu Madyan", "de la Cruz", "García Márquez"); places
        # ("Novi Marof"), dishes ("Smažený sýr", "Su Böreği") and other categories (few
        # values, repeated) also mix one and two words
        need = 0.6 if strict else 0.5
        if ev.known >= need:
            return single_subtype(ev)
        return None
    if ev.multi >= 0.7 and ev.single + ev.multi >= 0.9:  # mostly several words
        # most values with a known given or family name, many with both known
        if (ev.full_known >= 0.5 and ev.full_some >= 0.8) or (
                ev.full_known >= 0.3 and ev.full_some >= 0.9) or (
                not strict and ev.full_some >= 0.6):
            return "full_name"
    return None
