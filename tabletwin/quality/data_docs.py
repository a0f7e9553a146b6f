"""Great Expectations Data Docs for a validation, made readable offline, and the one GX context.

:func:`write_docs` writes the docs into a folder, made readable offline (no CDN stylesheet, script,
font or image; a small inline stylesheet instead). The folder keeps the latest ``keep_runs``
validations per suite (older ones are pruned), so several tables can share one folder and its
``index.html`` lists each table's latest run.
"""

from __future__ import annotations

import fcntl
import html
import os
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from tabletwin.files import write_text_atomic

DOCS_RESULTS_DIR = ".results"  # validation results (JSON) behind the docs site, pruned like pages
DOCS_BATCH_ID = "synthetic"

_CONTEXT: dict[str, Any] = {}


def context():
    """The process's ephemeral GX context (created once: it is slow to build)."""
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


def batch_definition():
    """The whole-dataframe batch definition of the (ephemeral, process-wide) GX context."""
    context()
    return _CONTEXT["bd"]


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
        ctx = context()
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
