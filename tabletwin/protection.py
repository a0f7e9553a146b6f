"""The privacy bounds every stage shares: what is rare, how far tails are cut, the smallest table.

They live in one dependency-free module so that the generators (which enforce them), the profile
and the report (which must not show what the generators would never emit), the fidelity metric
(which must not demand it) and the gate (which verifies it) agree on one definition.
"""

#: A value (category, string, number, date) seen fewer than RARE_K times in the rows a generator
#: learns from is *rare*: never emitted, never shown in a profile, and its appearance in a
#: synthetic table is what the gate's ``no_rare_values_copied`` measures.
RARE_K = 5
#: A continuous column's range is cut at its PROTECT_K-th smallest and largest values.
PROTECT_K = 5
#: Fewest rows a generator learns from: below it no protected range exists (the k-th smallest and
#: k-th largest values would meet) and few values can be seen RARE_K times, so a synthetic table
#: would be a reshuffle of the real rows. Smaller tables are refused, never copied.
MIN_TRAINING_ROWS = 2 * PROTECT_K + 2
#: When rare values hold at least this share of a column, the column is identifier-like (names
#: nobody flagged, codes, free text): its rare tail is drawn as fresh shape-alike values instead of
#: being folded into the few frequent values.
TAIL_MIN_SHARE = 0.5


def fold(value: object) -> str:
    """The form in which a cell counts as "the same value" for rarity: its text, trimmed and
    case-folded (the generators' redraw rule and the gate's count use this one definition)."""
    return str(value).strip().casefold()
