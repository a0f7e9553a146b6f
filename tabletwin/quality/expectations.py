"""A Great Expectations suite derived from the source profile, run against a synthetic table.

The suite (:func:`build_suite`) checks, per table: the columns in order; each column's dtype family;
null rates within a tolerance in both directions; numeric ranges within the *protected* bounds (what
the generator may emit: the ``PROTECT_K``-th smallest and largest source values, never the raw
extremes); categorical domains; primary-key uniqueness and presence; foreign-key values among the
parent's synthetic keys (no orphans). Sensitive columns get type and null-rate expectations only,
so no value of a sensitive column ever enters an expectation; keys get no range or domain from the
source (synthetic keys are fresh by design).

:func:`run_suite` validates with a result format that collects no unexpected values, and drops any
value list GX would keep anyway: results carry expectation names, columns, shares and observed
aggregates only. With ``docs_dir`` it also writes GX Data Docs for the validation into that folder,
made readable offline (no CDN stylesheet, script, font or image; a small inline stylesheet instead).
The docs folder keeps the latest ``docs_keep_runs`` validations per suite (older ones are pruned),
so several tables can share one folder and its ``index.html`` lists each table's latest run.
"""

from __future__ import annotations

import fcntl
import html
import math
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.files import write_text_atomic
from tabletwin.synth.generators.marginals import DISCRETE_MAX_LEVELS, PROTECT_K
from tabletwin.quality.profile import ColumnProfile, TableProfile

NULL_TOLERANCE = 0.05
#: z-score of the sampling slack added to the null-rate tolerance on small tables (a null share
#: drawn for n rows varies by sqrt(p (1 - p) / n)); 4 keeps false alarms below 1e-4 per column
NULL_SLACK_Z = 4.0
#: GX result format: counts and shares, no unexpected values (Data Docs render them otherwise)
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0,
                 "include_unexpected_rows": False}
_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts",
               "partial_unexpected_index_list", "unexpected_list", "unexpected_index_list",
               "unexpected_index_query", "unexpected_rows")
DOCS_RESULTS_DIR = ".results"  # validation results (JSON) behind the docs site, pruned like pages
DOCS_BATCH_ID = "synthetic"
ROUND_DECIMALS = 6  # the most decimals marginals._decimals keeps for float columns

_INT = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype",
        "UInt8Dtype", "UInt16Dtype", "UInt32Dtype", "UInt64Dtype"]
