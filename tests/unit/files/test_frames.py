"""tabletwin.frames: the one datetime-to-number conversion (UTC nanoseconds; tz-aware columns as
instants; NaN for NaT in the float form; exact in the integer form)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabletwin.frames import datetime_ns, datetime_to_ns, is_datetime, utc_naive


def test_tz_aware_is_converted_to_utc_and_naive_read_as_utc():
    aware = pd.Series(pd.to_datetime(["2024-03-01 12:00", None]).tz_localize("Europe/Berlin"))
    naive = pd.Series(pd.to_datetime(["2024-03-01 11:00", None]))
    a, n = datetime_to_ns(aware), datetime_to_ns(naive)
    assert a[0] == n[0] == pd.Timestamp("2024-03-01 11:00").value
    assert np.isnan(a[1]) and np.isnan(n[1])
    assert utc_naive(aware).dtype == "datetime64[ns]"
    assert utc_naive(aware).isna().tolist() == [False, True]


def test_every_unit_is_widened_to_nanoseconds_exactly():
    s = pd.Series(pd.to_datetime(["2024-03-01 00:00:00.000000123", "1999-12-31 00:00:00.0"]))
    coarse = pd.Series(pd.to_datetime(["2024-03-01", "1999-12-31"])).astype("datetime64[s]")
    assert datetime_ns(s).dtype == np.int64
    assert datetime_ns(s)[0] % 1000 == 123  # float64 would lose the last digits
    assert datetime_ns(coarse).tolist() == [pd.Timestamp("2024-03-01").value,
                                            pd.Timestamp("1999-12-31").value]


def test_is_datetime():
    assert is_datetime(pd.Series(pd.to_datetime(["2024-01-01"])).dt.tz_localize("UTC"))
    assert not is_datetime(pd.Series(["2024-01-01"]))
    assert datetime_to_ns(pd.Series([], dtype="datetime64[ns]")).shape == (0,)


def test_fidelity_bins_put_missing_datetimes_in_the_null_bin():
    """NaT once became the smallest int64 and fell in the lowest date bin, not the null bin."""
    from tabletwin.metrics.fidelity import _binner

    s = pd.Series(pd.to_datetime([f"2020-01-{i % 28 + 1:02d}" for i in range(100)] + [None] * 20))
    codes = _binner(s)(s)
    assert len(set(codes[-20:])) == 1 and codes[-1] not in set(codes[:100])
