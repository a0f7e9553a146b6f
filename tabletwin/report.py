"""A self-contained HTML report (plus JSON) per table and partition.

It shows the verdict, every check, the PII plan and the profile summary. Built from the quality
report, the plan and the profile only, which hold no raw PII values; text is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

from tabletwin.pii.plan import PiiPlan
from tabletwin.profile import TableProfile
from tabletwin.quality import QualityReport

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2330;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5b6477}.verdict{display:inline-block;padding:.35rem .9rem;border-radius:1rem;font-weight:600}
.pass{background:#dff5e3;color:#11612a}.fail{background:#fde2e1;color:#8a1c17}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .6rem;
border-bottom:1px solid #eceef3;vertical-align:top}th{background:#f6f7fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85rem}
"""


def _e(v: object) -> str:
    return html.escape(str(v))


def render_html(report: QualityReport, plan: PiiPlan, profile: TableProfile, *, partition: str,
                run_id: str, generator: str) -> str:
    ok = report.passed
    rows = []
    for o in report.outcomes():
        rows.append(
            f"<tr><td><code>{_e(o.name)}</code></td>"
            f"<td><span class='verdict {'pass' if o.passed else 'fail'}'>"
            f"{'pass' if o.passed else 'FAIL'}</span></td><td class='num'>{_e(o.value)}</td>"
            f"<td class='num'>{_e(o.threshold)}</td><td>{_e(o.description)}</td></tr>")
    plan_rows = []
    for d in plan.columns:
        ev = ", ".join(f"{k}: {v}" for k, v in d.evidence.items())
        plan_rows.append(
            f"<tr><td><code>{_e(d.column)}</code></td><td>{_e(d.entity or '—')}</td>"
            f"<td class='num'>{d.score:.2f}</td><td>{_e(d.action)}</td><td>{_e(d.origin)}</td>"
            f"<td>{_e(ev)}</td></tr>")
    prof_rows = []
    for c in profile.columns:
        if c.sensitive:
            summary = "sensitive: values withheld"
        elif c.quantiles:
            summary = f"min {c.quantiles.get('p0')} · median {c.quantiles.get('p50')} · max {c.quantiles.get('p100')}"
        else:
            summary = ", ".join(f"{v} ({s:.0%})" for v, s in c.top[:4])
        acc = report.fidelity.per_column.get(c.name)
        prof_rows.append(
            f"<tr><td><code>{_e(c.name)}</code></td><td>{_e(c.kind)}</td>"
            f"<td class='num'>{c.null_rate:.1%}</td><td class='num'>{c.distinct:,}</td>"
            f"<td class='num'>{'' if acc is None else f'{acc:.3f}'}</td><td>{_e(summary)}</td></tr>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>tabletwin · {_e(report.table)} · {_e(partition)}</title><style>{_CSS}</style></head><body>
<h1>{_e(report.table)} <span class="verdict {'pass' if ok else 'fail'}">{'published' if ok else 'not published'}</span></h1>
<div class="sub">partition {_e(partition)} · run {_e(run_id)} · generator {_e(generator)} ·
{report.rows_actual:,} synthetic rows from {profile.rows:,} source rows ·
accuracy {report.fidelity.accuracy:.3f}</div>
<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>value</th><th>threshold</th><th>meaning</th></tr>
{''.join(rows)}</table>
<h2>PII plan</h2><p class="sub">What was detected in the source and what was done to it.
Raw values are never shown.</p>
<table><tr><th>column</th><th>entity</th><th>score</th><th>action</th><th>origin</th><th>evidence</th></tr>
{''.join(plan_rows)}</table>
<h2>Source profile and per-column accuracy</h2>
<table><tr><th>column</th><th>kind</th><th>nulls</th><th>distinct</th><th>accuracy</th><th>summary</th></tr>
{''.join(prof_rows)}</table>
</body></html>"""


def write_report(directory: str | Path, report: QualityReport, plan: PiiPlan,
                 profile: TableProfile, *, partition: str, run_id: str, generator: str) -> Path:
    """Write ``<dir>/<table>/<partition>.html`` and ``.json``; returns the HTML path."""
    folder = Path(directory) / report.table
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{partition}.html"
    page.write_text(render_html(report, plan, profile, partition=partition, run_id=run_id,
                                generator=generator), encoding="utf-8")
    summary = {
        "table": report.table, "partition": partition, "run_id": run_id, "generator": generator,
        "passed": report.passed, "rows": report.rows_actual,
        "checks": [asdict(o) for o in report.outcomes()],
        "pii_plan": plan.to_dict(),
    }
    (folder / f"{partition}.json").write_text(json.dumps(summary, indent=2, default=str),
                                              encoding="utf-8")
    return page
