"""Word lists behind PII detection: column-name hints and value dictionaries.

Two kinds of knowledge live here, both language-aware and free of any raw table data:

* column-name hints (English, German, French, Spanish, Italian, Dutch, Portuguese, Czech,
  Polish) that point to an entity, plus "negative" words that cancel a PERSON or LOCATION hint
  (``product_name``, ``city_name``, ``ip_address``...);
* value dictionaries built lazily from Faker's locale providers: first and last names of every Faker
  locale, street names and street-type words, and the lorem-ipsum word lists (used as a *negative*
  dictionary: placeholder product names such as "Neque 149" must not look like addresses).

Everything is casefolded and additionally stored without accents, so "Cecília" and "Cecilia" match.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Iterable

# --------------------------------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1 << 17)
def fold(text: str) -> str:
    """Casefold and strip accents (NFKD, combining marks removed): "Příjmení" -> "prijmeni"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _variants(words: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for w in words:
        w = w.strip()
        if w:
            out.add(w.casefold())
            out.add(fold(w))
    return frozenset(out)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9a-z]+")


def column_tokens(column: object) -> tuple[str, ...]:
    """Folded word tokens of a column name: "fechaNacimiento_2" -> ("fecha", "nacimiento")."""
    text = fold(_CAMEL.sub(" ", str(column)))
    return tuple(t for t in _SPLIT.split(text) if t and not t.isdigit())


# --------------------------------------------------------------------------------------------------
# column-name hints
# --------------------------------------------------------------------------------------------------

#: entity -> (whole tokens, stems). A token must equal a column-name token; a stem (five letters or
#: more) may occur anywhere in the joined name, which catches compounds such as "telefonnummer".
NAME_HINTS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "PERSON": (
        _variants("""name names fullname firstname lastname surname surnames forename givenname
            familyname nm nombre nombres apellido apellidos nom prenom prénom jmeno jméno prijmeni
            příjmení nome nomes cognome sobrenome naam achternaam voornaam vorname nachname
            familienname imie imię nazwisko person persona""".split()),
        ("fullname", "firstname", "lastname", "surname", "forename", "givenname", "vorname",
         "nachname", "prenom", "nombre", "apellido", "cognome", "sobrenome", "achternaam",
         "voornaam", "jmeno", "prijmeni", "nazwisko"),
    ),
    "EMAIL_ADDRESS": (
        _variants("email emails mail mailaddress correo courriel posta epost eposta".split()),
        ("email", "correo", "courriel", "mailadres", "mailaddr"),
    ),
    "PHONE_NUMBER": (
        _variants("""phone phones tel tele telephone telefon telefono teléfono telefone telefoon
            telefonnummer mobile mobil cell cellphone celular movil móvil handy gsm fax portable
            cellulare fone tlf mob msisdn""".split()),
        ("phone", "telef", "telep", "mobil", "celular", "cellul"),
    ),
    "US_SSN": (
        _variants("ssn ssns sin socialsecurity".split()),
        ("socialsecurity", "socsec"),
    ),
    "CREDIT_CARD": (
        _variants("""cc ccn card cards creditcard debitcard pan kreditkarte tarjeta carte carta
            cartao cartão karta""".split()),
        ("creditcard", "cardnumber", "cardno", "kreditkart", "tarjeta", "cartao", "debitcard"),
    ),
    "IBAN_CODE": (
        _variants("""iban ucet účet konto cuenta conto compte rekening rekeningnummer
            bankaccount kontonummer""".split()),
        ("iban", "bankaccount", "bankverbindung", "kontonummer", "rekening"),
    ),
    "IP_ADDRESS": (
        _variants("ip ipv4 ipv6 ipaddr ipaddress remoteaddr clientip".split()),
        ("ipaddr", "ipv4", "ipv6", "remoteaddr", "clientip"),
    ),
    "URL": (
        _variants("url urls uri website homepage link links web site webpage webseite".split()),
        ("website", "homepage", "webpage", "webseite"),
    ),
    "LOCATION": (
        _variants("""address addr adresse adres adresa adresy direccion dirección domicilio
            indirizzo endereco endereço morada straat street strasse straße ulice ulica calle rue
            anschrift residence""".split()),
        ("address", "adress", "adres", "direcc", "indirizz", "endere", "anschrift", "domicil",
         "strasse", "street", "straat"),
    ),
    "DATE_TIME": (
        _variants("""dob birthday birthdate born bday geburtsdatum geburtstag nacimiento naissance
            nascita nascimento geboortedatum narozeni narození urodzenia""".split()),
        ("birth", "geburt", "nacimiento", "naissance", "nascita", "nascimento", "geboorte",
         "narozen", "urodzen"),
    ),
}

