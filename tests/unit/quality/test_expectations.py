"""The Great Expectations suite derived from the profile, and its offline Data Docs.

Every expectation catches its own violation and passes on a good synthetic frame; no value of a
sensitive column (and no unexpected value at all) reaches an expectation, a result or the docs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabletwin.quality.expectations import (ExpectationSpec, build_suite, protected_bounds, run_suite,
                                    suite_for_table)
from tabletwin.synth.generators.marginals import PROTECT_K
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.quality.profile import profile_table

PII_MARKER = "PIIMARKER7f3a"
CAT_MARKER = "CATMARKER91c2"
N = 1000


def plan_for(df, sensitive=()):
    return PiiPlan("orders", [ColumnDecision(c, "EMAIL_ADDRESS" if c in sensitive else None, 0.9,
                                             "fake" if c in sensitive else "keep")
                              for c in df.columns])


def source_frame(n=N, seed=0):
    rng = np.random.default_rng(seed)
    amount = np.round(rng.gamma(2.0, 50.0, n), 2)
    amount[:3] = [100_000.0, 250_000.0, -9_999.0]  # raw outliers the generator never emits
    return pd.DataFrame({
        "order_id": np.arange(1, n + 1, dtype="int64"),
        "customer_id": rng.integers(1, 200, n).astype("int64"),
        "email": [f"{PII_MARKER}.{i}@example.com" if i % 10 else None for i in range(n)],
        "amount": amount,
        "segment": rng.choice(["retail", "business", "vip"], n),
        "discount": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
    })


PARENT_KEYS = list(range(5001, 5201))  # the parent table's synthetic keys


def synthetic_frame(src, n=N, seed=1):
    """A well-behaved synthetic copy: fresh keys, values inside the protected range, same null
    shares, known categories, no source email."""
    rng = np.random.default_rng(seed)
    lo, hi = protected_bounds(src["amount"])
    dlo, dhi = protected_bounds(src["discount"])
    emails = pd.Series([f"user{i}@fake.test" for i in range(n)], dtype=object)
    emails[rng.random(n) < 0.1] = None
    return pd.DataFrame({
        "order_id": np.arange(90_001, 90_001 + n, dtype="int64"),
        "customer_id": rng.choice(PARENT_KEYS, n).astype("int64"),
        "email": emails,
        "amount": np.round(rng.uniform(lo, hi, n), 2),
        "segment": rng.choice(["retail", "business", "vip"], n),
        "discount": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(dlo, dhi, n)),
    })


@pytest.fixture(scope="module")
def case():
    src = source_frame()
    prof = profile_table(src, plan_for(src, sensitive=("email",)))
    specs = build_suite(prof, list(src.columns), unique=("order_id",),
                        keys=("order_id", "customer_id"), parent_keys={"customer_id": PARENT_KEYS},
                        source=src)
    return src, prof, specs


def test_suite_has_every_kind_of_expectation(case):
    src, prof, specs = case
    kinds = {(s.type, s.column) for s in specs}
    for c in src.columns:
        assert any(t in ("ExpectColumnValuesToBeInTypeList", "ExpectColumnTypeToBe") and col == c
                   for t, col in kinds), c
    assert ("ExpectTableColumnsToMatchOrderedList", None) in kinds
    assert ("ExpectColumnProportionOfNonNullValuesToBeBetween", "discount") in kinds
    assert ("ExpectColumnProportionOfNonNullValuesToBeBetween", "email") in kinds
    assert ("ExpectColumnValuesToNotBeNull", "order_id") in kinds
    assert ("ExpectColumnValuesToBeUnique", "order_id") in kinds
    assert ("ExpectColumnValuesToBeBetween", "amount") in kinds
    assert ("ExpectColumnValuesToBeInSet", "segment") in kinds
    assert ("ExpectColumnValuesToBeInSet", "customer_id") in kinds  # the foreign key
    # keys get no range or domain from the source; the sensitive column gets no values at all
    assert not any(t in ("ExpectColumnValuesToBeBetween",) and c in ("order_id", "customer_id")
                   for t, c in kinds)
    fk = [s for s in specs if s.column == "customer_id" and s.type == "ExpectColumnValuesToBeInSet"]
    assert fk[0].kwargs["value_set"] == PARENT_KEYS
    assert PII_MARKER not in repr(specs)


def test_range_uses_protected_bounds_not_raw_extremes(case):
    src, prof, specs = case
    rng = next(s.kwargs for s in specs
               if s.type == "ExpectColumnValuesToBeBetween" and s.column == "amount")
    xs = np.sort(src["amount"].to_numpy())
    lo, hi = xs[PROTECT_K], xs[-1 - PROTECT_K]
    # the protected range, rounded outward to a round unit (1% of the width or more): the k-th
    # smallest and largest values are single people's values and are not shown in the suite
    unit = 10.0 ** np.ceil(np.log10((hi - lo) / 100))
    assert lo - unit < rng["min_value"] <= lo and hi <= rng["max_value"] < hi + unit
    assert rng["min_value"] % unit == 0 and rng["max_value"] % unit == 0
    assert not set(src["amount"]) & {rng["min_value"], rng["max_value"]} - {0.0}
    assert 250_000.0 not in prof["amount"].quantiles.values()  # the raw max: not in the profile
    assert 250_000.0 not in (rng["min_value"], rng["max_value"])  # ...nor in the suite
    assert "mostly" not in rng
    # without the source frame: an approximation from interior quantiles, never p0/p100
    approx = next(s.kwargs for s in build_suite(prof, list(src.columns))
                  if s.type == "ExpectColumnValuesToBeBetween" and s.column == "amount")
    assert xs[0] < approx["min_value"] < approx["max_value"] < xs[-1]
    assert 0.5 < approx["mostly"] < 1.0
    assert protected_bounds(pd.Series([1.0, 2.0, np.nan])) == (1.0, 2.0)
    assert protected_bounds(pd.Series([np.nan])) is None


def test_passes_on_good_synthetic_frame(case):
    src, prof, specs = case
    res = run_suite(synthetic_frame(src), specs, suite_name="orders_synthetic")
    assert res.failures == [] and res.share == 1.0 and res.evaluated == len(specs)
    assert res.docs_index is None


def _wrong_dtype(df):
    df["amount"] = df["amount"].astype(str)


def _too_many_nulls(df):
    df.loc[df.index[:400], "discount"] = np.nan


def _too_few_nulls(df):
    df["discount"] = df["discount"].fillna(0.5)


def _beyond_bounds(df):
    df.loc[df.index[7], "amount"] = 250_000.0  # one copied outlier is enough


def _unknown_category(df):
    df.loc[df.index[3], "segment"] = CAT_MARKER


def _duplicate_key(df):
    df.loc[df.index[5], "order_id"] = df["order_id"].iloc[4]


def _null_key(df):
    df["order_id"] = df["order_id"].astype("Int64")
    df.loc[df.index[5], "order_id"] = pd.NA


def _orphan(df):
    df.loc[df.index[9], "customer_id"] = 1  # not a synthetic parent key


def _sensitive_null_share(df):
    df["email"] = None


def _column_order(df):
    df.insert(0, "segment", df.pop("segment"))


VIOLATIONS = [
    (_wrong_dtype, "expect_column_values_to_be_in_type_list", "amount"),
    (_too_many_nulls, "expect_column_proportion_of_non_null_values_to_be_between", "discount"),
    (_too_few_nulls, "expect_column_proportion_of_non_null_values_to_be_between", "discount"),
    (_sensitive_null_share, "expect_column_proportion_of_non_null_values_to_be_between", "email"),
    (_beyond_bounds, "expect_column_values_to_be_between", "amount"),
    (_unknown_category, "expect_column_values_to_be_in_set", "segment"),
    (_duplicate_key, "expect_column_values_to_be_unique", "order_id"),
    (_null_key, "expect_column_values_to_not_be_null", "order_id"),
    (_orphan, "expect_column_values_to_be_in_set", "customer_id"),
    (_column_order, "expect_table_columns_to_match_ordered_list", None),
]


@pytest.mark.parametrize("breaks, expectation, column", VIOLATIONS,
                         ids=[v[0].__name__.strip("_") for v in VIOLATIONS])
def test_each_expectation_catches_its_violation(case, breaks, expectation, column):
    src, prof, specs = case
    bad = synthetic_frame(src)
    breaks(bad)
    res = run_suite(bad, specs, suite_name="orders_synthetic")
    assert (expectation, column) in {(f.type, f.column) for f in res.failures}
    assert res.share < 1.0
    assert CAT_MARKER not in repr(res) and PII_MARKER not in repr(res)


def test_null_tolerance_is_a_parameter_and_widens_for_small_tables(case):
    src, prof, _ = case
    spec = next(s for s in build_suite(prof, list(src.columns), null_tolerance=0.01)
                if s.type == "ExpectColumnProportionOfNonNullValuesToBeBetween"
                and s.column == "discount")
    present = 1 - prof["discount"].null_rate
    assert spec.kwargs["min_value"] < present < spec.kwargs["max_value"]
    assert spec.kwargs["max_value"] - spec.kwargs["min_value"] < 0.15
    small = next(s for s in build_suite(prof, list(src.columns), rows=50)
                 if s.type == "ExpectColumnProportionOfNonNullValuesToBeBetween"
                 and s.column == "discount")
    assert small.kwargs["max_value"] - small.kwargs["min_value"] > 0.3


def test_suite_for_table_reads_keys_and_constraints_from_the_catalog(case):
    from tabletwin.config.catalog import TableConfig

    src, prof, _ = case
    table = TableConfig(name="orders", primary_key="order_id",
                        foreign_keys={"customer_id": "customers.customer_id"},
                        constraints=[{"kind": "formula", "column": "amount",
                                      "expression": "discount * 100"}])
    specs = suite_for_table(prof, list(src.columns), table, source=src,
                            parent_keys={"customer_id": pd.Series(PARENT_KEYS)})
    kinds = {(s.type, s.column) for s in specs}
    assert ("ExpectColumnValuesToBeUnique", "order_id") in kinds
    assert ("ExpectColumnValuesToNotBeNull", "order_id") in kinds
    assert ("ExpectColumnValuesToBeInSet", "customer_id") in kinds
    assert ("ExpectColumnValuesToBeBetween", "amount") not in kinds  # derived by a formula


def _docs_refs(folder: Path) -> list[str]:
    refs = []
    for f in folder.rglob("*"):
        if f.suffix in (".html", ".css", ".js"):
            text = f.read_text(encoding="utf-8", errors="replace")
            refs += re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", text, flags=re.I)
            refs += re.findall(r"""url\(\s*['"]?([^'")]+)""", text)
            refs += re.findall(r"""@import\s+['"]([^'"]+)""", text)
    return refs


@pytest.fixture(scope="module")
def docs(case, tmp_path_factory):
    """Docs for a failing run (an unknown category, a duplicate key) written twice, plus a second
    table sharing the folder."""
    src, prof, specs = case
    folder = tmp_path_factory.mktemp("gx_docs")
    bad = synthetic_frame(src)
    _unknown_category(bad)
    _duplicate_key(bad)
    bad.loc[bad.index[11], "email"] = PII_MARKER  # a source PII value slipped through
    # a misconfigured suite that would list unexpected email values, to prove none are kept
    leaky = specs + [ExpectationSpec("ExpectColumnValuesToBeInSet",
                                     {"column": "email", "value_set": ["nobody@fake.test"]})]
    run_suite(bad, leaky, suite_name="orders_synthetic", docs_dir=folder, run_name="2026-03-01")
    res = run_suite(bad, leaky, suite_name="orders_synthetic", docs_dir=folder,
                    run_name="2026-03-02")
    other = run_suite(synthetic_frame(src), specs, suite_name="customers_synthetic",
                      docs_dir=folder, run_name="2026-03-02")
    return folder, res, other


def test_docs_written_offline_and_value_free(docs):
    folder, res, other = docs
    index = Path(res.docs_index)
    assert index == folder / "index.html" and index.exists()
    assert other.docs_index == res.docs_index
    pages = sorted(folder.joinpath("validations").rglob("*.html"))
    assert len(pages) == 2  # the older orders run was pruned: latest run per suite
    assert {p.relative_to(folder / "validations").parts[:2] for p in pages} == {
        ("orders_synthetic", "2026-03-02"), ("customers_synthetic", "2026-03-02")}
    assert len(list(folder.joinpath(".results").rglob("*.json"))) == 2
    refs = _docs_refs(folder)
    assert refs, "expected local links"
    external = [r for r in refs if re.match(r"(?i)(https?:)?//", r)]
    assert external == []
    for f in folder.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert PII_MARKER.encode() not in data, f
            assert CAT_MARKER.encode() not in data, f
    text = index.read_text()
    assert "orders_synthetic" in text and "customers_synthetic" in text and "Failed" in text
    page = next(p for p in pages if "orders_synthetic" in p.parts).read_text()
    assert "unique" in page and "retail" in page  # expectations and the non-sensitive domain
    assert "synthetic keys of the parent table" in page  # not the list of 200 parent keys
    # every local link resolves
    for p in [index, *pages]:
        for ref in re.findall(r"""(?:src|href)\s*=\s*["']([^"'#]+)""", p.read_text()):
            assert (p.parent / ref).exists(), (p, ref)


@pytest.mark.browser
def test_docs_render_in_headless_chromium_without_network(docs, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed")
    folder, res, _ = docs
    out = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
         "--no-first-run", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000", "--dump-dom",
         Path(res.docs_index).as_uri()],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "orders_synthetic" in out.stdout and "<table" in out.stdout
    page = next(folder.joinpath("validations", "orders_synthetic").rglob("*.html"))
    out = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
         "--no-first-run", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "orders_synthetic" in out.stdout
    assert PII_MARKER not in out.stdout
