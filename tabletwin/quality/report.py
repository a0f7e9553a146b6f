"""A self-contained HTML report (plus JSON) per table and partition.

The page opens with a summary (verdict, failed checks, rows, generator, headline scores), then,
when the caller passes the data, shows for every column that may be drawn its distribution in the
masked source ("real") and in the synthetic table, the association matrices of both tables side by
side and the distance-to-closest-record histogram; then the run history, every check, the PII plan
and the profile summary.

What may be drawn: a column whose PII-plan decision is "not personal data, kept as is", that is no
free text, not sensitive in the profile and no key. Every other column gets a line saying why its
values are withheld: no value of a PII column appears anywhere on the page (text, axis labels,
titles, image metadata). Category labels of drawn columns are shown only for levels held by at least
``MIN_LEVEL_ROWS`` source rows (rarer levels are folded into "other"), and only levels seen in the
source are named (a level found only in the synthetic table counts as "other").

Associations: every drawn column is binned as for the fidelity score
(:func:`tabletwin.metrics.fidelity._binner`: 10 quantile bins for numbers and datetimes, the 10 most frequent levels plus "other" for categories,
nulls in a bin of their own, bins fitted on the real table), and each pair gets Cramér's V of the
binned columns (0 = independent, 1 = one determines the other; a constant column scores 0). One
measure for every kind of pair keeps the two heatmaps on one 0..1 scale and matches the gate's
``correlations_preserved`` check, which uses the same measure over all modelled columns.

The page is ``templates/report.html.j2`` rendered by Jinja2 with autoescape on (every value is
HTML-escaped; the template holds the markup, :mod:`tabletwin.quality.report_view` the view model,
:mod:`tabletwin.quality.report_charts` the images). Images are PNGs in ``data:`` URIs; the page
loads nothing from anywhere (no script, no web font, no external URL).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from tabletwin.files import write_text_atomic
from tabletwin.quality.report_paths import day_report_path, run_report_path
from tabletwin.metrics.fidelity import associations
from tabletwin.metrics.privacy import DistanceScore
from tabletwin.pii.plan import KEPT_BY_CATALOG, PiiPlan
from tabletwin.quality import report_view as view
from tabletwin.quality.gate import QualityReport
from tabletwin.quality.profile import TableProfile
# re-exported: the report's tunables and colours, and which columns it draws
from tabletwin.quality.report_charts import (DPI, HIST_BINS, HOLDOUT_COLOUR, MIN_LEVEL_ROWS,
                                             REAL_COLOUR, RC, SYNTH_COLOUR, TOP_LEVELS,
                                             TRAIN_COLOUR)
from tabletwin.quality.report_view import drawable_columns

__all__ = ["DPI", "HIST_BINS", "HOLDOUT_COLOUR", "MAX_HEATMAP_COLUMNS", "MAX_ROWS",
           "MIN_LEVEL_ROWS", "REAL_COLOUR", "SYNTH_COLOUR", "TOP_LEVELS", "TRAIN_COLOUR",
           "association_matrices", "day_report_path", "drawable_columns", "mark_published",
           "render_html", "run_report_path", "write_report", "write_report_files"]

#: Rows of the real and of the synthetic table used for the plots (a seeded sample beyond this).
MAX_ROWS = 50_000
#: Columns in the association heatmaps (the first ones, in table order).
MAX_HEATMAP_COLUMNS = 30
TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _template():
    """The page template (loaded once per process): autoescape on for every value."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=False)
    return env.get_template("report.html.j2")


def _cap(df: pd.DataFrame, n: int = MAX_ROWS, seed: int = 0) -> pd.DataFrame:
    if len(df) <= n:
        return df
    rng = np.random.default_rng(seed)
    return df.iloc[np.sort(rng.choice(len(df), n, replace=False))]


