"""Pseudonyms: keyed HMAC-SHA256 of source values (deterministic across calls and tables), and
fresh tokens in the same format for synthetic rows (unrelated to any source value).
"""

from __future__ import annotations

import hmac

import numpy as np
import pandas as pd

from tabletwin.pii.cells import is_integral, value_codes

#: Pseudonymous integers lie in [1, 2**53): positive, exact in float64 and JSON.
INT_RANGE = 2**53 - 1
#: A string keeps its length and character classes when that leaves at least 2**64 possibilities.
_MIN_SPACE_BITS = 64


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def _pseudo_int(key: bytes, value: int) -> int:
    return 1 + int.from_bytes(_mac(key, b"i:%d" % value)[:8], "big") % INT_RANGE


def _pseudo_str(key: bytes, value: str) -> str:
    digest = _mac(key, b"s:" + value.encode("utf-8"))
    bits = 0.0
    for ch in value:
        if ch.isascii() and ch.isdigit():
            bits += 3.32
        elif ch.isascii() and ch.isalpha():
            bits += 4.7
        elif ch.isalnum():
            return "tt_" + digest.hex()[:16]
    if bits < _MIN_SPACE_BITS:
        return "tt_" + digest.hex()[:16]
    stream = bytearray()
    counter = 0
    while len(stream) < len(value):
        stream += _mac(key, digest + counter.to_bytes(4, "big"))
        counter += 1
    out = []
    for ch, b in zip(value, stream):
        if ch.isdigit():
            out.append(chr(48 + b % 10))
        elif ch.isupper():
            out.append(chr(65 + b % 26))
        elif ch.isalpha():
            out.append(chr(97 + b % 26))
        else:
            out.append(ch)
    return "".join(out)


def pseudonymize(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed, deterministic pseudonyms (HMAC-SHA256), format-aware; nulls stay null.

    Integers (and whole-number floats) -> integers in [1, 2**53) (``int64``; ``Int64`` with nulls).
    Strings -> same length and character classes when that leaves at least 2**64 possibilities
    (e.g. long account numbers), else ``"tt_"`` + 16 hex characters. In object columns each value
    is handled by its own type. The same value and key give the same pseudonym in any table.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if is_integral(values):
        mapped = np.array([_pseudo_int(key, int(u)) for u in uniques], dtype=np.int64)
        if (codes < 0).any():
            out = pd.array(np.where(codes >= 0, mapped[np.maximum(codes, 0)], 0), dtype="Int64")
            out[codes < 0] = pd.NA
            return pd.Series(out, index=values.index, name=values.name)
        return pd.Series(mapped[codes], index=values.index, name=values.name, dtype=np.int64)
    mapped_obj = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        if isinstance(u, (int, np.integer)) and not isinstance(u, (bool, np.bool_)):
            mapped_obj[i] = _pseudo_int(key, int(u))
        else:
            mapped_obj[i] = _pseudo_str(key, u.decode() if isinstance(u, bytes) else str(u))
    out_obj = np.full(len(values), None, dtype=object)
    out_obj[codes >= 0] = mapped_obj[codes[codes >= 0]]
    return pd.Series(out_obj, index=values.index, name=values.name, dtype=object)


def fresh_tokens(template: pd.Series | None, index: pd.Index, rng: np.random.Generator,
                  integral: bool) -> pd.Series:
    """Random tokens in pseudonym format: one per distinct template value (nulls kept)."""
    codes = value_codes(template) if template is not None else np.arange(len(index))
    k = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
    if integral:
        tokens = rng.choice(INT_RANGE, size=k, replace=False).astype(np.int64) + 1
        if (codes < 0).any():
            out = pd.array(tokens[np.maximum(codes, 0)] if k else np.zeros(len(codes), np.int64),
                           dtype="Int64")
            out[codes < 0] = pd.NA
            return pd.Series(out, index=index)
        return pd.Series(tokens[codes], index=index, dtype=np.int64)
    raw = rng.integers(0, 2**64, size=k, dtype=np.uint64)
    tokens_obj = np.array([f"tt_{int(v):016x}" for v in raw], dtype=object)
    out_obj = np.full(len(codes), None, dtype=object)
    out_obj[codes >= 0] = tokens_obj[codes[codes >= 0]]
    return pd.Series(out_obj, index=index, dtype=object)
