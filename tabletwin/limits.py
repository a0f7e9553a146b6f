"""Bounds on the work one input may ask for, so that a typo or a hostile file gets a one-line
refusal instead of hours of CPU and a MemoryError.

Every limit here is documented in the README (Limits) and can be raised on purpose:

* ``MAX_ROWS`` (10^9) and ``MAX_ROWS_FACTOR`` (10x the source): the rows one table may be asked
  to generate (``synth --rows``, catalog ``rows:``). ``synth --allow-large-rows`` or the table's
  ``allow_large_rows: true`` lifts both.
* ``MAX_CATALOG_NODES`` (100,000): the size of the catalog YAML once its aliases are expanded
  (a few hundred bytes of nested aliases expand to 10^9 items: the "billion laughs").
  Environment variable ``TABLETWIN_MAX_CATALOG_NODES`` raises it.
* ``MAX_PARAM_NODES`` (1,000) and ``MAX_PARAM_NUMBER`` (10^9): a generator's ``params``
  (counts, sizes, list lengths), which generators take as loop bounds or array sizes.
"""

from __future__ import annotations

import os
from typing import Any

from tabletwin.errors import ConfigError, InputError

MAX_ROWS = 1_000_000_000
MAX_ROWS_FACTOR = 10
MAX_CATALOG_NODES = 100_000
MAX_PARAM_NODES = 1_000
MAX_PARAM_NUMBER = 1_000_000_000
CATALOG_NODES_ENV = "TABLETWIN_MAX_CATALOG_NODES"


def max_catalog_nodes() -> int:
    raw = os.environ.get(CATALOG_NODES_ENV)
    if raw is None:
        return MAX_CATALOG_NODES
    try:
        return max(1, int(raw))
    except ValueError:
        raise ConfigError(f"${CATALOG_NODES_ENV} must be a whole number") from None


def expanded_size(data: Any, limit: int) -> int:
    """How many nodes ``data`` (as loaded from YAML) has once every alias is expanded, counting
    a shared node each time it is reached, in time linear in the distinct nodes (memoised by
    identity); stops past ``limit``. A node that contains itself raises ValueError."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            raise ValueError("a YAML alias refers to a node that contains it (recursive alias)")
        active.add(key)
        items = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        total = 1
        for item in items:
            total += size(item)
            if total > limit:
                break
        active.discard(key)
        memo[key] = total
        return total

    return size(data)


def check_rows(rows: int, source_rows: int, *, allow: bool = False, table: str | None = None,
               what: str = "--rows") -> None:
    """Refuse a row count above :data:`MAX_ROWS` or :data:`MAX_ROWS_FACTOR` times the source's,
    unless ``allow`` (``--allow-large-rows`` / ``allow_large_rows: true``)."""
    if allow:
        return
    if rows > MAX_ROWS:
        raise InputError(f"{what} {rows:,} is above the limit of {MAX_ROWS:,} rows "
                         "(--allow-large-rows / allow_large_rows: true lifts it)", table=table)
    if source_rows > 0 and rows > MAX_ROWS_FACTOR * source_rows:
        raise InputError(f"{what} {rows:,} is more than {MAX_ROWS_FACTOR}x the source's "
                         f"{source_rows:,} rows (--allow-large-rows / allow_large_rows: true "
                         "lifts it)", table=table)