def association_matrices(real: pd.DataFrame, synthetic: pd.DataFrame,
                         columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Cramér's V of every pair of binned ``columns`` (bins fitted on ``real``) in both tables, and
    the mean absolute difference over the pairs (0 when fewer than two columns): the gate's
    :func:`tabletwin.metrics.fidelity.associations` on the plotted columns."""
    score = associations(real, synthetic, list(columns), max_columns=len(columns))
    return np.array(score.real), np.array(score.synthetic), score.diff



def _relations_section(relations) -> str:
    """The related-tables section's HTML alone (the template's macro on its view)."""
    return str(_template().module.relations_section(view.relations(relations)))


def _data_sections(report: QualityReport, plan: PiiPlan, profile: TableProfile,
                   real: pd.DataFrame, synthetic: pd.DataFrame, keys: tuple[str, ...]
                   ) -> tuple[list[dict[str, Any]], float | None]:
    """The column plots and the association heatmaps (drawn on capped samples), and the mean
    association difference of the plotted columns (None with fewer than two)."""
    order = [str(c) for c in real.columns]
    shown, withheld = drawable_columns(plan, profile, order, keys=keys)
    for c in [c for c in shown if c not in synthetic.columns]:
        shown.remove(c)
        withheld[c] = "not in the synthetic table"
    r, s = _cap(real), _cap(synthetic)
    sections = [_section("columns", "Columns: real vs synthetic",
                         view.columns(r, s, shown, withheld, order, report.fidelity.per_column))]
    heat_cols = shown[:MAX_HEATMAP_COLUMNS]
    assoc_diff = None
    if len(heat_cols) >= 2:
        mr, ms, assoc_diff = association_matrices(r, s, heat_cols)
        sections.append(_section("correlations", "Associations between columns",
                                 view.correlations(heat_cols, mr, ms, assoc_diff, len(shown))))
    return sections, assoc_diff


def _section(anchor: str, heading: str, data: Any) -> dict[str, Any]:
    return {"anchor": anchor, "heading": heading, "view": data}


def page_view(report: QualityReport, plan: PiiPlan, profile: TableProfile, *, partition: str,
              run_id: str, generator: str, real: pd.DataFrame | None = None,
              synthetic: pd.DataFrame | None = None, distances: DistanceScore | None = None,
              history: list[dict] | None = None, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The whole page's view model (arguments as :func:`render_html`); draws the images."""
    import matplotlib

    if distances is None:
        distances = report.distances
    sections: list[dict[str, Any]] = []
    assoc_diff = None
    with matplotlib.rc_context(RC):
        if real is not None and synthetic is not None:
            sections, assoc_diff = _data_sections(report, plan, profile, real, synthetic, keys)
        if distances is not None:
            sections.append(_section("privacy", "Distance to closest record: training vs holdout",
                                     view.privacy(distances)))
        if report.quasi_identifiers is not None:
            sections.append(_section("quasi", "Quasi-identifiers: rows singled out",
                                     view.quasi(report.quasi_identifiers)))
        if report.relations:
            sections.append(_section("relations", "Related tables: keys, children per parent, "
                                     "joins", view.relations(report.relations)))
    changed = view.schema_changes(report)
    if changed:
        sections.append(_section("schema", "Schema changes since the last published version",
                                 changed))
    if history:
        sections.append(_section("history", "Earlier runs", view.history(history, partition)))
    sections += [
        _section("checks", "Checks", view.check_rows(report)),
        _section("pii", "PII plan", view.pii_plan(plan)),
        _section("profile", "Source profile and per-column accuracy",
                 view.profile_rows(profile, report.fidelity.per_column)),
    ]
    return {"table": report.table, "partition": partition, "run_id": run_id,
            "generator": generator, "passed": report.passed,
            "rows_synthetic": f"{report.rows_actual:,}", "rows_source": f"{profile.rows:,}",
            "accuracy": f"{report.fidelity.accuracy:.3f}",
            "summary": view.summary(report, profile, generator, distances, assoc_diff),
            "sections": sections}


def render_html(report: QualityReport, plan: PiiPlan, profile: TableProfile, *, partition: str,
                run_id: str, generator: str, real: pd.DataFrame | None = None,
                synthetic: pd.DataFrame | None = None, distances: DistanceScore | None = None,
                history: list[dict] | None = None, keys: tuple[str, ...] = ()) -> str:
    """The report page. ``real`` (masked source rows) and ``synthetic`` add the per-column plots
    and the association heatmaps, ``distances`` (default: ``report.distances`` when the report
    carries one) the DCR histogram, ``history`` (dicts with partition, passed, accuracy) a table of
    earlier runs. ``keys`` are the table's key columns (never plotted)."""
    return _template().render(page=page_view(
        report, plan, profile, partition=partition, run_id=run_id, generator=generator, real=real,
        synthetic=synthetic, distances=distances, history=history, keys=keys))


def _day_is_published(directory: str | Path, table: str, partition: str) -> bool:
    day = day_report_path(directory, table, partition).with_suffix(".json")
    try:
        return bool(json.loads(day.read_text(encoding="utf-8")).get("published"))
    except (OSError, ValueError):
        return False


