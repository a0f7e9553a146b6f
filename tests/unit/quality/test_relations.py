"""Child-vs-parent scores: orphans, children per parent, columns across the join."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.metrics.relations import (ParentData, cardinality_accuracy, children_per_parent, orphans,
                                 relation_scores)


def bank(n_parents: int = 2000, seed: int = 0, link: bool = True):
    """Parents with a salary; children (loans) whose count and amount follow the parent's salary."""
    rng = np.random.default_rng(seed)
    parents = pd.DataFrame({"pid": np.arange(n_parents) + 10 * seed,
                            "salary": rng.lognormal(10, 0.5, n_parents).round(2)})
    rich = parents["salary"] > parents["salary"].median()
    kids = rng.poisson(np.where(rich, 3.0, 0.7))
    fk = np.repeat(parents["pid"].to_numpy(), kids)
    sal = np.repeat(parents["salary"].to_numpy(), kids)
    if not link:  # same children, attached to random parents: the join no longer makes sense
        fk = rng.choice(parents["pid"].to_numpy(), len(fk))
    amount = (sal * rng.uniform(0.5, 1.5, len(sal))).round(2)
    return parents, pd.DataFrame({"fk": fk, "amount": amount})


def test_orphans_and_counts():
    parents = pd.Series([1, 2, 3])
    child = pd.Series([1, 1, 2, 9, None])
    assert orphans(child, parents) == 1
    assert sorted(children_per_parent(child, parents).tolist()) == [0, 1, 2]


def test_cardinality_accuracy_sees_a_different_fan_out():
    p, c = bank()
    assert cardinality_accuracy(c["fk"], p["pid"], c["fk"], p["pid"]) == pytest.approx(1.0)
    p2, c2 = bank(seed=1)
    assert cardinality_accuracy(c["fk"], p["pid"], c2["fk"], p2["pid"]) > 0.95
    one_each = pd.Series(p2["pid"].to_numpy())  # every parent exactly one child
    assert cardinality_accuracy(c["fk"], p["pid"], one_each, p2["pid"]) < 0.7


def test_relation_scores_tell_a_faithful_join_from_a_random_one():
    p, c = bank()
    good_p, good_c = bank(seed=1)
    bad_p, bad_c = bank(seed=1, link=False)
    real = ParentData("people", "pid", p, p, ("salary",))
    good = relation_scores(c, good_c, {"fk": ParentData("people", "pid", p, good_p, ("salary",))},
                           ["amount"])[0]
    bad = relation_scores(c, bad_c, {"fk": ParentData("people", "pid", p, bad_p, ("salary",))},
                          ["amount"])[0]
    assert good.orphans == 0 and bad.orphans == 0 and good.pairs == 1
    assert good.cross_table > 0.9 > bad.cross_table + 0.1
    assert good.cardinality > bad.cardinality
    dangling = c.assign(fk=c["fk"] + 10**6)
    assert relation_scores(c, dangling, {"fk": real}, ["amount"])[0].orphans == len(c)


def test_fanout_accuracy_tells_large_fan_outs_apart():
    from tabletwin.metrics.relations import fanout_accuracy

    rng = np.random.default_rng(3)
    parents = pd.Series(np.arange(500))
    wide = pd.Series(np.repeat(parents, rng.integers(30, 600, 500)))
    narrow = pd.Series(np.repeat(parents, rng.integers(30, 60, 500)))
    # both fan-outs are above MAX_COUNT_BIN: the capped histogram cannot tell them apart
    assert cardinality_accuracy(wide, parents, narrow, parents) == pytest.approx(1.0)
    assert fanout_accuracy(wide, parents, narrow, parents) < 0.5
    again = pd.Series(np.repeat(parents, rng.integers(30, 600, 500)))
    assert fanout_accuracy(wide, parents, again, parents) > 0.8


def test_report_shows_related_tables(tmp_path):
    from tabletwin.quality.report import _relations_section

    p, c = bank()
    p2, c2 = bank(seed=1)
    score = relation_scores(c, c2, {"fk": ParentData("people", "pid", p, p2, ("salary",))},
                            ["amount"])[0]
    assert len(score.counts_real) == len(score.counts_synthetic) > 2
    assert sum(score.counts_real) == pytest.approx(1.0, abs=1e-4)
    html = _relations_section([score])
    assert "<code>fk</code> → <code>people</code>" in html and "data:image/png;base64" in html
    assert f"{score.cardinality:.3f}" in html
