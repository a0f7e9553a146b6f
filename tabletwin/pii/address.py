"""Street addresses inside text, found by shape (offline, no NLP model, no Presidio).

:func:`find_addresses` finds street addresses with a house number and postal boxes by their shape,
in several languages and formats, and extends each over a unit ("Apt 4", "Appartamento 17") and a
locality with its postcode ("Springfield, IL 62704", "75002 Paris", "1017 GC Amsterdam"):

* number first: "1578 Oak Street", "221B Baker St.", "12, rue de la Paix", "25 Avenida Paulista",
  "1409 Musterstraße", lower-case "1578 oak street";
* street type first, then the name and the number: "Via Roma 10", "Calle Mayor 3", "Rua Augusta
  100", "Av do Tejo, 799", "ul. Długa 12", "Aleea Preda Nr. 34";
* name then number: compound names "Musterstraße 14", "Hauptstr. 5", "Kerkstraat 12",
  "Lucasboulevard 7", "Kimbaan 3", "Jens-Drubin-Straße 47-26"; "Kossuth utca 12."; Czech-style
  "Březová 502" when the word looks like a street (dictionary, adjectival ending, preposition,
  accents) and is no lorem-ipsum word;
* postal boxes: "PO Box 1234", "Postfach 10 20", "Apartado 55", military "PSC 1234, Box 5678, APO AE
  09012".

The vocabulary (street types, compound endings, unit words) is the lexicon's
(:mod:`tabletwin.pii.lexicon`, built from Faker's address providers of many locales) plus the
lists below. Written here rather than with ``usaddress``: that library parses one US address at a
time and does not find addresses inside text nor handle other locales' word order.

:class:`~tabletwin.pii.recognizers.street_address.StreetAddressRecognizer` wraps
:func:`find_addresses` for Presidio (entity ``LOCATION``).
Scores follow Presidio's convention: 0.7-0.8 for a street type or a postal box, weaker shapes
(0.25-0.6) count only with a column-name hint or inside text at the ``LOCATION`` threshold.
"""

from __future__ import annotations

import regex

from tabletwin.pii import lexicon as lx

__all__ = ["find_addresses", "has_street_word"]

Span = tuple[int, int, float]


def _folded(words: str) -> frozenset[str]:
    return frozenset(lx.fold(w) for w in words.split())


#: Endings of compound street names: the lexicon's plus German, Dutch and Scandinavian ones it
#: lacks ("Lucasboulevard", "Kimbaan", "Livhof", "Am Burggraben", "Mühlenkamp", "Seeufer").
COMPOUND_SUFFIXES: tuple[str, ...] = tuple(dict.fromkeys((
    *lx.STREET_COMPOUND_SUFFIXES, "boulevard", "baan", "hof", "pad", "dreef", "wal", "markt",
    "plantsoen", "kamp", "ufer", "steig", "stieg", "graben", "zeile", "chaussee", "passage",
    "promenade", "straße", "strasse", "pfad", "brink", "erf", "singel", "kade", "vej", "gade",
)))
#: Unit and floor words after a street ("Apt 4", "Appartamento 17", "Piano 3", "Whg. 2", "bus 3").
UNIT_WORDS: frozenset[str] = lx.UNIT_WORDS | _folded(
    "appartamento app appt interno int scala piano wohnung etage stock escalera esc puerta pta "
    "bajo planta andar apartamento apto bloco lote casa bus bte boîte bâtiment bât étage porte "
    "lgh tür top stiege")
#: Street types that start a name, beyond the lexicon's ("Rotonda Virginia, 58", "Canale Dossi").
EXTRA_PREFIXES: frozenset[str] = _folded(
    "canale rotonda stretto piazzetta salita rione fondamenta lungotevere borgata frazione "
    "carrer avinguda passeig rambla camí cami urbanización calçada calcada largo lugar quinta "
    "sentier square cité cite résidence residence hameau lieu-dit r")
#: Street types of two letters or fewer that count without their dot, before a house number.
SHORT_PREFIXES: frozenset[str] = _folded("av r")
#: Prepositions that start street names: the lexicon's and German ones it lacks ("Unter den
#: Linden", "Hinter der Mauer"); none that is also an English word.
PREPOSITIONS: frozenset[str] = lx.STREET_PREPOSITIONS | _folded("unter hinter über vor")
#: Articles between a street preposition and the name ("An der Alster", "Unter den Linden").
STREET_ARTICLES: frozenset[str] = _folded("der die das dem den")
#: Long street types that end a lower-case street name ("1578 oak street").
LOWER_STREET_TYPES: frozenset[str] = _folded(
    "street avenue road lane drive boulevard court place terrace parkway highway crescent "
    "straße strasse weg gasse allee platz")



