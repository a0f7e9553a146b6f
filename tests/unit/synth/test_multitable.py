"""Child tables drawn from their synthetic parents (tabletwin.synth.multitable)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.catalog import TableConfig
from tabletwin.errors import InputError
from tabletwin.synth.generators import TableMeta, make_generator
from tabletwin.synth.multitable import ParentFrame
from tabletwin.synth.pipeline import Pipeline
from tabletwin.synth.relation import RelationStep
from tabletwin.metrics.relations import cardinality_accuracy, orphans, sequence_accuracy


def bank(n_parents: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parents with a segment that drives both how many children they have and the children's
    amounts, and a start date their children's events follow."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["big", "small"], n_parents, p=[0.3, 0.7])
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n_parents), "D")
    parents = pd.DataFrame({"pid": np.arange(1, n_parents + 1), "segment": segment,
                            "salary": np.where(segment == "big", 9000.0, 3000.0)
                            + rng.normal(0, 300, n_parents).round(0),
                            "opened": start})
    counts = np.where(segment == "big", rng.poisson(8, n_parents), rng.poisson(1, n_parents))
    pid = np.repeat(parents["pid"].to_numpy(), counts)
    big = np.repeat(segment == "big", counts)
    opened = np.repeat(start.to_numpy(), counts)
    span = (pd.Timestamp("2022-12-31") - pd.to_datetime(opened)).total_seconds().to_numpy()
    created = pd.to_datetime(opened) + pd.to_timedelta(rng.random(len(pid)) * span, "s")
    children = pd.DataFrame({"cid": np.arange(len(pid)) + 1, "pid": pid,
                             "amount": np.where(big, 500.0, 50.0) * rng.lognormal(0, 0.3, len(pid)),
                             "channel": np.where(rng.random(len(pid)) < np.where(big, 0.8, 0.2),
                                                 "web", "branch"),
                             "created": created.floor("s")})
    return parents, children


def fit_child(parents: pd.DataFrame, children: pd.DataFrame, seed: int = 0,
              **params) -> Pipeline:
    gen = Pipeline(make_generator("sequential_tree", {"n_jobs": 1, **params}),
                   [RelationStep(count_params={"n_jobs": 1})])
    meta = TableMeta(table="children", extra={
        "parents": {"pid": ParentFrame("parents", "pid", parents,
                                       ("segment", "salary", "opened"))},
        "all_keys": {"pid": children["pid"]}})
    return gen.fit(children.drop(columns=["cid"]), meta, seed=seed)


def synthetic_parents(parents: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Stand-in for the parent's synthetic table: new keys, resampled rows."""
    rng = np.random.default_rng(seed)
    out = parents.sample(len(parents), replace=True, random_state=seed).reset_index(drop=True)
    out["pid"] = rng.permutation(len(out)) + 100_000
    return out


@pytest.fixture(scope="module")
def fitted():
    parents, children = bank()
    return parents, children, fit_child(parents, children)


def test_children_per_parent_follow_parent_attributes(fitted):
    parents, children, gen = fitted
    syn_parents = synthetic_parents(parents)
    syn = gen.sample(len(children), seed=3, parents={"pid": syn_parents})
    assert len(syn) == len(children)
    assert orphans(syn["pid"], syn_parents["pid"]) == 0
    assert cardinality_accuracy(children["pid"], parents["pid"], syn["pid"],
                                syn_parents["pid"]) >= 0.9
    per = syn["pid"].value_counts().reindex(syn_parents["pid"], fill_value=0)
    by_segment = per.groupby(syn_parents.set_index("pid")["segment"]).mean()
    assert by_segment["big"] > 4 * by_segment["small"]  # source: 8 vs 1


def test_child_columns_follow_their_parent(fitted):
    parents, children, gen = fitted
    syn_parents = synthetic_parents(parents)
    syn = gen.sample(len(children), seed=4, parents={"pid": syn_parents})
    seg = syn["pid"].map(syn_parents.set_index("pid")["segment"])
    med = syn.groupby(seg)["amount"].median()
    assert med["big"] > 5 * med["small"]  # source: 500 vs 50
    web = (syn["channel"] == "web").groupby(seg).mean()
    assert web["big"] > 0.65 and web["small"] < 0.35  # source: 0.8 vs 0.2