_FLOAT = ["float16", "float32", "float64", "Float32Dtype", "Float64Dtype"]
_BOOL = ["bool", "BooleanDtype"]
_DATETIME = ["datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]"]
_TIMEDELTA = ["timedelta64[s]", "timedelta64[ms]", "timedelta64[us]", "timedelta64[ns]"]


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: the GE class name (e.g. ``ExpectColumnValuesToBeBetween``) and its kwargs."""

    type: str
    kwargs: dict[str, Any]

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")


@dataclass(frozen=True)
class ExpectationFailure:
    type: str
    column: str | None
    unexpected_percent: float | None


@dataclass(frozen=True)
class ExpectationResults:
    """evaluated >= passed >= 0; share = passed / evaluated in [0, 1] (1.0 when nothing evaluated).

    ``docs_index``: path of the Data Docs ``index.html`` when :func:`run_suite` wrote docs."""

    evaluated: int
    passed: int
    failures: list[ExpectationFailure] = field(default_factory=list)
    docs_index: str | None = None

    @property
    def share(self) -> float:
        return self.passed / self.evaluated if self.evaluated else 1.0


# --------------------------------------------------------------------------------------------------
# the suite


def protected_bounds(values: pd.Series | np.ndarray | Iterable[float],
                     k: int = PROTECT_K) -> tuple[float, float] | None:
    """The range the generators may emit for a numeric column: like their quantile grid, the
    ``k``-th smallest and largest finite value (0-based; fewer on tiny columns), or min and max for
    few-valued columns (sampled as levels). None when there is no finite value."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    x = np.sort(x[np.isfinite(x)])
    n = len(x)
    if n == 0:
        return None
    if len(np.unique(x)) <= DISCRETE_MAX_LEVELS:
        return _round_outward(float(x[0]), float(x[-1]))
    kk = min(k, max(0, (n - 1) // 2))
    return _round_outward(float(x[kk]), float(x[n - 1 - kk]))


def _round_outward(lo: float, hi: float) -> tuple[float, float]:
    """``[lo, hi]`` widened to multiples of a round unit (the power of ten at or above 1% of the
    width): the bounds are the k-th smallest and largest real values, single people's values that
    the suite (shown in reports and data docs) must not carry; rounding them outward keeps the
    check (the synthetic values must lie inside) without showing them."""
    width = hi - lo
    if not np.isfinite(width) or width <= 0:
        unit = 10.0 ** math.ceil(math.log10(max(abs(lo), 1e-12))) if lo else 1.0
    else:
        unit = 10.0 ** math.ceil(math.log10(width / 100.0))
    return float(math.floor(lo / unit) * unit), float(math.ceil(hi / unit) * unit)


def _profile_range(c: ColumnProfile, tolerance: float) -> tuple[float, float, float] | None:
    """(low, high, mostly) from the profile alone: the quantile ``q`` of the protected bound
    (``PROTECT_K / (n - 1)``, at least 1 %), interpolated between the profile's interior quantiles
    (p1..p99, never the raw p0/p100); about ``2 q`` of the values lie outside, hence ``mostly``."""
    qs = c.quantiles
    points = [(q, qs.get(f"p{int(round(q * 100))}")) for q in (0.01, 0.25, 0.5, 0.75, 0.99)]
    if any(not isinstance(v, (int, float)) for _, v in points):
        return None
    n = int(round(c.rows * (1 - c.null_rate)))
    if n < 2:
        return None
    q = max(0.01, min(PROTECT_K, (n - 1) // 2) / (n - 1))
    mostly = 1 - 2 * q - tolerance
    if mostly < 0.5:
        return None
    xq, yq = [p for p, _ in points], [float(v) for _, v in points]
    return float(np.interp(q, xq, yq)), float(np.interp(1 - q, xq, yq)), round(mostly, 4)


def _type_spec(column: str, dtype: str) -> ExpectationSpec | None:
    """The column's dtype family as a GX expectation: a type list for numbers, booleans, naive
    datetimes and timedeltas (any width, nullable or not); the exact dtype otherwise (object,
    string, category, tz-aware datetime)."""
    try:
        dt = pdt.pandas_dtype(dtype)
    except (TypeError, ValueError, ImportError):
        return None
    family = None
    if pdt.is_bool_dtype(dt):
        family = _BOOL
    elif pdt.is_integer_dtype(dt):
        family = _INT
    elif pdt.is_float_dtype(dt):
        family = _FLOAT
    elif isinstance(dt, np.dtype) and dt.kind == "M":
        family = _DATETIME
    elif isinstance(dt, np.dtype) and dt.kind == "m":
        family = _TIMEDELTA
    if family is not None:
        return ExpectationSpec("ExpectColumnValuesToBeInTypeList",
                               {"column": column, "type_list": list(family)})
    return ExpectationSpec("ExpectColumnTypeToBe", {"column": column, "type_": str(dt)})


def _null_tolerance(null_rate: float, rows: int, tolerance: float) -> float:
    slack = NULL_SLACK_Z * math.sqrt(null_rate * (1 - null_rate) / rows) if rows > 0 else 1.0
    return max(tolerance, slack)


def _plain(values: Iterable[Any]) -> list[Any]:
    """Distinct non-null values as JSON-friendly Python scalars, sorted when comparable."""
    arr = pd.Series(list(values), dtype=object).dropna().unique()
    out = [v.item() if hasattr(v, "item") else v for v in arr]
    try:
        return sorted(out)
    except TypeError:
        return out


def build_suite(profile: TableProfile, columns: list[str], *, unique: tuple[str, ...] = (),
                keys: tuple[str, ...] = (), primary_key: str | None = None,
                parent_keys: Mapping[str, Iterable[Any]] | None = None,
                source: pd.DataFrame | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None,
                derived: Iterable[str] = (), null_tolerance: float = NULL_TOLERANCE,
                rows: int | None = None) -> list[ExpectationSpec]:
    """Expectations for a synthetic copy of the profiled table with output ``columns``.

    ``keys`` (plus ``primary_key`` and the ``parent_keys`` columns) get no range or domain
    expectation from the source. ``unique`` columns must hold unique values; the primary key (given,
    or every ``unique`` column that is also a key) must be unique and never null. ``parent_keys``
    maps a foreign-key column to the parent's synthetic key values: every non-null value must be one
    of them.

    Numeric ranges of non-sensitive, non-key columns use the protected bounds: ``bounds[column]``
    when given, else :func:`protected_bounds` of ``source[column]`` (the masked source the generator
    learnt from; checked strictly), else an approximation from the profile's interior quantiles
    with a matching ``mostly`` (no raw extreme either way). ``derived`` columns (rebuilt from other
    columns by formula or inequality constraints) get no range.

    Null shares must lie within ``null_tolerance`` of the source's, in both directions, widened to
    cover sampling noise on small tables (``rows``: synthetic row count, default the profiled one).
    """
    rows = profile.rows if rows is None else rows
    parent_keys = dict(parent_keys or {})
    primary = {primary_key} if primary_key else {c for c in unique if c in keys}
    key_set = set(keys) | primary | set(parent_keys)
    derived = set(derived)
    bounds = dict(bounds or {})
    specs = [ExpectationSpec("ExpectTableColumnsToMatchOrderedList", {"column_list": list(columns)})]
    for c in profile.columns:
        if c.name not in columns:
            continue
        t = _type_spec(c.name, c.dtype)
        if t is not None:
            specs.append(t)
        if c.name in primary:
            specs.append(ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": c.name}))
        else:
            tol = _null_tolerance(c.null_rate, rows, null_tolerance)
            present = 1.0 - c.null_rate
            specs.append(ExpectationSpec("ExpectColumnProportionOfNonNullValuesToBeBetween", {
                "column": c.name,
                "min_value": math.floor(max(0.0, present - tol) * 1e4) / 1e4,
                "max_value": math.ceil(min(1.0, present + tol) * 1e4) / 1e4}))
        if c.sensitive or c.name in key_set:
            continue
        if c.kind == "numeric" and c.name not in derived:
            rng = bounds.get(c.name)
            if rng is None and source is not None and c.name in source.columns:
                rng = protected_bounds(source[c.name])
            if rng is not None:
                specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
                    "column": c.name, "min_value": float(rng[0]), "max_value": float(rng[1])}))
            elif c.quantiles and (approx := _profile_range(c, null_tolerance)) is not None:
                specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", {
                    "column": c.name, "min_value": approx[0], "max_value": approx[1],
                    "mostly": approx[2]}))
        if c.domain is not None:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet",
                                         {"column": c.name, "value_set": list(c.domain)}))
    for c in unique:
        if c in columns:
            specs.append(ExpectationSpec("ExpectColumnValuesToBeUnique", {"column": c}))
    for c, parents in parent_keys.items():
        if c in columns:
            value_set = _plain(parents)
            specs.append(ExpectationSpec("ExpectColumnValuesToBeInSet", {
                "column": c, "value_set": value_set,
                # rendered in Data Docs instead of the (long) list of parent keys
                "description": f"values must be among the {len(value_set):,} synthetic keys of "
                               "the parent table (no orphans)"}))
    return specs