_ADDR_TOKEN = regex.compile(
    r"(?P<num>\d{1,5}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?(?![\d\p{L}]))"
    r"|(?P<word>\p{L}[\p{L}\p{M}'’\-]*\.?)"
    r"|(?P<comma>,)|(?P<nl>\n)|(?P<other>[^\s\p{L}\d])|(?P<longnum>\d+)"
)
_POSTCODE = regex.compile(
    r"\d{4,6}(?:-\d{3,4})?|\d{3} \d{2}|\d{2}-\d{3}|\d{4} ?\p{Lu}{2}"
    r"|\p{Lu}{1,2}\d[\p{Lu}\d]? \d\p{Lu}{2}"
)


_HOUSE_SPLIT = regex.compile(r"[/-]")  # "47-26", "5/7": the house number is the first part


class _ATok:
    __slots__ = ("kind", "start", "end", "text", "key", "cap")

    def __init__(self, kind: str, start: int, end: int, text: str):
        self.kind, self.start, self.end, self.text = kind, start, end, text
        self.key = lx.fold(text.rstrip("."))
        self.cap = text[:1].isupper()


def _addr_tokens(text: str) -> list[_ATok]:
    out = []
    for m in _ADDR_TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        out.append(_ATok("num" if kind == "longnum" else kind, m.start(), m.end(), m.group()))
    return out


def _spaced(text: str, a: _ATok, b: _ATok) -> bool:
    gap = text[a.end:b.start]
    return not gap.strip() and "\n" not in gap


def _is_word(t: _ATok) -> bool:
    return t.kind == "word"


def _is_street_word(t: _ATok, strict: bool = False) -> bool:
    """A street-type word; with ``strict``, a capitalised abbreviation needs its dot ("Nám.")."""
    if t.kind != "word" or t.key not in lx.street_suffixes():
        return False
    return not strict or len(t.key) > 3 or t.text.endswith(".") or t.text.islower()


def _compound_street(t: _ATok) -> bool:
    """A capitalised compound street name: a stem of three letters or more before a street
    ending ("Hauptstraße"), or of two before a longer ending that makes no everyday word
    ("Bosteeg", "Bostraat"; not "Boring": "ring" is too short)."""
    if t.kind != "word" or not t.cap or len(t.key) <= 5:
        return False
    for s in COMPOUND_SUFFIXES:
        if t.key.endswith(s):
            stem = len(t.key) - len(s)
            if stem >= 3 or (stem == 2 and len(s) >= 5 and t.key not in lx.lorem_words()):
                return True
    return False


def _street_like_word(t: _ATok) -> float:
    """How much a capitalised word (before a house number) looks like a street name."""
    if t.key in lx.lorem_words():
        return 0.0
    if t.key in lx.street_names():
        return 0.7
    if any(t.key.endswith(lx.fold(e)) for e in lx.STREET_ENDINGS) and len(t.key) > 4:
        return 0.6
    if not t.text.isascii():
        return 0.5
    return 0.25


def _next_num(text: str, toks: list[_ATok], j: int) -> int | None:
    """Index of a house number at ``j`` (after an optional comma and "Nr."/"nº"), else None."""
    if j < len(toks) and toks[j].kind == "comma":
        j += 1
    if j < len(toks) and toks[j].kind == "word" and toks[j].key in lx.NUMBER_MARKERS:
        j += 1
    if j < len(toks) and toks[j].kind == "num" and len(_HOUSE_SPLIT.split(toks[j].text)[0]) <= 5:
        return j
    return None


Core = tuple[int, float]  # index of the last token of a street core, score


