"""The role each column of a catalog table plays: key, modelled by the generator, context for
children; and the split of a masked table into the rows a generator learns from and the holdout.

The generator learns every column except keys and PII columns whose values are replaced wholesale
(fake, pseudonymize, drop); those are produced fresh for each synthetic row, never copied.
"""

from __future__ import annotations

import pandas as pd

from tabletwin.config.catalog import TableConfig
from tabletwin.metrics.privacy import holdout_rows
from tabletwin.pii.plan import PiiPlan

REGENERATED = ("fake", "pseudonymize")


def modelled_columns(plan: PiiPlan, table: TableConfig) -> list[str]:
    """Columns the generator learns, in table order."""
    keys = set(table.key_columns)
    return [d.column for d in plan.columns
            if d.column not in keys and not (d.is_pii and d.action in REGENERATED + ("drop",))]


def context_columns(plan: PiiPlan, table: TableConfig) -> tuple[str, ...]:
    """A parent's columns its children may depend on: modelled, not free text."""
    text = {d.column for d in plan.columns if d.free_text}
    return tuple(c for c in modelled_columns(plan, table) if c not in text)


def split_source(masked: pd.DataFrame, table: TableConfig, *,
                 identity: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows the generator learns from and the holdout rows it never sees (about
    ``holdout_share`` of the table: the quality gate measures privacy against them). Tables under
    20 rows keep every row for fitting.

    Each row's side follows from the row itself (its primary key, else all its values; keyed by
    the table's name, :func:`~tabletwin.metrics.privacy.holdout_rows`), not from the day: a model
    fitted on an earlier day and reused today (:mod:`tabletwin.chain.refresh`) never saw a row of
    today's holdout, so the privacy checks stay measured against rows it did not learn.

    ``identity``: the masked rows when ``masked`` is the raw source in the same order (the raw
    rows are split as their masked rows are)."""
    rows = masked if identity is None else identity
    share = table.checks.holdout_share if len(rows) >= 20 else 0.0
    pk = table.primary_key
    by = [pk] if pk and pk in rows.columns and rows[pk].notna().all() else None
    hold = holdout_rows(rows, share, by=by, salt=table.name)
    return masked[~hold].reset_index(drop=True), masked[hold].reset_index(drop=True)