def suite_for_table(profile: TableProfile, columns: list[str], table: Any, *,
                    source: pd.DataFrame | None = None,
                    parent_keys: Mapping[str, Iterable[Any]] | None = None,
                    rows: int | None = None) -> list[ExpectationSpec]:
    """:func:`build_suite` with keys, primary key and constraint-derived columns taken from a
    catalog ``TableConfig``."""
    derived: list[str] = []
    for k in getattr(table, "constraints", []):
        if getattr(k, "kind", None) == "formula":
            derived.append(k.column)
        elif getattr(k, "kind", None) == "inequality":
            derived.append(k.high)
    pk = table.primary_key
    return build_suite(profile, columns, unique=(pk,) if pk else (),
                       keys=tuple(table.key_columns), primary_key=pk, parent_keys=parent_keys,
                       source=source, derived=derived, rows=rows)


# --------------------------------------------------------------------------------------------------
# running it

_CONTEXT: dict[str, Any] = {}


def _context():
    if "ctx" not in _CONTEXT:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = ctx.data_sources.add_pandas("tabletwin").add_dataframe_asset("synthetic")
        _CONTEXT["bd"] = asset.add_batch_definition_whole_dataframe("whole")
        _CONTEXT["ctx"] = ctx
    return _CONTEXT["ctx"]