#: Column-name words that cancel a PERSON or LOCATION hint ("product_name", "city_name",
#: "ip_address", "mac_address", "file_name", "company_address" stays a hint on purpose).
NEGATIVE_HINTS: dict[str, frozenset[str]] = {
    "PERSON": _variants("""product produto producto produit prodotto produkt item sku company firma
        empresa societe société azienda bedrijf brand marca file filename host hostname domain
        server city town mesto město ort stadt ville ciudad citta città cidade stad gemeente
        country pais país pays land state region district street bank branch store shop category
        kategorie table column field app application project team department dept job event
        campaign model device user username login account product_name""".split()),
    "LOCATION": _variants("ip mac email mail web url uri host server wallet".split()),
}

# --------------------------------------------------------------------------------------------------
# value vocabulary
# --------------------------------------------------------------------------------------------------

#: Honorifics and titles before a name (folded, without the trailing dot).
HONORIFICS: frozenset[str] = _variants("""mr mrs ms miss mx dr prof sir dame lord lady rev
    sr sra srta sres dra don dona doña herr frau hr dipl ing mag mgr bc judr mudr phdr rndr ph
    pan pani mme mlle mevr dhr mw sig sigra signora signor dott dottssa avv""".split())

#: Lower-case particles inside names ("Maria da Paz", "Ludwig van Beethoven", "Pérez y García").
NAME_PARTICLES: frozenset[str] = frozenset(
    "da das de del della dei degli di do dos du la le van von der den ten ter y e bin ibn al el zu "
    "vom".split()
)

#: Words that mark a capitalised run as an organisation, not a person.
ORG_WORDS: frozenset[str] = _variants("""inc llc ltd plc gmbh ag kg co corp corporation company
    group holding holdings sa sas sarl srl spa bv nv sro s.r.o as a.s ltda eireli oy oyj ab aps
    partners associates sons bank university universidad universität hospital school gruppe
    foundation institute ministry club limited trust sp sl slu snc kft zrt nyrt bt kht ohg ug
    kgaa sasu eurl bvba vof cia cía hnos hermanos""".split())

#: Capitalised words that start place names, not person names ("East Veronica", "Port Johnfurt").
GEO_WORDS: frozenset[str] = _variants("""north south east west new lake port mount mt fort saint
    st san santa santo bad nieder ober unter gross klein nord sud süd ost""".split())

#: Street-type words in several languages (folded; an abbreviation may carry a dot in the text).
STREET_WORDS: frozenset[str] = _variants("""street st avenue ave av road rd boulevard blvd lane ln
    drive dr court ct place pl square sq terrace way parkway pkwy highway hwy circle cir crescent
    close row alley trail path plaza
    straße strasse str weg gasse platz allee ring damm ufer chaussee steig pfad markt
    rue bd chemin allée impasse quai route cours faubourg passage voie rte
    calle avenida avda paseo camino carrera carretera ronda travesía glorieta callejón pasaje
    via viale piazza corso vicolo largo piazzale strada contrada borgo lungomare vico
    straat laan plein gracht kade singel dijk steeg dreef
    rua travessa praça praca rodovia estrada alameda beco ladeira quadra
    ulice ul náměstí namesti nám nam třída trida nábřeží nabrezi sady alej cesta
    ulica aleja al plac os osiedle rondo skwer bulwar
    utca út tér körút köz sor""".split())

