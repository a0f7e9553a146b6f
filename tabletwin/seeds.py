"""Seeds derived from names (table, partition, column...), stable across processes and runs."""

import hashlib


def stable_seed(*parts: object) -> int:
    """A 63-bit seed from the parts; unlike ``hash``, the same in every process."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1
