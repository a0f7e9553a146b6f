"""A seeded scenario that follows a drifting column: publish, next to the faithful copy, the table as
it would look if one categorical column kept moving the way it has been moving.

Catalog: ``scenarios: {newer: {table: accounts, follow_drift: {column: account_type, factor: 2}}}``.
Each day the scenario's seed table (one column, as many rows as the table's copy) is built here and
handed to :func:`tabletwin.chain.scenarios.run_scenario` like a seed file, so everything else (the
other columns generated given it, the privacy gate, the publish as ``<table>__<scenario>``) is the
seeded scenarios' machinery.

The mix, per level ``v`` of the column:

* ``then``: its share among the rows the model of the last published day was fitted on (that
  model's :class:`~tabletwin.metrics.drift.DriftReference`; a level it pooled as "other", i.e. seen
  fewer than ``RARE_K`` times then, or never seen, counts as 0);
* ``now``: its share among today's masked rows;
* ``target = now + (factor - 1) * (now - then)``, clipped at 0 and renormalised: ``factor`` 1 is
  today's mix, 2 moves each share as far again as it moved since then, 0 goes back to the mix then.

Only levels seen at least ``RARE_K`` times among the rows the scenario's generator learns from can
appear (the generators' rule: a value rare in the source is never emitted), nulls too when the
column has them; the share of today's rows in rarer values is reported as a number, never by value.
Without an earlier published model (the first day) the target is today's mix, and the result says
so. Only non-personal categorical (text, boolean, category) columns can be followed: their levels
are shown in the run's metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.chain.scenarios import check_fixable
from tabletwin.chain.synthesis import fit_part
from tabletwin.config.catalog import TableConfig
from tabletwin.errors import ConfigError, InputError
from tabletwin.metrics.drift import NULL, ColumnReference, DriftReference
from tabletwin.pii import PiiPlan
from tabletwin.protection import RARE_K, fold

#: Decimals of the shares shown in metadata and reports.
DECIMALS = 4


@dataclass(frozen=True)
class LevelShift:
    """One level's share of the rows then, now and in the scenario (``level``: its text, or
    ``<null>``; only levels common enough to be emitted)."""

    level: str
    then: float | None  # None: no earlier model to compare with
    now: float
    target: float


@dataclass(frozen=True)
class DriftSeed:
    """The day's seed table of a ``follow_drift`` scenario and why it has this mix."""

    column: str
    factor: float
    seed_table: pd.DataFrame
    levels: tuple[LevelShift, ...]
    then_day: str | None  # the day the "then" rows were fitted on; None: no earlier model
    note: str
    left_out: float  # share of today's rows in values too rare to be emitted (never named)

    def explanation(self) -> dict[str, Any]:
        """The mix for metadata and reports: shares rounded, levels by today's share."""
        r = DECIMALS
        return {"column": self.column, "factor": self.factor, "rows": len(self.seed_table),
                "then": f"rows the model of {self.then_day} was fitted on" if self.then_day
                else None,
                "levels": {lv.level: {"then": None if lv.then is None else round(lv.then, r),
                                      "now": round(lv.now, r),
                                      "target": round(lv.target, r)} for lv in self.levels},
                "rare_left_out": round(self.left_out, r), "note": self.note}


    def markdown(self) -> str:
        """The mix as a small Markdown table (the asset's metadata)."""
        head = (f"`{self.column}`, factor {self.factor:g}: {self.note}\n\n"
                "| level | then | now | scenario |\n|---|---:|---:|---:|\n")
        rows = "".join(f"| {lv.level} | {'-' if lv.then is None else f'{lv.then:.1%}'} | "
                       f"{lv.now:.1%} | {lv.target:.1%} |\n" for lv in self.levels)
        tail = (f"\n{self.left_out:.1%} of today's rows hold values seen fewer than {RARE_K} "
                "times: never emitted, not shown.\n" if self.left_out else "")
        return head + rows + tail


