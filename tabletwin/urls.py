"""Printable forms of connection URLs (warehouse, Dagster instance, Celery broker).

One helper for every place a URL is shown: in messages, reprs, logs and Dagster metadata. It does
not trust the URL to be well formed: a password holding a raw ``@``, ``:``, ``/``, ``?`` or ``#``
(``user:Pw@Canary@host``) makes URL parsers (SQLAlchemy, urllib, kombu) split it at the wrong place
and print the password's tail as part of the host. So everything between the scheme and the *last*
``@`` is treated as credentials, and anything that does not look like ``scheme://...`` is not
printed at all.
"""

from __future__ import annotations

import re
from typing import Any

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.S)
_USER = re.compile(r"^[A-Za-z0-9._~\-]+$")

#: What is printed for a URL whose shape is not recognised.
OPAQUE = "<URL hidden>"


def _as_text(url: Any) -> str:
    """The raw text of ``url`` (a str, or a SQLAlchemy URL rendered with its password so that
    the masking below sees exactly what a parser would)."""
    if isinstance(url, str):
        return url
    render = getattr(url, "render_as_string", None)
    if render is not None:
        return render(hide_password=False)
    return str(url)


def mask_url(url: Any) -> str:
    """``url`` without its credentials nor its query string (which may hold ``password=``).

    ``scheme://user:pw@host:5432/db?x`` -> ``scheme://user:***@host:5432/db``; a user name is
    kept only when it is a plain name; a URL with no ``@`` keeps its host; a string that is not
    ``scheme://...`` (a key=value DSN, garbage) is printed as :data:`OPAQUE`.
    """
    try:
        text = _as_text(url)
    except Exception:  # noqa: BLE001 - whatever it is, print nothing of it
        return OPAQUE
    m = _SCHEME.match(text)
    if not m:
        return OPAQUE
    scheme, rest = m.groups()
    at = rest.rfind("@")  # the LAST @: a password may hold raw @ signs
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1:]
        user = userinfo.split(":", 1)[0]
        shown = f"{user}:***@" if ":" in userinfo and _USER.match(user) else (
            f"{userinfo}@" if _USER.match(userinfo) else "***@")
    else:
        shown = ""
    host_and_path = re.split(r"[?#]", rest, maxsplit=1)[0]
    # whitespace or control characters: not a URL a driver would take, print none of the rest
    if re.search(r"\s", host_and_path):
        return f"{scheme}://{shown}<hidden>"
    return f"{scheme}://{shown}{host_and_path}"


def blank_secrets(text: str, url: Any) -> str:
    """``text`` (a driver's message) with every piece of ``url``'s credentials blanked: the
    password as a parser split it and each part of the raw user-info between ``@`` and ``:``."""
    try:
        raw = _as_text(url)
    except Exception:  # noqa: BLE001
        return text
    m = _SCHEME.match(raw)
    if not m:
        return text.replace(raw, OPAQUE) if raw else text
    rest = m.group(2)
    at = rest.rfind("@")
    pieces: set[str] = set()
    if at >= 0:
        userinfo = rest[:at]
        pieces.add(userinfo)
        pieces.update(p for p in re.split(r"[@:]", userinfo) if p)
        user = userinfo.split(":", 1)[0]
        if _USER.match(user):
            pieces.discard(user)  # the user name stays readable
        if ":" in userinfo:
            pieces.add(userinfo.split(":", 1)[1])
    parsed = getattr(url, "password", None)  # a SQLAlchemy URL: the password as decoded
    if isinstance(parsed, str) and parsed:
        pieces.add(parsed)
        pieces.update(p for p in re.split(r"[@:]", parsed) if p)
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 2:  # a one-character piece would blank half the message
            text = text.replace(piece, "***")
    return re.sub(r"(password=)\S+", r"\1***", text)