def _number_first(text: str, toks: list[_ATok], i: int) -> Core | None:
    """"12, rue de la Paix", "25 Avenida Paulista", "6661 Burgess Ramp", "12 Main St."."""
    n = len(toks)
    j = i + 1
    if j < n and toks[j].kind in ("comma", "nl"):
        j += 1
    if j >= n or not _is_word(toks[j]) or toks[j].key in UNIT_WORDS:
        return None
    if toks[j].key in lx.STREET_PREFIXES:  # street type first, then the name
        k, last_cap = j + 1, None
        while (k < n and _is_word(toks[k]) and k - j <= 5
               and _spaced(text, toks[k - 1], toks[k])):
            if toks[k].cap:
                last_cap = k
            elif toks[k].key not in lx.NAME_PARTICLES and toks[k].key not in {"des", "d'"}:
                break
            k += 1
        if last_cap is not None:
            return last_cap, 0.75
    if _compound_street(toks[j]):  # "1409 Musterstraße", "14 Kerkstraat"
        return j, 0.7
    k, best = j, None  # capitalised name, then the street type
    while k < n and _is_word(toks[k]) and k - j < 5:
        if k > j and not _spaced(text, toks[k - 1], toks[k]):
            break
        if not toks[k].cap and toks[k].key not in lx.street_suffixes():
            break
        if k > j and _is_street_word(toks[k]):
            best = k
        k += 1
    if best is None:
        best = _lower_case_street(text, toks, j)
    return (best, 0.7) if best is not None else None


def _prefix_first(text: str, toks: list[_ATok], i: int) -> Core | None:
    """"Via Roma 5", "Rua Maria Oliveira, 12", "ul. Długa 12", "Aleea Preda Nr. 34"."""
    t, n = toks[i], len(toks)
    if t.key not in lx.street_prefixes() and t.key not in EXTRA_PREFIXES:
        return None
    short = not (len(t.key) > 2 or t.text.endswith("."))
    k = i + 1
    if t.key == "c" and k < n and toks[k].text == "/" and t.cap:  # Spanish "C/ Mayor 3"
        k, short = k + 1, False
    if short and t.key not in SHORT_PREFIXES:
        return None
    while k < n and _is_word(toks[k]) and k - i <= 5 and _spaced(text, toks[k - 1], toks[k]):
        if toks[k].key in lx.NUMBER_MARKERS or not (
                toks[k].cap or toks[k].key in lx.NAME_PARTICLES):
            break
        k += 1
    while k > i + 1 and not toks[k - 1].cap:
        k -= 1
    if k == i + 1:
        return None
    num = _next_num(text, toks, k)
    if num is not None:
        return num, 0.75
    return (k - 1, 0.45) if t.key in lx.STREET_PREFIXES and t.cap and not short else None


def _name_then_number(text: str, toks: list[_ATok], i: int) -> Core | None:
    """"Hauptstraße 5", "Kossuth utca 12.", "Nad Krocínkou 4", "Březová 502"."""
    t, n = toks[i], len(toks)
    k, words = i, []
    if t.key in PREPOSITIONS and t.cap:  # "Am Markt 3", "An der Alster 9"
        a = i + 2 if i + 2 < n and toks[i + 1].key in STREET_ARTICLES else i + 1
        if a < n and _is_word(toks[a]) and toks[a].cap:
            k = a
    elif t.key in PREPOSITIONS and i + 1 < n and _is_word(toks[i + 1]) \
            and toks[i + 1].cap:
        k = i + 1
    while k < n and _is_word(toks[k]) and len(words) < 3:
        if words and not _spaced(text, toks[k - 1], toks[k]):
            break
        if not (toks[k].cap or toks[k].key in lx.street_suffixes()):
            break
        words.append(toks[k])
        k += 1
    if not words:
        return None
    num = _next_num(text, toks, k)
    if num is None or (k < n and toks[k].kind == "comma" and not words[-1].cap):
        return None
    if any(_compound_street(w) or (_is_street_word(w, strict=True) and w is not words[0])
           for w in words):
        return num, 0.7
    if words[0].key in lx.lorem_words():
        return None
    if lx.fold(text[t.start:words[-1].end].rstrip(".")) in lx.street_names():
        return num, 0.7
    score = max(_street_like_word(w) for w in words)
    if k - len(words) > i:  # led by a preposition
        score = max(score, 0.6)
    return num, score


def _match_at(text: str, toks: list[_ATok], i: int) -> Core | None:
    """The street core starting at token ``i``, if any."""
    t = toks[i]
    if t.kind == "num":
        return _number_first(text, toks, i)
    if not _is_word(t) or not (t.cap or t.key in lx.STREET_PREFIXES):
        return None
    return _prefix_first(text, toks, i) or _name_then_number(text, toks, i)