def _promote(run_page: Path, day_page: Path, *, published: bool) -> None:
    """Copy a run's HTML and JSON to the day's files (``published`` recorded in the JSON)."""
    data = json.loads(run_page.with_suffix(".json").read_text(encoding="utf-8"))
    data["published"] = published
    data["run_report"] = str(run_page)
    write_text_atomic(day_page, run_page.read_text(encoding="utf-8"))
    write_text_atomic(day_page.with_suffix(".json"), json.dumps(data, indent=2, default=str))


def write_report(directory: str | Path, report: QualityReport, plan: PiiPlan,
                 profile: TableProfile, *, partition: str, run_id: str, generator: str,
                 real: pd.DataFrame | None = None, synthetic: pd.DataFrame | None = None,
                 distances: DistanceScore | None = None, history: list[dict] | None = None,
                 keys: tuple[str, ...] = ()) -> Path:
    """Write the run's report, ``<dir>/<table>/<partition>/<run id>.html`` and ``.json``, and
    return the HTML path. The day's report ``<dir>/<table>/<partition>.html`` / ``.json`` becomes
    a copy of it unless the day already has a published report: a later attempt never replaces
    that (:func:`mark_published` makes a run's report the day's once it is published).

    The optional arguments are those of :func:`render_html`; the JSON holds verdict, checks, the
    PII plan and scores only (no data value)."""
    page = run_report_path(directory, report.table, partition, run_id)
    write_report_files(page, report, plan, profile, partition=partition, run_id=run_id,
                       generator=generator, real=real, synthetic=synthetic, distances=distances,
                       history=history, keys=keys)
    if not _day_is_published(directory, report.table, partition):
        _promote(page, day_report_path(directory, report.table, partition), published=False)
    return page


def write_report_files(page: str | Path, report: QualityReport, plan: PiiPlan,
                       profile: TableProfile, *, partition: str, run_id: str, generator: str,
                       real: pd.DataFrame | None = None, synthetic: pd.DataFrame | None = None,
                       distances: DistanceScore | None = None, history: list[dict] | None = None,
                       keys: tuple[str, ...] = ()) -> Path:
    """Write one report at ``page`` (HTML) and beside it ``page`` with ``.json``, each atomically
    (a reader never sees half a file); return the HTML path. Arguments as :func:`write_report`."""
    page = Path(page)
    page.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(page, render_html(report, plan, profile, partition=partition, run_id=run_id,
                                    generator=generator, real=real, synthetic=synthetic,
                                    distances=distances, history=history, keys=keys))
    blocking, warned = view.failed(report)
    dist = distances if distances is not None else getattr(report, "distances", None)
    summary: dict[str, Any] = {
        "table": report.table, "partition": partition, "run_id": run_id, "generator": generator,
        "passed": report.passed, "published": False, "rows": report.rows_actual,
        "failed_checks": blocking, "warnings": warned,
        "not_measured": report.not_measured,
        "not_applicable": [o.name for o in report.outcomes() if o.status == "not_applicable"],
        "checks": [o.as_dict() for o in report.outcomes()],
        "pii_plan": plan.to_dict(),
        # PII columns published with their real values because the catalog keeps them
        "kept_by_catalog": {c: {"note": KEPT_BY_CATALOG,
                                "cells": report.kept_by_catalog.get(c)}
                            for c in plan.kept_by_catalog},
    }
    review = report.schema_review
    if review is not None and review.compared:
        summary["schema_changes"] = review.details()
    if dist is not None:
        summary["distances"] = dist.as_dict()
    if report.quasi_identifiers is not None:
        summary["quasi_identifiers"] = report.quasi_identifiers.as_dict()
    if real is not None and synthetic is not None:
        shown, withheld = drawable_columns(plan, profile, [str(c) for c in real.columns],
                                           keys=keys)
        summary["columns_plotted"] = [c for c in shown if c in synthetic.columns]
        summary["columns_withheld"] = withheld
    write_text_atomic(page.with_suffix(".json"), json.dumps(summary, indent=2, default=str))
    return page


def mark_published(directory: str | Path, table: str, partition: str, run_id: str) -> Path:
    """The run's report becomes the day's report, marked published (called once the run's table
    is published). Returns the day's HTML path."""
    page = run_report_path(directory, table, partition, run_id)
    day = day_report_path(directory, table, partition)
    if page.exists():
        _promote(page, day, published=True)
    return day
