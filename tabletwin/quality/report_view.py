"""The report page's view model: plain dicts of display-ready strings and image data URIs, one
small function per section, rendered by ``templates/report.html.j2``
(:func:`tabletwin.quality.report.render_html`).

What may be drawn (:func:`drawable_columns`): a column whose PII-plan decision is "not personal
data, kept as is", that is no free text, not sensitive in the profile and no key. Every other
column gets a line saying why its values are withheld: no value of a PII column appears anywhere on
the page (text, axis labels, titles, image metadata). The profile section shows no value of a
sensitive column; the checks section shows why a check did not measure, never a value.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Sequence

import numpy as np
import pandas as pd

from tabletwin.config import checks
from tabletwin.metrics.privacy import DistanceScore
from tabletwin.pii.plan import KEPT_BY_CATALOG, PiiPlan
from tabletwin.quality import report_charts as charts
from tabletwin.quality.gate import QualityReport
from tabletwin.quality.profile import TableProfile

#: The CSS class of each status label (tabletwin.config.checks.STATUS_LABELS, plus "warn").
STATUS_CSS = {"pass": "pass", "FAIL": "fail", "warn": "warn", "not applicable": "na",
              "not measured": "nm"}


def fmt(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def drawable_columns(plan: PiiPlan, profile: TableProfile, columns: Sequence[str], *,
                     keys: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """Split ``columns`` into those whose values may be drawn and, for the others, why not.

    Drawn: the plan has a decision for the column, it is not PII, its action is ``keep``, it is not
    free text, the profile does not mark it sensitive and it is not a key. Anything else (including
    a column the plan does not know) is withheld.
    """
    decisions = {d.column: d for d in plan.columns}
    profiles = {c.name: c for c in profile.columns}
    keys = set(keys)
    shown: list[str] = []
    withheld: dict[str, str] = {}
    for col in columns:
        d, p = decisions.get(col), profiles.get(col)
        if d is None:
            withheld[col] = "values withheld (no decision in the PII plan)"
        elif d.is_pii:
            withheld[col] = f"values withheld (PII: {d.entity}, {d.action})"
        elif d.free_text or (p is not None and p.kind == "text"):
            withheld[col] = "values withheld (free text)"
        elif p is not None and p.sensitive:
            withheld[col] = "values withheld (sensitive)"
        elif col in keys or d.action == "pseudonymize":
            withheld[col] = "key column: generated fresh, not plotted"
        elif d.action != "keep":
            withheld[col] = f"not plotted (action {d.action})"
        elif p is not None and p.kind == "empty":
            withheld[col] = "no values in the source"
        else:
            shown.append(col)
    return shown, withheld


def failed(report: QualityReport) -> tuple[list[str], list[str]]:
    """(blocking failures, warnings): checks that failed or were not measured, by severity."""
    blocking, warned = [], []
    for o in report.outcomes():
        if o.flagged:
            (warned if o.severity == "warn" else blocking).append(o.name)
    return blocking, warned


def _card(key: str, value: str, note: str = "") -> dict[str, str]:
    return {"key": key, "value": value, "note": note}


def summary(report: QualityReport, profile: TableProfile, generator: str,
            distances: DistanceScore | None, assoc_diff: float | None) -> dict[str, Any]:
    ok = report.passed
    blocking, warned = failed(report)
    fid = report.fidelity
    cards = [
        _card("verdict", "published" if ok else "not published",
              "all blocking checks pass" if ok else f"{len(blocking)} blocking check(s) failed"),
        _card("synthetic rows", f"{report.rows_actual:,}", f"from {profile.rows:,} source rows"),
        _card("generator", generator),
        _card("accuracy", fmt(fid.accuracy),
              f"uni {fmt(fid.univariate)} · bi {fmt(fid.bivariate)}"),
        _card("PII leaks", f"{sum(report.pii_leaks.values()):,}", "source PII values in output"),
        _card("expectations", f"{report.expectations.share:.1%}",
              f"{report.expectations.passed}/{report.expectations.evaluated} pass"),
    ]
    if distances is not None:
        cards.append(_card("DCR share", fmt(distances.dcr_share),
                           "closer to training than holdout; ≈0.5 ideal"))
    if assoc_diff is not None:
        cards.append(_card("association diff", fmt(assoc_diff),
                           "mean |ΔCramér's V|, plotted columns"))
    utility = report.utility
    if utility is not None:
        cards.append(_card("ML utility gap", fmt(utility.gap),
                           f"{utility.target}: real {fmt(utility.real)} · "
                           f"synth {fmt(utility.synthetic)}"))
    return {"cards": cards, "blocking": blocking, "warned": warned,
            "kept_note": KEPT_BY_CATALOG.capitalize(),
            "kept": [{"column": c, "cells": f"{n:,}"} for c, n in report.kept_by_catalog.items()]}


def _column_card(col: str, real: pd.Series, synth: pd.Series, acc: float | None) -> dict[str, Any]:
    try:
        uri, caption = charts.plot_column(real, synth)
    except Exception as exc:  # noqa: BLE001 - one odd column must not sink the report
        # the type only: a message could quote a value
        return {"column": col, "withheld": f"plot failed ({type(exc).__name__})"}
    note = (f"nulls: real {real.isna().mean():.1%} · synthetic {synth.isna().mean():.1%}"
            + ("" if acc is None else f" · accuracy {acc:.3f}"))
    return {"column": col, "uri": uri, "note": note, "caption": caption}


def columns(real: pd.DataFrame, synthetic: pd.DataFrame, shown: list[str],
            withheld: dict[str, str], order: Sequence[str],
            per_column: dict[str, float]) -> dict[str, Any]:
    """One card per column in table order: its plot, or why its values are withheld."""
    cards = [_column_card(col, real[col], synthetic[col], per_column.get(col)) if col in shown
             else {"column": col, "withheld": withheld[col]} for col in order]
    return {"cards": cards, "real_colour": charts.REAL_COLOUR,
            "synth_colour": charts.SYNTH_COLOUR}


def correlations(names: list[str], mr: np.ndarray, ms: np.ndarray, diff: float,
                 total: int) -> dict[str, Any]:
    k = len(names)
    pairs = sorted(((abs(mr[i, j] - ms[i, j]), i, j) for i, j in combinations(range(k), 2)),
                   reverse=True)[:5]
    return {"uri": charts.plot_heatmaps(names, mr, ms), "shown": k, "total": total,
            "cut": total > k, "pairs": k * (k - 1) // 2, "diff": f"{diff:.3f}",
            "largest": [{"a": names[i], "b": names[j], "real": f"{mr[i, j]:.3f}",
                         "synthetic": f"{ms[i, j]:.3f}", "diff": f"{d:.3f}"} for d, i, j in pairs]}


def privacy(d: DistanceScore) -> dict[str, Any]:
    return {"rows": f"{d.rows:,}",
            "uri": charts.plot_dcr(d) if d.dcr_training or d.dcr_holdout else None,
            "ims_training": f"{d.ims_training:.4f}", "ims_holdout": f"{d.ims_holdout:.4f}",
            "nndr_training": f"{d.nndr_training:.4f}", "nndr_holdout": f"{d.nndr_holdout:.4f}"}


def quasi(q: Any) -> dict[str, str]:
    """Share of rows whose quasi-identifier combination is unique, real vs synthetic."""
    return {"columns": ", ".join(q.columns), "rows": f"{q.rows:,}", "real": f"{q.real:.1%}",
            "synthetic": f"{q.synthetic:.1%}"}


def relations(scores: Sequence[Any]) -> dict[str, Any]:
    rows, images = [], []
    for r in scores:
        rows.append({
            "column": r.column, "parent": r.parent, "orphans": f"{r.orphans:,}",
            "cardinality": f"{r.cardinality:.3f}",
            "cross": "—" if r.cross_table is None else f"{r.cross_table:.3f} ({r.pairs} pairs)",
            "sequence": "—" if r.sequence is None else f"{r.sequence:.3f} ({r.time_column})"})
        if r.counts_real and r.counts_synthetic:
            images.append({"uri": charts.plot_counts(r),
                           "alt": f"children per parent for {r.column}"})
    return {"rows": rows, "images": images}


def history(runs: list[dict], partition: str) -> dict[str, Any]:
    rows = []
    for h in sorted(runs, key=lambda h: str(h.get("partition", "")), reverse=True)[:30]:
        try:
            acc = f"{float(h.get('accuracy')):.3f}"
        except (TypeError, ValueError):
            acc = "—"
        rows.append({"partition": h.get("partition", "—"), "passed": h.get("passed"),
                     "accuracy": acc,
                     "here": " (this report)" if str(h.get("partition")) == partition else ""})
    return {"rows": rows}


def schema_changes(report: QualityReport) -> dict[str, Any] | None:
    """The source's schema changes since the last published version (names and types only), and
    the message of an unreviewed change; None when nothing was compared or nothing changed."""
    r = report.schema_review
    if r is None or not r.compared or not r.changes:
        return None
    rows = [{"kind": c.kind, "column": c.column, "before": c.before or "—",
             "after": c.after or "—",
             "status": ("dropped from the copy" if c.kind == "dropped" else
                        "not reviewed" if c in r.unreviewed else "accepted by the catalog"),
             "css": "fail" if c in r.unreviewed else "pass"} for c in r.changes]
    return {"rows": rows, "message": r.message, "policy": r.policy}


def check_rows(report: QualityReport) -> dict[str, Any]:
    rows = []
    for o in report.outcomes():
        # a check that did not measure shows why, never a value
        value = o.value if o.status in (checks.PASSED, checks.FAILED) else o.details.get("note", "")
        rows.append({"name": o.name, "css": STATUS_CSS[o.label], "label": o.label,
                     "severity": o.severity if o.status != checks.NOT_APPLICABLE else "—",
                     "value": str(value), "threshold": str(o.threshold),
                     "description": o.description})
    return {"rows": rows}


def pii_plan(plan: PiiPlan) -> dict[str, Any]:
    return {"rows": [{"column": d.column, "entity": d.entity or "—", "score": f"{d.score:.2f}",
                      "action": d.action,
                      "kept_note": KEPT_BY_CATALOG if d.kept_by_catalog else "",
                      "origin": d.origin,
                      "evidence": ", ".join(f"{k}: {v}" for k, v in d.evidence.items())}
                     for d in plan.columns]}


def profile_rows(profile: TableProfile, per_column: dict[str, float]) -> dict[str, Any]:
    rows = []
    for c in profile.columns:
        if c.sensitive:
            text = "sensitive: values withheld"
        elif c.quantiles:
            text = (f"p1 {c.quantiles.get('p1')} · median {c.quantiles.get('p50')} · "
                    f"p99 {c.quantiles.get('p99')}")
        else:
            text = ", ".join(f"{v} ({s:.0%})" for v, s in c.top[:4])
        acc = per_column.get(c.name)
        rows.append({"name": c.name, "kind": c.kind, "nulls": f"{c.null_rate:.1%}",
                     "distinct": f"{c.distinct:,}", "accuracy": "" if acc is None else f"{acc:.3f}",
                     "summary": text})
    return {"rows": rows}
