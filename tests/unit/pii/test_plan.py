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
    assert "| a | yes | PERSON |  |  | 0.90 | fake | detected | match_share=1.0 |" in plan.to_markdown()


def test_subtype_and_quasi_identifier_round_trip_and_show():
    plan = PiiPlan("t", [ColumnDecision("f1", "PERSON", 0.8, "fake", subtype="first_name"),
                         ColumnDecision("dob", "DATE_TIME", 0.9, "generalize",
                                        quasi_identifier=True),
                         ColumnDecision("zip", None, 1.0, "keep", quasi_identifier=True)])
    again = PiiPlan.from_dict(plan.to_dict())
    assert again == plan
    assert again["f1"].subtype == "first_name" and again["zip"].quasi_identifier
    assert plan.quasi_identifiers == ["dob", "zip"]
    md = plan.to_markdown()
    assert "| f1 | yes | PERSON | first_name |  |" in md
    assert "| zip | no |  |  | yes |" in md
    # plans stored before the fields existed still load
    old = {"table": "t", "columns": [{"column": "a", "entity": None, "score": 1.0,
                                      "action": "keep"}]}
    assert PiiPlan.from_dict(old)["a"].subtype is None