def _batch_definition():
    _context()
    return _CONTEXT["bd"]


def run_suite(df: pd.DataFrame, specs: list[ExpectationSpec], *, suite_name: str = "tabletwin",
              docs_dir: str | os.PathLike | None = None, run_name: str | None = None,
              docs_keep_runs: int = 1) -> ExpectationResults:
    """Validate ``df`` with Great Expectations; returns counts and failures without values.

    With ``docs_dir``, also writes GX Data Docs for this validation into that folder (run named
    ``run_name``, default the UTC time), keeping the latest ``docs_keep_runs`` runs of the suite;
    ``docs_index`` of the result is then the path of the folder's ``index.html``."""
    batch_definition = _batch_definition()  # creates the (ephemeral) context first
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=suite_name)
    for spec in specs:
        suite.add_expectation(getattr(gxe, spec.type)(**spec.kwargs))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format=dict(RESULT_FORMAT))
    failures = []
    for r in result.results:
        for key in _VALUE_KEYS:  # belt and braces: no value list survives, whatever GX collected
            r.result.pop(key, None)
        if not r.success:
            failures.append(ExpectationFailure(
                type=r.expectation_config.type, column=r.expectation_config.kwargs.get("column"),
                unexpected_percent=r.result.get("unexpected_percent")))
    index = None
    if docs_dir is not None:
        index = str(write_docs(result, suite_name, docs_dir, run_name=run_name,
                               keep_runs=docs_keep_runs))
    return ExpectationResults(evaluated=len(result.results),
                              passed=len(result.results) - len(failures), failures=failures,
                              docs_index=index)


# --------------------------------------------------------------------------------------------------
# Data Docs

_SITE = "tabletwin"
_STORE = "tabletwin_docs_results"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (parallel table runs may share one docs folder)."""
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_docs(result: Any, suite_name: str, docs_dir: str | os.PathLike, *,
               run_name: str | None = None, keep_runs: int = 1) -> Path:
    """Write GX Data Docs for one validation result into ``docs_dir``; returns its index.html.

    Layout (GX's): ``index.html``, ``validations/<suite>/<run>/<time>/synthetic.html`` and
    ``.results/`` (the JSON results the index is built from); runs of the suite beyond the latest
    ``keep_runs`` are removed. Pages are rewritten to load nothing from the network."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    root = Path(docs_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    run_name = re.sub(r"[^\w.+-]+", "_", run_name or now.strftime("%Y%m%dT%H%M%SZ"))
    with _locked(root / ".lock"):
        ctx = _context()
        store = ctx.add_store(_STORE, {
            "class_name": "ValidationResultsStore",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(root / DOCS_RESULTS_DIR)}})
        ctx.variables.data_docs_sites = {_SITE: {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(root)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "site_section_builders": {
                "expectations": "None", "profiling": "None",
                "validations": {"class_name": "DefaultSiteSectionBuilder",
                                "source_store_name": _STORE,
                                "renderer": {"class_name": "ValidationResultsPageRenderer"}}}}}
        vid = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite_name),
                                         RunIdentifier(run_name=run_name, run_time=now),
                                         DOCS_BATCH_ID)
        store.set(vid, result)
        keys = _prune(root, store, suite_name, keep_runs)
        ctx.build_data_docs(site_names=[_SITE], resource_identifiers=[vid])
        _make_offline(root, store, keys)
    return root / "index.html"


def _page(root: Path, key: Any) -> Path:
    parts = key.to_tuple()
    return root.joinpath("validations", *parts[:-1], f"{parts[-1]}.html")


def _prune(root: Path, store: Any, suite_name: str, keep_runs: int) -> list[Any]:
    """Drop all but the latest ``keep_runs`` results (and pages) of ``suite_name``; returns the
    remaining keys of every suite, latest first."""
    keys = sorted(store.list_keys(), key=lambda k: k.run_id.run_time, reverse=True)
    mine = [k for k in keys if k.expectation_suite_identifier.name == suite_name]
    for old in mine[max(1, keep_runs):]:
        store.remove_key(old)
        page = _page(root, old)
        page.unlink(missing_ok=True)
        for base in (root / "validations", root / DOCS_RESULTS_DIR):
            _remove_empty_dirs(base)
    drop = set(mine[max(1, keep_runs):])
    return [k for k in keys if k not in drop]