def _tail(text: str, toks: list[_ATok], j: int) -> int:
    """Extend a street core ending at token ``j`` over a unit and a locality ("Apt. 5, Paris")."""
    n = len(toks)
    k = j + 1
    u = k + (1 if k < n and toks[k].kind == "comma" else 0)
    if u < n and _is_word(toks[u]) and toks[u].key in UNIT_WORDS:
        v = u + 1
        if v < n and toks[v].text == "#":
            v += 1
        if v < n and toks[v].kind in ("num", "word") and len(toks[v].text) <= 6:
            j, k = v, v + 1
    items = 0
    while k < n and items < 6:
        sep = k
        while sep < n and toks[sep].kind in ("comma", "nl"):
            sep += 1
        if sep >= n:
            break
        t = toks[sep]
        rest = text[t.start:]
        post = _POSTCODE.match(rest)
        if post and (t.kind == "num" or t.cap):
            end = t.start + post.end()
            while sep < n and toks[sep].start < end:
                sep += 1
            j, k, items = sep - 1, sep, items + 1
            continue
        if _is_word(t) and t.cap and (items or sep > k or _spaced(text, toks[j], t)):
            j, k, items = sep, sep + 1, items + 1
            continue
        break
    return toks[j].end


def has_street_word(text: str) -> bool:
    """True when ``text`` names a street type ("Burgess Ramp", "Via Roma", "Hauptstraße")."""
    toks = [t for t in _addr_tokens(text) if _is_word(t)]
    return any(_is_street_word(t, strict=True) or _compound_street(t) for t in toks) or bool(
        toks and toks[0].key in lx.street_prefixes() and len(toks[0].key) > 2)


_POSTAL_BOX = regex.compile(
    r"\b(?:(?:Unit|PSC|CMR)\s+\d{1,5},?\s+Box\s+\d{1,5}|(?:USNS|USNV|USS|USCGC)\s+\p{Lu}[\p{L}'-]*)"
    r"\s+(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5}\b"
    r"|\b(?:P\.?\s?O\.?\s?Box|Post(?:fach|bus)|Apartado(?:\s+de\s+Correos)?|Caixa\s+Postal|"
    r"Case\s+postale|Casella\s+postale|P\.?\s?O\.?\s?B\.?)\s+\d{1,6}\b",
    regex.IGNORECASE,
)


def find_addresses(text: str) -> list[Span]:
    """Street addresses and postal boxes in ``text`` (non-overlapping, left to right)."""
    toks = _addr_tokens(text)
    spans: list[Span] = [(m.start(), m.end(), 0.8) for m in _POSTAL_BOX.finditer(text)]
    if spans:
        covered = {i for a, b, _ in spans for i in range(a, b)}
        toks = [t for t in toks if t.start not in covered]
    i = 0
    while i < len(toks):
        unit = _is_word(toks[i]) and toks[i].key in UNIT_WORDS and i + 1 < len(toks) \
            and toks[i + 1].kind == "num"
        hit = _match_at(text, toks, i + 1 if unit else i)
        if hit is None:
            i += 1
            continue
        last, score = hit
        end = _tail(text, toks, last) if score >= 0.5 else toks[last].end
        if score < 0.5 and spans and spans[-1][1] > toks[i].start:
            i += 1  # a weak shape inside a weak one found before: keep the first
            continue
        spans.append((toks[i].start, end, score))
        if score < 0.5:  # a weak shape ("Max, 1409") must not hide a surer one starting inside
            i += 1
            continue
        while i < len(toks) and toks[i].start < end:
            i += 1
    return _drop_weak_overlaps(sorted(spans))


def _drop_weak_overlaps(spans: list[Span]) -> list[Span]:
    """Spans left to right, a weak one dropped where it overlaps a surer one."""
    out: list[Span] = []
    for span in spans:
        while out and out[-1][1] > span[0] and out[-1][2] < span[2]:
            out.pop()
        if out and out[-1][1] > span[0]:
            continue
        out.append(span)
    return out


def _lower_case_street(text: str, toks: list[_ATok], j: int) -> int | None:
    """A lower-case street after a house number: one or two words then a long street type
    ("1578 oak street"), none of them an everyday word; the index of the street type."""
    common = lx.lorem_words()
    for k in (j + 1, j + 2):
        if k >= len(toks) or not all(_is_word(t) for t in toks[j:k + 1]):
            return None
        if not all(_spaced(text, toks[m - 1], toks[m]) for m in range(j + 1, k + 1)):
            return None
        if toks[k].key in LOWER_STREET_TYPES:
            names = toks[j:k]
            if all(t.key not in common and t.key not in lx.street_suffixes() and len(t.key) > 2
                   for t in names):
                return k
            return None
    return None
