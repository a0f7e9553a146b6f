"""What day it is for tabletwin: the one clock every "today" reads.

A day's partition is the snapshot of the source taken that day, so only today's partition may read
the warehouse (a past day is re-run from the snapshot kept that day, or refused). Today is the UTC
date, like the partitions' days, unless ``TABLETWIN_TODAY=YYYY-MM-DD`` says otherwise: a simulated
clock for tests and for replaying a sequence of days (``benchmarks/daily_refresh.py``) against a
warehouse that changes between them. It moves the whole clock (the day the source is read *is* that
day), so it cannot label one day's data with another's date.
"""

from __future__ import annotations

import datetime as dt
import os

from tabletwin.errors import ConfigError

TODAY_ENV = "TABLETWIN_TODAY"


def today() -> dt.date:
    """Today's date (UTC), or the simulated one of ``TABLETWIN_TODAY``."""
    value = os.environ.get(TODAY_ENV, "").strip()
    if not value:
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{TODAY_ENV} must be YYYY-MM-DD, got {value!r}") from None


def today_key() -> str:
    """Today as a partition key (``YYYY-MM-DD``)."""
    return today().isoformat()