def target_mix(then: Mapping[Any, float], now: Mapping[Any, float],
               factor: float) -> dict[Any, float]:
    """Shares of the levels of ``now`` (today's shares) moved ``factor`` times as far as they moved
    from ``then`` (a level missing there counts 0): ``now + (factor - 1) * (now - then)``, clipped
    at 0 and renormalised to sum 1. If every level clips to 0, today's mix renormalised."""
    if not now:
        return {}
    moved = {k: max(0.0, n + (factor - 1.0) * (n - then.get(k, 0.0))) for k, n in now.items()}
    total = sum(moved.values())
    if total <= 0.0:
        moved, total = dict(now), sum(now.values())
    if total <= 0.0:
        return {k: 1.0 / len(now) for k in now}
    return {k: v / total for k, v in moved.items()}


def allocate(shares: Mapping[Any, float], n: int) -> dict[Any, int]:
    """Row counts summing to ``n`` closest to ``shares * n`` (largest remainders first; ties in
    the order given)."""
    keys = list(shares)
    exact = np.array([shares[k] for k in keys], dtype=float) * n
    counts = np.floor(exact).astype(int)
    short = n - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return dict(zip(keys, counts.tolist()))


def check_follow_column(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig, column: str,
                        field: str) -> None:
    """``column`` must be modelled (not a key, not replaced PII: :func:`check_fixable`), not
    personal at all (its levels are shown) and categorical (text, boolean, category)."""
    if column not in masked.columns:
        raise ConfigError(f"column {column!r} is not in the table", table=table.name, field=field)
    try:
        check_fixable(plan, table, [column])
    except ConfigError as exc:
        raise ConfigError(exc.message, table=table.name, field=field) from None
    decision = plan[column]
    if decision.is_pii:
        raise ConfigError(f"{column!r} is a PII column ({decision.entity}, {decision.action}); "
                          "follow_drift takes a non-personal categorical column (its levels are "
                          "shown in the run's metadata)", table=table.name, field=field)
    dtype = masked[column].dtype
    if not (pdt.is_bool_dtype(dtype) or pdt.is_object_dtype(dtype) or pdt.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)):
        raise ConfigError(f"{column!r} is {dtype}, not categorical (text, boolean or category): "
                          "a scenario can only follow the mix of a categorical column",
                          table=table.name, field=field)


def _reference_column(reference: DriftReference | None, column: str) -> ColumnReference | None:
    if reference is None:
        return None
    return next((c for c in reference.columns if c.name == column and c.kind == "categorical"),
                None)


def then_shares(ref: ColumnReference, now_counts: Mapping[Any, int]) -> dict[Any, float]:
    """Each of today's levels' share of the fit rows of ``ref``: the share of its folded level
    (0 when that level was pooled or unseen), split between today's values that fold alike in
    proportion to today's counts; ``None`` (nulls) gets the null bucket's share."""
    by_level = dict(zip(ref.levels, ref.shares))
    groups: dict[str, int] = {}
    for value, count in now_counts.items():
        if value is not None:
            groups[fold(value)] = groups.get(fold(value), 0) + count
    out: dict[Any, float] = {}
    for value, count in now_counts.items():
        if value is None:
            out[value] = float(ref.shares[-1]) if ref.shares else 0.0
        else:
            share = by_level.get(fold(value), 0.0)
            out[value] = share * count / groups[fold(value)] if groups[fold(value)] else 0.0
    return out


def _today(masked: pd.DataFrame, learned: pd.DataFrame,
           column: str) -> tuple[dict[Any, int], float]:
    """Today's counts of the levels that may appear (seen RARE_K times among ``learned``, the rows
    the generator learns from; ``None`` for nulls when there are any) and the share of today's rows
    left out (rarer values)."""
    full = masked[column].value_counts(dropna=True)
    common = learned[column].value_counts(dropna=True)
    common = set(common[common >= RARE_K].index)
    counts: dict[Any, int] = {v: int(c) for v, c in full.items() if v in common}
    nulls = int(masked[column].isna().sum())
    if nulls:
        counts[None] = nulls
    left_out = 1.0 - sum(counts.values()) / len(masked) if len(masked) else 0.0
    return counts, max(0.0, left_out)