def test_events_follow_their_parent_in_time_order(fitted):
    parents, children, gen = fitted
    syn_parents = synthetic_parents(parents)
    syn = gen.sample(len(children), seed=5, parents={"pid": syn_parents})
    opened = syn["pid"].map(syn_parents.set_index("pid")["opened"])
    assert (syn["created"] >= opened).all()
    assert syn["created"].max() <= children["created"].max()
    assert syn["created"].is_monotonic_increasing
    assert str(syn["created"].dtype) == str(children["created"].dtype)
    assert sequence_accuracy(children, syn, "pid", "created") >= 0.8
    assert gen.get_params()["time_offsets"] == {"created": "pid.opened"}


def test_sampling_is_deterministic_per_seed(fitted):
    parents, children, gen = fitted
    syn_parents = synthetic_parents(parents)
    a = gen.sample(500, seed=9, parents={"pid": syn_parents})
    b = gen.sample(500, seed=9, parents={"pid": syn_parents})
    pd.testing.assert_frame_equal(a, b)


def test_link_table_with_two_parents():
    rng = np.random.default_rng(2)
    clients = pd.DataFrame({"client_id": np.arange(1, 1501),
                            "region": rng.choice(["north", "south"], 1500)})
    accounts = pd.DataFrame({"account_id": np.arange(1, 1201),
                             "kind": rng.choice(["a", "b"], 1200)})
    # every client has one disposition; accounts have one (owner) or two (owner + user)
    acc = np.concatenate([accounts["account_id"], rng.choice(accounts["account_id"], 300,
                                                             replace=False)])
    disp = pd.DataFrame({"client_id": rng.permutation(clients["client_id"]),
                         "account_id": acc,
                         "type": ["OWNER"] * 1200 + ["USER"] * 300})
    relation = RelationStep()
    gen = Pipeline(make_generator("sequential_tree", {"n_jobs": 1}), [relation])
    meta = TableMeta(table="disp", extra={"parents": {
        "client_id": ParentFrame("client", "client_id", clients, ("region",)),
        "account_id": ParentFrame("account", "account_id", accounts, ("kind",))}})
    gen.fit(disp, meta, seed=0)
    assert relation.primary_ == "account_id"  # the link whose counts carry information
    syn_c = clients.assign(client_id=clients["client_id"] + 10_000)
    syn_a = accounts.assign(account_id=accounts["account_id"] + 10_000)
    syn = gen.sample(len(disp), seed=1, parents={"client_id": syn_c, "account_id": syn_a})
    for fk, real_p, syn_p in (("client_id", clients, syn_c), ("account_id", accounts, syn_a)):
        assert orphans(syn[fk], syn_p[fk]) == 0
        assert cardinality_accuracy(disp[fk], real_p[fk], syn[fk], syn_p[fk]) >= 0.95, fk


def test_nullable_foreign_key_keeps_its_null_rate():
    parents, children = bank(800, seed=4)
    children = children.astype({"pid": "Int64"})
    children.loc[children.sample(frac=0.2, random_state=0).index, "pid"] = pd.NA
    gen = fit_child(parents, children)
    syn = gen.sample(len(children), seed=2, parents={"pid": synthetic_parents(parents)})
    assert abs(syn["pid"].isna().mean() - 0.2) < 0.02
    assert syn.loc[syn["pid"].isna(), "created"].notna().all()


def test_needs_parent_rows_to_sample(fitted):
    parents, children, gen = fitted
    with pytest.raises(InputError, match="missing"):
        gen.sample(10, seed=0, parents={})
    with pytest.raises(InputError, match="missing"):  # no parents given at all
        gen.sample(10)
    with pytest.raises(InputError, match="seed table"):  # parents and a seed table: one or other
        gen.sample(seed=0, conditions=children[["amount"]].iloc[:10], parents={"pid": parents})


def test_child_with_copula_is_not_conditioned():
    from tabletwin.chain.synthesis import conditioned_links

    parents, _ = bank(50)
    table = TableConfig(name="children", primary_key="cid", foreign_keys={"pid": "parents.pid"})
    frame = {"pid": ParentFrame("parents", "pid", parents, ("segment",))}
    assert conditioned_links(table, frame) == ["pid"]
    copula = table.model_copy(update={"generator": table.generator.model_copy(
        update={"name": "gaussian_copula"})})
    assert conditioned_links(copula, frame) == []
    off = table.model_copy(update={"condition_on_parents": False})
    assert conditioned_links(off, frame) == []
    assert conditioned_links(table, None) == []
