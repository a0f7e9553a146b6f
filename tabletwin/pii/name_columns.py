"""Table-level reasoning about name columns, after each column was classified on its own: a
column whose values sit inside another column's full names or e-mails, a weaker name candidate
next to a confident one, and first vs last name decided side by side.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from tabletwin.pii import lexicon as lx
from tabletwin.pii.classify import Classified, column_decision
from tabletwin.pii.evidence import hinted_subtype

#: Rows compared when checking that a column's values sit inside another column's values.
_CONTAINMENT_ROWS = 1000


def names_inside_other_columns(df: pd.DataFrame, classified: list[Classified]) -> None:
    """A column whose value is, row by row, a word of the same row's full name or e-mail is a
    name part (the same person's first or last name), however rare the names are.

    Only single-word columns that are not decided otherwise are tried, against PERSON full-name
    and EMAIL_ADDRESS columns of the same table.
    """
    sources = [c for c in classified if not c.decision.free_text and (
        c.decision.entity == "EMAIL_ADDRESS" or c.candidate == "full_name" or (
            c.decision.entity == "PERSON" and c.decision.subtype == "full_name"))]
    if not sources:
        return
    from tabletwin.pii import names

    head = df.head(_CONTAINMENT_ROWS)
    for item in classified:
        figures = (item.evidence or {}).get("name_shape")
        if item.decision.is_pii or not figures or figures["distinct"] < 5 or \
                figures["single"] < 0.6 or figures["single"] + figures["multi"] < 0.9 or \
                names.vetoed(names.NameEvidence(**figures)):
            continue
        if set(lx.column_tokens(item.decision.column)) & lx.NEGATIVE_HINTS["PERSON"]:
            continue
        mine = head[item.decision.column]
        for holder in sources:
            source = holder.decision
            other = head[source.column]
            both = mine.notna() & other.notna()
            if both.sum() < 5:
                continue
            inside = [_word_inside(str(a), str(b), source.entity == "EMAIL_ADDRESS")
                      for a, b in zip(mine[both], other[both])]
            share = sum(inside) / len(inside)
            if share >= 0.6:
                subtype = hinted_subtype(item.decision.column) or (
                    "first_name" if figures["first_pref"] > figures["last_pref"]
                    else "last_name")
                item.decision = column_decision(
                    item.decision.column, "PERSON", 0.5 + 0.4 * share,
                    {**item.decision.evidence, **item.evidence, "validator": "name_in_row",
                     "inside_column": source.column, "inside_share": round(share, 3)},
                    subtype=subtype)
                if not source.is_pii and holder.evidence is not None:
                    # a weaker full-name candidate holding another name column's values, row
                    # by row: both are names of the same people
                    holder.decision = column_decision(
                        source.column, "PERSON", 0.5 + 0.3 * share,
                        {**source.evidence, **holder.evidence, "validator": "name_in_row",
                         "holds_column": item.decision.column}, subtype="full_name")
                break


def _word_inside(value: str, other: str, email: bool) -> bool:
    word = lx.fold(value.strip())
    if len(word) < 2:
        return False
    if email:
        from anyascii import anyascii

        local = lx.fold(other.split("@")[0])
        return word in local or anyascii(word).lower() in local
    # a compound name ("Abu Madyan", "de la Cruz") counts when its words stand in that order
    words = " ".join(lx.fold(w.strip(",.")) for w in other.split())
    return f" {word} " in f" {words} "


def first_vs_last(classified: list[Classified]) -> None:
    """Two single-name columns without a name hint that both came out as the same part: the one
    whose words rank more as first names is the first-name column, the other the last-name one.

    Why relative: in some cultures (Vietnamese, Chinese, Korean) the lexicon ranks many given
    names about as often as family names, so each column alone leans the same way; side by side
    the family-name column still leans further towards last names.
    """
    singles = [c for c in classified if c.decision.entity == "PERSON" and not c.decision.free_text
               and c.decision.subtype in ("first_name", "last_name")
               and c.decision.origin == "detected" and not hinted_subtype(c.decision.column)
               and "name_shape" in c.decision.evidence]
    if len(singles) != 2 or singles[0].decision.subtype != singles[1].decision.subtype:
        return

    def lean(item: Classified) -> float:
        figures = item.decision.evidence["name_shape"]
        return figures["first_pref"] - figures["last_pref"]

    a, b = singles
    if lean(a) == lean(b):
        return
    first, last = (a, b) if lean(a) > lean(b) else (b, a)
    first.decision = replace(first.decision, subtype="first_name",
                             evidence={**first.decision.evidence, "relative_to": last.decision.column})
    last.decision = replace(last.decision, subtype="last_name",
                            evidence={**last.decision.evidence, "relative_to": first.decision.column})


def co_occurring_names(classified: list[Classified]) -> None:
    """A weaker name candidate counts when the table has a confident single-name column.

    A last-name column with many rare surnames next to a first-name column (or the reverse) is
    a name column; on its own it would need more dictionary hits. First vs last is then also
    decided relative to the neighbour: the column whose words rank more as first names is it.
    """
    confident = [c for c in classified if c.decision.entity == "PERSON" and not
                 c.decision.free_text and c.decision.subtype in ("first_name", "last_name")]
    if not confident:
        return
    for item in classified:
        if item.candidate in ("first_name", "last_name") and item.evidence is not None:
            figures = item.evidence["name_shape"]
            subtype = hinted_subtype(item.decision.column) or item.candidate
            if len(confident) == 1 and not hinted_subtype(item.decision.column):
                other = confident[0].decision
                other_pref = other.evidence.get("name_shape", {})
                # two single-name columns side by side: the more first-name-like one is first
                mine = figures["first_pref"] - figures["last_pref"]
                theirs = other_pref.get("first_pref", 0) - other_pref.get("last_pref", 0)
                subtype = "last_name" if other.subtype == "first_name" or mine < theirs \
                    else "first_name"
            item.decision = column_decision(
                item.decision.column, "PERSON", 0.45 + 0.3 * figures["known"],
                {**item.decision.evidence, **item.evidence, "validator": "name_lexicon",
                 "co_occurring_names": sorted(c.decision.column for c in confident)},
                subtype=subtype)
