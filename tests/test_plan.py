"""The reviewable plan: fingerprints and the new-or-changed column diff."""

import pytest

from tabletwin.pii.plan import ColumnDecision, PiiPlan, fingerprint, plan_changes

PLAN = PiiPlan("t", [ColumnDecision("a", "PERSON", 0.9, "fake"),
                     ColumnDecision("b", None, 0.0, "keep")])
FP = fingerprint(PLAN, {"a": "object", "b": "int64"})


@pytest.mark.parametrize("previous, expected", [
    (None, {}),
    ({}, {}),
    (FP, {}),
    ({"a": FP["a"]}, {"b": ["new column"]}),
    ({**FP, "c": {"entity": None, "action": "keep", "dtype": "int64"}}, {"c": ["column removed"]}),
    ({**FP, "b": {**FP["b"], "dtype": "float64"}}, {"b": ["dtype: float64 -> int64"]}),
    ({**FP, "a": {**FP["a"], "entity": None, "action": "keep"}},
     {"a": ["entity: None -> PERSON", "action: keep -> fake"]}),
])
def test_plan_changes(previous, expected):
    assert plan_changes(previous, FP) == expected


def test_markdown_and_round_trip_hold_no_values():
    plan = PiiPlan("t", [ColumnDecision("a", "PERSON", 0.9, "fake", evidence={"match_share": 1.0})])
    assert PiiPlan.from_dict(plan.to_dict()) == plan
    assert "| a | yes | PERSON | 0.90 | fake | detected | match_share=1.0 |" in plan.to_markdown()