def _remove_empty_dirs(base: Path) -> None:
    if not base.is_dir():
        return
    for d in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts),
                    reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


_OFFLINE_MARK = '<meta name="tabletwin-offline" content="1">'
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 margin:0;color:#212529;background:#fff;font-size:15px;line-height:1.45}
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}
nav.navbar{display:flex;align-items:center;flex-wrap:wrap;gap:1rem;padding:.6rem 1.5rem;
 border-bottom:1px solid #dee2e6;height:auto!important;background:#f8f9fa}
nav.navbar nav{display:flex;align-items:center;gap:1rem}
.tt-brand{font-weight:600;font-size:1.1rem}
ol.breadcrumb{display:flex;list-style:none;margin:0;padding:0;gap:.4rem;background:none!important}
.breadcrumb-item+.breadcrumb-item::before{content:"/";padding-right:.4rem;color:#6c757d}
.container-fluid{padding:1rem 1.5rem;box-sizing:border-box}
.row{display:flex;flex-wrap:wrap}
.row>*{box-sizing:border-box;flex:0 0 100%;max-width:100%;padding:0 .5rem}
.row>.col-6{flex:0 0 50%;max-width:50%}
@media (min-width:900px){.row>.col-md-2{flex:0 0 18%;max-width:18%}
 .row>.col-md-10{flex:0 0 82%;max-width:82%}}
.sticky{position:sticky;top:0}
.card{border:1px solid #dee2e6;border-radius:4px;margin-bottom:1rem}
.card-header{background:#f1f3f5;padding:.4rem .6rem;border-bottom:1px solid #dee2e6}
.card-body{padding:.6rem}
.nav,.nav-pills{list-style:none;padding:0;margin:0}.nav-item{padding:.15rem 0}
.alert{padding:.6rem .9rem;border-radius:4px;margin:.6rem 0}
.alert-secondary{background:#e9ecef;border:1px solid #d6d8db}
.alert h5,.alert h6{font-size:1.1rem;margin:0}.alert .h6{font-weight:600}
h4{font-size:1.15rem;margin:.2rem 0 .4rem}
.ge-section{margin-bottom:1.2rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid #dee2e6;padding:.3rem .5rem;vertical-align:top;text-align:left}
thead th{background:#f1f3f5}
thead[hidden]{display:none}
.table-responsive{overflow-x:auto}
.show-scrollbars{overflow:auto}
.text-success{color:#146c43}.text-danger{color:#b02a37}.text-warning{color:#997404}
.text-info{color:#087990}.text-muted{color:#6c757d}
.badge{display:inline-block;padding:.1rem .4rem;border-radius:3px;background:#e9ecef;
 font-size:.85em}
.fas,.fa{font-style:normal;font-weight:bold}
.fa-check-circle::before,.fa-check::before{content:"\\2714";color:#146c43}
.fa-times::before,.fa-times-circle::before{content:"\\2718";color:#b02a37}
.fa-exclamation-triangle::before{content:"\\26A0";color:#997404}
.fa-question-circle::before{content:"?"}
.fa-comment::before{content:"\\1F4AC"}
.collapse{display:none}.collapse:target,.collapse.show{display:block}
.cooltip .top{display:none}
.btn{display:inline-block;border:1px solid #adb5bd;border-radius:4px;padding:.2rem .6rem;
 background:#f8f9fa;cursor:pointer;margin:.1rem}
.btn-group-toggle input{display:none}
button[onclick*="clearTableFilters"]{display:none}
footer{display:none}
"""
_JS = """
function _ttShow(v){
  document.querySelectorAll('.hide-succeeded-validation-target-child').forEach(function(e){
    e.parentElement.style.display=v;});
  document.querySelectorAll('.hide-succeeded-validation-target').forEach(function(e){
    e.style.display=v;});
  document.querySelectorAll('.hide-succeeded-validations-column-section-target-child')
    .forEach(function(e){var s=e.parentElement.parentElement;s.style.display=v;
      document.querySelectorAll('a[href$="#'+s.id+'"]').forEach(function(a){a.style.display=v;});});
}
function showAllValidations(){_ttShow('');}
function hideSucceededValidations(){_ttShow('none');}
"""
_EXTERNAL = r"""(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//"""


def _is_external(url: str) -> bool:
    return re.match(_EXTERNAL, url.strip()) is not None and not url.strip().startswith("file:")


def _offline(page: str, where: Path, *, index_rows: str | None = None) -> str:
    """Rewrite one GX page so it loads nothing from the network and stays readable."""
    page = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S | re.I)

    def missing(url: str) -> bool:
        local = url.split("#")[0]
        return _is_external(url) or not (url.startswith("#") or (where / local).exists())

    def link(m: re.Match) -> str:  # stylesheets from CDNs, and GX's favicon a level off
        href = re.search(r"""href\s*=\s*["']([^"']*)["']""", m.group(0))
        return "" if href and missing(href.group(1)) else m.group(0)

    page = re.sub(r"<link\b[^>]*>", link, page, flags=re.I)

    def img(m: re.Match) -> str:
        src = re.search(r"""src\s*=\s*["']([^"']*)["']""", m.group(0))
        if src and _is_external(src.group(1)):
            return '<span class="tt-brand">Great Expectations Data Docs</span>'
        return m.group(0)

    page = re.sub(r"<img\b[^>]*>", img, page, flags=re.I | re.S)

    def anchor(m: re.Match) -> str:
        return f"<span>{m.group(3)}</span>" if missing(m.group(2)) else m.group(0)

    page = re.sub(r"""<a\b([^>]*?)\bhref\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a>""", anchor, page,
                  flags=re.I | re.S)
    page = re.sub(r"""url\(\s*['"]?\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^)]*\)""", "none", page)
    page = re.sub(r"<footer\b.*?</footer>", "", page, flags=re.S | re.I)
    if index_rows is not None:
        page, n = re.subn(r"<table\b[^>]*data-toggle=\"table\"[^>]*>\s*</table>", index_rows,
                          page, count=1, flags=re.S)
        if not n:
            page = page.replace("</body>", index_rows + "</body>", 1)
    head = f"{_OFFLINE_MARK}<style>{_CSS}</style><script>{_JS}</script>"
    return page.replace("</head>", head + "</head>", 1) if "</head>" in page else head + page


def _index_rows(root: Path, store: Any, keys: list[Any]) -> str:
    """A static table of the kept validations (GX fills its index table with JavaScript from a
    CDN)."""
    rows = []
    for k in keys:
        try:
            r = store.get(k)
        except Exception:  # noqa: BLE001 -- a result being pruned by a parallel run
            continue
        stats = r.statistics or {}
        ok = bool(r.success)
        status = ('<span class="text-success"><i class="fas fa-check-circle"></i> Passed</span>'
                  if ok else '<span class="text-danger"><i class="fas fa-times"></i> Failed</span>')
        link = _page(root, k).relative_to(root).as_posix()
        rows.append(
            f"<tr><td>{status}</td>"
            f'<td><a href="{html.escape(link)}">'
            f"{html.escape(k.expectation_suite_identifier.name)}</a></td>"
            f"<td>{html.escape(str(k.run_id.run_name))}</td>"
            f"<td>{html.escape(k.run_id.run_time.strftime('%Y-%m-%d %H:%M:%S UTC'))}</td>"
            f"<td>{stats.get('successful_expectations', '')}/"
            f"{stats.get('evaluated_expectations', '')}</td></tr>")
    return ('<table class="table table-sm tt-index"><thead><tr><th>Status</th>'
            "<th>Expectation suite</th><th>Run</th><th>Run time</th><th>Passed</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _make_offline(root: Path, store: Any, keys: list[Any]) -> None:
    for page in root.joinpath("validations").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if _OFFLINE_MARK not in text:
            write_text_atomic(page, _offline(text, page.parent))
    index = root / "index.html"
    text = index.read_text(encoding="utf-8")
    if _OFFLINE_MARK not in text:
        write_text_atomic(index, _offline(text, root, index_rows=_index_rows(root, store, keys)))
    # GX copies fonts, images and stylesheets the rewritten pages do not load (its CSS is inlined)
    static = root / "static"
    for item in list(static.rglob("*")) if static.is_dir() else []:
        if item.is_file() and item.name != "favicon.ico":
            item.unlink()
    _remove_empty_dirs(static)