def _seed_column(masked: pd.DataFrame, column: str, counts: Mapping[Any, int],
                 seed: int) -> pd.DataFrame:
    values = [v for v, c in counts.items() for _ in range(c)]
    order = np.random.default_rng(seed).permutation(len(values))
    shuffled = [values[i] for i in order]
    return pd.DataFrame({column: pd.Series(shuffled, dtype=masked[column].dtype)})


def drift_seed_table(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig, *, column: str,
                     factor: float, rows: int, seed: int, reference: DriftReference | None = None,
                     then_day: str | None = None, field: str = "follow_drift.column") -> DriftSeed:
    """The seed table of a ``follow_drift`` scenario for today's ``masked`` rows: ``rows`` rows of
    ``column`` at the target mix (module docstring), shuffled with ``seed`` (the day's).
    ``reference``: the drift reference of the last published day's model (``stamp_.reference``),
    fitted on ``then_day``; None on the first day. ``field``: the catalog field errors name."""
    check_follow_column(masked, plan, table, column, field)
    if rows <= 0:
        raise InputError("a follow_drift scenario needs at least one row", table=table.name)
    counts, left_out = _today(masked, fit_part(masked, table, seed), column)
    if not counts:
        raise InputError(f"no value of {column!r} is seen {RARE_K} times or more: nothing "
                         "common enough to publish", table=table.name, column=column)
    now = {v: c / len(masked) for v, c in counts.items()}
    ref = _reference_column(reference, column)
    then: dict[Any, float] | None
    if ref is None:
        then = None
        note = ("first day: no model of an earlier published day, the target is today's mix"
                if reference is None else
                f"the model of {then_day} has no reference of {column!r}; the target is today's mix")
        target = target_mix(now, now, 1.0)
    else:
        then = then_shares(ref, counts)
        target = target_mix(then, now, factor)
        note = (f"each level's share moved {factor:g} times as far as it moved since the rows "
                f"of {then_day}")
    picked = allocate(target, rows)
    levels = tuple(LevelShift(NULL if v is None else str(v), None if then is None else then[v],
                              now[v], target[v])
                   for v in sorted(counts, key=lambda v: -now[v]))
    return DriftSeed(column=column, factor=factor, seed_table=_seed_column(masked, column,
                                                                           picked, seed),
                     levels=levels, then_day=then_day if ref is not None else None, note=note,
                     left_out=left_out)


def follow_drift_seed(masked: pd.DataFrame, plan: PiiPlan, table: TableConfig, *, column: str,
                      factor: float, rows: int, seed: int, previous: object = None,
                      field: str = "follow_drift.column") -> DriftSeed:
    """:func:`drift_seed_table` against ``previous``, the stored model of the last published day
    (None: the first day): its ``stamp_`` (:class:`tabletwin.chain.refresh.ModelStamp`) holds the
    drift reference of its fit rows and the day they were read."""
    stamp = getattr(previous, "stamp_", None)
    return drift_seed_table(masked, plan, table, column=column, factor=factor, rows=rows,
                            seed=seed, reference=getattr(stamp, "reference", None),
                            then_day=getattr(stamp, "fitted_on", None), field=field)


def fitted_today(generator: object, day: str) -> object:
    """``generator`` when it was fitted on ``day``'s rows, else None: a model reused from an
    earlier day may not know today's new levels, so the scenario fits its own
    (:func:`tabletwin.chain.scenarios.run_scenario` with no usable generator)."""
    stamp = getattr(generator, "stamp_", None)
    return generator if getattr(stamp, "fitted_on", None) == day else None