#: Street words that *start* a street name, followed by the name ("Via Roma 5", "rue de la Paix").
STREET_PREFIXES: frozenset[str] = _variants("""rue avenue av avda avenida bd boulevard chemin
    allée impasse place quai route cours faubourg passage voie calle paseo camino carrera
    carretera ronda travesía glorieta callejón pasaje plaza via viale piazza corso vicolo largo
    piazzale strada contrada borgo lungomare vico rua travessa praça praca rodovia estrada
    alameda beco ladeira ul ulica ulice al aleja plac os osiedle nám náměstí třída c rotonda
    incrocio stretto strada aleea intrarea bulevardul soseaua șoseaua drumul calea splaiul piata
    piața""".split())

#: Markers between a street name and its house number ("Aleea Preda Nr. 34", "Calle Mayor nº 5").
NUMBER_MARKERS: frozenset[str] = _variants("nr no n nº n° num número numero čp č".split())

#: Endings of compound street names ("Hauptstraße", "Kerkstraat", "Bahnhofstr.", "Vesterbrogade").
STREET_COMPOUND_SUFFIXES: tuple[str, ...] = (
    "straße", "strasse", "str", "weg", "gasse", "platz", "allee", "damm", "ring", "straat",
    "laan", "gracht", "plein", "kade", "singel", "dijk", "steeg", "vej", "gade", "gatan", "vägen",
    "vagen", "veien", "gata", "katu", "tie", "utca",
)

#: Prepositions that start Czech, Polish and German street names ("Nad Krocínkou", "Am Markt").
STREET_PREPOSITIONS: frozenset[str] = _variants(
    "na nad pod u k ke v ve za před pred mezi po při pri am an im auf zum zur".split()
)

#: Adjectival endings typical of Czech / Slovak / Polish street names ("Pražská", "Husova").
STREET_ENDINGS: tuple[str, ...] = (
    "ská", "cká", "ová", "ova", "ní", "ého", "ých", "ské", "cké", "ská", "skiego", "owa", "owej",
)

#: Unit markers after a street ("Suite 578", "Apt. 5").
UNIT_WORDS: frozenset[str] = _variants(
    "suite ste apt apartment unit flat studio floor fl room rm bldg building box byt piso andar "
    "sala bloco etage stock whg bl sc ap et apto depto edif puerta".split()
)


# --------------------------------------------------------------------------------------------------
# Faker-derived dictionaries (lazy, cached)
# --------------------------------------------------------------------------------------------------


#: Locales whose street vocabulary is used (others hold transliterated or noisy word lists).
STREET_LOCALES: tuple[str, ...] = (
    "en_US", "en_GB", "en_AU", "en_CA", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CA",
    "fr_CH", "es_ES", "es_MX", "es_AR", "it_IT", "nl_NL", "nl_BE", "pt_BR", "pt_PT", "cs_CZ",
    "sk_SK", "pl_PL", "da_DK", "no_NO", "sv_SE", "hu_HU", "ro_RO", "fi_FI", "sl_SI", "hr_HR",
)


def _provider_modules(kind: str, locales: Iterable[str] | None = None) -> list[type]:
    package = importlib.import_module(f"faker.providers.{kind}")
    names = [m.name for m in pkgutil.iter_modules(package.__path__)]
    if locales is not None:
        names = [n for n in names if n in set(locales)]
    classes = []
    for name in names:
        module = importlib.import_module(f"faker.providers.{kind}.{name}")
        provider = getattr(module, "Provider", None)
        if provider is not None:
            classes.append(provider)
    return classes


