"""PII handling of tabletwin: detect personal data per column, mask it, fake it, check for leaks.

Pure library code (no Dagster). Presidio (and spaCy behind it) is imported on first detection, not
on ``import tabletwin.pii``.
"""

from tabletwin.pii.detect import detect_pii
from tabletwin.pii.fakes import fake_values
from tabletwin.pii.leakage import pii_leaks
from tabletwin.pii.mask import fill_pii_columns, mask_table
from tabletwin.pii.plan import ColumnDecision, ColumnOverride, PiiPlan
from tabletwin.pii.pseudonyms import pseudonymize

__all__ = [
    "ColumnDecision",
    "ColumnOverride",
    "PiiPlan",
    "detect_pii",
    "fake_values",
    "fill_pii_columns",
    "mask_table",
    "pii_leaks",
    "pseudonymize",
]
