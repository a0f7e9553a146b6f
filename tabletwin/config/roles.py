"""The role each column of a catalog table plays: key, modelled by the generator, context for
children; and the split of a masked table into the rows a generator learns from and the holdout.

The generator learns every column except keys and PII columns whose values are replaced wholesale
(fake, pseudonymize, drop); those are produced fresh for each synthetic row, never copied.
"""

from __future__ import annotations

import pandas as pd

from tabletwin.config.catalog import TableConfig
from tabletwin.metrics.privacy import split_holdout
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


def split_source(masked: pd.DataFrame, table: TableConfig,
                 seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows the generator learns from and the holdout rows it never sees (``holdout_share`` of
    the table, drawn by ``seed``: the quality gate measures privacy against them). Tables under 20
    rows keep every row for fitting."""
    share = table.checks.holdout_share if len(masked) >= 20 else 0.0
    return split_holdout(masked, share, seed)