def _collect(providers: Iterable[type], attrs: Iterable[str]) -> set[str]:
    """Words of the providers' list attributes (an attribute name ending in ``*`` is a prefix)."""
    words: set[str] = set()
    for provider in providers:
        names = [a for a in dir(provider) if any(
            a == p or (p.endswith("*") and p[:-1] in a) for p in attrs)]
        for attr in names:
            value = getattr(provider, attr, None)
            if isinstance(value, dict):
                words.update(str(k) for k in value)
            elif isinstance(value, (list, tuple)):
                words.update(str(v) for v in value)
    return words


def _disk_cached(build):
    """Keep a Faker-derived word set in a per-user cache file, keyed by the Faker version.

    Why: collecting the words imports every Faker locale module and folds ~80,000 words, about
    0.3 s of each ``tabletwin scan``; reading the pickled set back takes a few milliseconds.
    The file holds only Faker's public word lists (no table data). Any failure to read or write
    the cache falls back to building the set.
    """

    @functools.cache
    def cached() -> frozenset[str]:
        import os
        import pickle
        import tempfile
        from importlib.metadata import version
        from pathlib import Path

        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tabletwin"
        path = base / f"{build.__name__}-faker{version('faker')}-v1.pickle"
        try:
            with path.open("rb") as f:
                words = pickle.load(f)
            if isinstance(words, frozenset):
                return words
        except (OSError, pickle.PickleError, EOFError, ValueError):
            pass
        words = build()
        try:
            base.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=base, delete=False) as f:
                pickle.dump(words, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(f.name, path)  # atomic: concurrent scans never read a half file
        except OSError:
            pass
        return words

    cached.__doc__ = build.__doc__
    cached.__name__ = build.__name__
    return cached


def _latin(word: str) -> bool:
    """True for words written in Latin script (the name dictionaries skip other scripts)."""
    return all(("LATIN" in unicodedata.name(ch, "")) or not ch.isalpha() for ch in word)


@_disk_cached
def first_names() -> frozenset[str]:
    """First names of every Faker locale (every script, romanized forms too), folded."""
    words = _collect(_provider_modules("person"), ("first_names*", "first_romanized*"))
    return _variants(w for w in words if len(w) > 1)


@_disk_cached
def last_names() -> frozenset[str]:
    """Last names of every Faker locale (every script, romanized forms too), folded."""
    words = _collect(_provider_modules("person"), ("last_names*", "last_romanized*"))
    return _variants(w for w in words if len(w) > 1)


@_disk_cached
def street_names() -> frozenset[str]:
    """Street names listed by Faker address providers (Czech, Polish...), folded, whole names."""
    words = _collect(_provider_modules("address", STREET_LOCALES), (
        "streets", "streets_adjective_feminine", "streets_universal", "street_names"))
    return _variants(w for w in words if _latin(w))


@functools.cache
def street_suffixes() -> frozenset[str]:
    """Street-type words: the built-in list plus every Faker locale's street suffixes/prefixes."""
    words = _collect(_provider_modules("address", STREET_LOCALES), (
        "street_suffixes", "street_suffixes_long", "street_suffixes_short", "street_prefixes"))
    cleaned = {w.strip().strip(".").strip() for w in words if _latin(w)}
    return STREET_WORDS | _variants(w for w in cleaned if len(w) > 1 and " " not in w)


@functools.cache
def street_prefixes() -> frozenset[str]:
    """Words that start a street name: the built-in list plus Faker's locale street prefixes."""
    words = _collect(_provider_modules("address", STREET_LOCALES), ("street_prefixes*",))
    cleaned = {w.strip().strip(".").strip() for w in words if _latin(w)}
    return STREET_PREFIXES | _variants(w for w in cleaned if len(w) > 2 and " " not in w)


@functools.cache
def lorem_words() -> frozenset[str]:
    """Placeholder vocabulary (Latin lorem ipsum and Faker's English word list)."""
    words = _collect(_provider_modules("lorem", ("la", "en_US")), ("word_list",))
    return _variants(w for w in words if _latin(w))
