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

Images are PNGs in ``data:`` URIs drawn with matplotlib's object-oriented API (``Figure`` rendered
by the Agg canvas: pyplot and the global backend are never touched); style settings live in an
``rc_context`` and are restored afterwards. The page loads nothing from anywhere (no script, no web
font, no external URL). Text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from itertools import combinations
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.files import write_text_atomic
from tabletwin.frames import datetime_to_ns
from tabletwin.metrics.fidelity import _binner, associations
from tabletwin.pii.plan import KEPT_BY_CATALOG, PiiPlan
from tabletwin.metrics.privacy import DistanceScore
from tabletwin.quality.profile import TableProfile
from tabletwin.quality.gate import QualityReport

#: Rows of the real and of the synthetic table used for the plots (a seeded sample beyond this).
MAX_ROWS = 50_000
#: Category levels named in a bar chart (by share in the real table); the rest is "other".
TOP_LEVELS = 12
#: A category level is named only when at least this many real rows hold it.
MIN_LEVEL_ROWS = 5
#: Histogram bins (numbers and datetimes), over the 0.5%..99.5% range of the real values.
HIST_BINS = 30
#: Columns in the association heatmaps (the first ones, in table order).
MAX_HEATMAP_COLUMNS = 30
#: Pixel density of every image.
DPI = 90

REAL_COLOUR = "#3b6fb6"      # blue: the masked source
SYNTH_COLOUR = "#e07b28"     # orange: the synthetic table
TRAIN_COLOUR = "#b03a48"     # DCR: synthetic -> training rows
HOLDOUT_COLOUR = "#4c9a8a"   # DCR: synthetic -> holdout rows

_RC = {"font.size": 8, "font.family": "DejaVu Sans", "text.parse_math": False,
       "text.usetex": False, "axes.spines.top": False, "axes.spines.right": False,
       "axes.titlesize": 9, "legend.fontsize": 7, "legend.frameon": False,
       "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.edgecolor": "#8a91a3",
       "axes.labelcolor": "#3b4252", "xtick.color": "#5b6477", "ytick.color": "#5b6477"}

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1180px;
padding:0 1rem;color:#1d2330;line-height:1.45;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5b6477}.verdict{display:inline-block;padding:.25rem .8rem;border-radius:1rem;font-weight:600;
font-size:.95rem}
.pass{background:#dff5e3;color:#11612a}.fail{background:#fde2e1;color:#8a1c17}
.warn{background:#fff3cd;color:#7a5300}
.na{background:#eceef3;color:#5b6477}.nm{background:#fff3cd;color:#7a5300;border:1px dashed #c9a227}
nav{margin:.8rem 0 0;font-size:.92rem}nav a{color:#3b6fb6;margin-right:1rem;text-decoration:none}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .6rem;
border-bottom:1px solid #eceef3;vertical-align:top}th{background:#f6f7fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85rem}
table.compact{width:auto;min-width:min(100%,560px)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:.7rem;margin-top:1rem}
.card{border:1px solid #e3e6ee;border-radius:.6rem;padding:.6rem .8rem;background:#fbfcfe}
.card .k{font-size:.78rem;color:#5b6477;text-transform:uppercase;letter-spacing:.03em}
.card .v{font-size:1.3rem;font-weight:600;font-variant-numeric:tabular-nums}
.card .n{font-size:.78rem;color:#5b6477}
.failed{margin-top:.8rem;padding:.6rem .9rem;border-radius:.5rem;background:#fde2e1;color:#8a1c17}
.warned{margin-top:.5rem;padding:.6rem .9rem;border-radius:.5rem;background:#fff3cd;color:#7a5300}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.9rem}
.plot{border:1px solid #e3e6ee;border-radius:.6rem;padding:.5rem .6rem;background:#fff}
.plot h3{font-size:.95rem;margin:.1rem 0 .2rem}.plot .n{font-size:.8rem;color:#5b6477}
.plot img,.wide img{max-width:100%;height:auto;display:block}
.withheld{color:#5b6477;font-style:italic;padding:1.2rem 0}
.legend span{display:inline-block;width:.9rem;height:.9rem;border-radius:.2rem;vertical-align:-.1rem;
margin:0 .3rem 0 .2rem}
.wide{margin-top:.6rem}
footer{margin-top:3rem;font-size:.8rem;color:#7a8194}
"""


def _e(v: object) -> str:
    return html.escape(str(v))


def _fmt(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


# --------------------------------------------------------------------------- which columns to draw

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


# --------------------------------------------------------------------------- data preparation

def _cap(df: pd.DataFrame, n: int = MAX_ROWS, seed: int = 0) -> pd.DataFrame:
    if len(df) <= n:
        return df
    rng = np.random.default_rng(seed)
    return df.iloc[np.sort(rng.choice(len(df), n, replace=False))]


def _is_datetime(s: pd.Series) -> bool:
    return pdt.is_datetime64_any_dtype(s.dtype)


def _is_number(s: pd.Series) -> bool:
    return pdt.is_numeric_dtype(s.dtype) and not pdt.is_bool_dtype(s.dtype)


def _datetime_days(s: pd.Series) -> np.ndarray:
    """Matplotlib date numbers (days since 1970-01-01), NaN for nulls and unparseable values."""
    if not _is_datetime(s):
        s = pd.to_datetime(s, errors="coerce")
    return datetime_to_ns(s) / 86_400e9


def _numbers(s: pd.Series) -> np.ndarray:
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    x[~np.isfinite(x)] = np.nan
    return x


def _edges(x: np.ndarray) -> np.ndarray:
    """Histogram bin edges from the real values: the 0.5%..99.5% range (values beyond are folded
    into the end bins), whole-number steps for integer-valued columns."""
    lo, hi = np.quantile(x, [0.005, 0.995])
    if hi <= lo:
        lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.array([lo - 0.5, lo + 0.5])
    if np.all(np.mod(x, 1) == 0):
        lo, hi = np.floor(lo), np.ceil(hi)
        step = max(1.0, np.ceil((hi - lo + 1) / HIST_BINS))
        return np.arange(lo - 0.5, hi + step, step)
    return np.linspace(lo, hi, HIST_BINS + 1)


def _shares(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return np.zeros(len(edges) - 1)
    counts, _ = np.histogram(np.clip(x, edges[0], edges[-1]), bins=edges)
    return counts / len(x)


def _short(label: str, width: int = 22) -> str:
    label = " ".join(label.split())
    return label if len(label) <= width else label[: width - 1] + "…"


def _levels(real: pd.Series, synth: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Category labels with their shares of all rows (nulls included) in both tables."""
    r_null, s_null = real.isna(), synth.isna()
    r_str, s_str = real[~r_null].astype(str), synth[~s_null].astype(str)
    counts = r_str.value_counts()
    named = [v for v, n in counts.head(TOP_LEVELS).items() if n >= MIN_LEVEL_ROWS]
    if _is_number(real):
        order = pd.to_numeric(pd.Series(named), errors="coerce")
        named = [named[i] for i in np.argsort(order.to_numpy(), kind="stable")]
    n_r, n_s = max(len(real), 1), max(len(synth), 1)
    s_counts = s_str.value_counts()
    r_sh = [counts.get(v, 0) / n_r for v in named]
    s_sh = [s_counts.get(v, 0) / n_s for v in named]
    labels = [_short(v) for v in named]
    r_other = (len(r_str) - sum(counts.get(v, 0) for v in named)) / n_r
    s_other = (len(s_str) - sum(s_counts.get(v, 0) for v in named)) / n_s
    if r_other > 0 or s_other > 0:
        labels.append("other"), r_sh.append(r_other), s_sh.append(s_other)
    if r_null.any() or s_null.any():
        labels.append("(null)"), r_sh.append(r_null.sum() / n_r), s_sh.append(s_null.sum() / n_s)
    return labels, np.array(r_sh), np.array(s_sh)


def association_matrices(real: pd.DataFrame, synthetic: pd.DataFrame,
                         columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Cramér's V of every pair of binned ``columns`` (bins fitted on ``real``) in both tables, and
    the mean absolute difference over the pairs (0 when fewer than two columns): the gate's
    :func:`tabletwin.metrics.fidelity.associations` on the plotted columns."""
    score = associations(real, synthetic, list(columns), max_columns=len(columns))
    return np.array(score.real), np.array(score.synthetic), score.diff


# --------------------------------------------------------------------------- drawing

def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI)


def _margins(fig, *, left: float, bottom: float, right: float = 0.15, top: float = 0.3) -> None:
    """Fixed margins in inches (a layout engine costs more than the drawing)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    fig.clear()
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{_e(alt)}" loading="eager">'


def _plot_column(real: pd.Series, synth: pd.Series) -> tuple[str, str]:
    """One small multiple: (image data URI, a caption of null shares and what the axes mean)."""
    fig = _figure(4.0, 2.6)
    ax = fig.add_subplot()
    is_dt = _is_datetime(real)
    numeric = real.notna().any() and (
        is_dt or (_is_number(real) and real.nunique(dropna=True) > TOP_LEVELS))
    if numeric:
        xr = _datetime_days(real) if is_dt else _numbers(real)
        xs = _datetime_days(synth) if is_dt else _numbers(synth)
        finite = xr[~np.isnan(xr)]
        edges = _edges(finite)
        ax.stairs(_shares(xr, edges), edges, fill=True, color=REAL_COLOUR, alpha=0.45,
                  label="real")
        ax.stairs(_shares(xs, edges), edges, color=SYNTH_COLOUR, linewidth=1.6, label="synthetic")
        ax.set_ylabel("share of non-null rows")
        _margins(fig, left=0.55, bottom=0.4)
        if is_dt:
            import matplotlib.dates as mdates

            loc = mdates.AutoDateLocator(minticks=3, maxticks=5)
            ax.xaxis.set_major_locator(loc)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        caption = "histogram; tails beyond the source's 0.5%–99.5% range in the end bins"
    else:
        labels, r_sh, s_sh = _levels(real, synth)
        y = np.arange(len(labels))
        ax.barh(y - 0.2, r_sh, height=0.4, color=REAL_COLOUR, label="real")
        ax.barh(y + 0.2, s_sh, height=0.4, color=SYNTH_COLOUR, label="synthetic")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel("share of rows")
        _margins(fig, left=0.2 + 0.056 * max((len(lb) for lb in labels), default=4), bottom=0.4)
        caption = f"category shares; top {TOP_LEVELS} source levels"
    ax.legend(loc="best")
    return _png(fig), caption


def _plot_heatmaps(columns: Sequence[str], mr: np.ndarray, ms: np.ndarray) -> str:
    k = len(columns)
    side = min(7.0, max(3.2, 0.28 * k + 1.6))
    fig = _figure(2 * side + 0.9, side + 0.3)
    axes = fig.subplots(1, 2, sharey=True)
    labels = [_short(c, 18) for c in columns]
    im = None
    for ax, m, title in ((axes[0], mr, "real"), (axes[1], ms, "synthetic")):
        im = ax.imshow(m, vmin=0.0, vmax=1.0, cmap="viridis", interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks(range(k), labels, rotation=60, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(k), labels)
        ax.spines[:].set_visible(False)
        if k <= 12:
            for i in range(k):
                for j in range(k):
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if m[i, j] < 0.6 else "black")
    label_in = 0.2 + 0.056 * max(len(lb) for lb in labels)
    _margins(fig, left=label_in, bottom=label_in * 0.8 + 0.1, right=0.9)
    fig.subplots_adjust(wspace=0.08)
    fig.colorbar(im, ax=list(axes), shrink=0.8, fraction=0.04, pad=0.02, label="Cramér's V")
    return _png(fig)


def _plot_dcr(d: DistanceScore) -> str:
    trn = np.asarray(d.dcr_training, dtype=float)
    hol = np.asarray(d.dcr_holdout, dtype=float)
    both = np.concatenate([trn, hol])
    hi = float(np.quantile(both, 0.99)) if len(both) else 1.0
    edges = np.linspace(0.0, hi if hi > 0 else 1.0, 41)
    fig = _figure(7.0, 2.8)
    ax = fig.add_subplot()
    ax.stairs(_shares(trn, edges), edges, fill=True, color=TRAIN_COLOUR, alpha=0.35,
              label=f"synthetic → training rows ({len(trn):,})")
    ax.stairs(_shares(hol, edges), edges, color=HOLDOUT_COLOUR, linewidth=1.8,
              label=f"synthetic → holdout rows ({len(hol):,})")
    ax.set_xlabel("distance to the closest record (top 1% folded into the last bin)")
    ax.set_ylabel("share of synthetic rows")
    _margins(fig, left=0.6, bottom=0.45)
    ax.set_title(f"DCR share {d.dcr_share:.3f} (about 0.5 when nothing is copied)", loc="left")
    ax.legend(loc="best")
    return _png(fig)


# --------------------------------------------------------------------------- page sections

def _failed(report: QualityReport) -> tuple[list[str], list[str]]:
    """(blocking failures, warnings): checks that failed or were not measured, by severity."""
    blocking, warned = [], []
    for o in report.outcomes():
        if o.flagged:
            (warned if o.severity == "warn" else blocking).append(o.name)
    return blocking, warned


def _card(key: str, value: str, note: str = "") -> str:
    n = f"<div class='n'>{_e(note)}</div>" if note else ""
    return (f"<div class='card'><div class='k'>{_e(key)}</div><div class='v'>{_e(value)}</div>"
            f"{n}</div>")


def _summary(report: QualityReport, profile: TableProfile, generator: str,
             distances: DistanceScore | None, assoc_diff: float | None) -> str:
    ok = report.passed
    blocking, warned = _failed(report)
    fid = report.fidelity
    cards = [
        _card("verdict", "published" if ok else "not published",
              "all blocking checks pass" if ok else f"{len(blocking)} blocking check(s) failed"),
        _card("synthetic rows", f"{report.rows_actual:,}", f"from {profile.rows:,} source rows"),
        _card("generator", generator),
        _card("accuracy", _fmt(fid.accuracy),
              f"uni {_fmt(fid.univariate)} · bi {_fmt(fid.bivariate)}"),
        _card("PII leaks", f"{sum(report.pii_leaks.values()):,}", "source PII values in output"),
        _card("expectations", f"{report.expectations.share:.1%}",
              f"{report.expectations.passed}/{report.expectations.evaluated} pass"),
    ]
    if distances is not None:
        cards.append(_card("DCR share", _fmt(distances.dcr_share),
                           "closer to training than holdout; ≈0.5 ideal"))
    if assoc_diff is not None:
        cards.append(_card("association diff", _fmt(assoc_diff),
                           "mean |ΔCramér's V|, plotted columns"))
    utility = getattr(report, "utility", None)
    if utility is not None:
        cards.append(_card("ML utility gap", _fmt(utility.gap),
                           f"{utility.target}: real {_fmt(utility.real)} · "
                           f"synth {_fmt(utility.synthetic)}"))
    out = [f"<div class='cards'>{''.join(cards)}</div>"]
    if blocking:
        out.append("<div class='failed'><b>Not published.</b> Blocking checks failed: "
                   + ", ".join(f"<code>{_e(n)}</code>" for n in blocking) + "</div>")
    if warned:
        out.append("<div class='warned'>Warnings (reported, not blocking): "
                   + ", ".join(f"<code>{_e(n)}</code>" for n in warned) + "</div>")
    kept = report.kept_by_catalog
    if kept:
        out.append(f"<div class='warned'><b>{_e(KEPT_BY_CATALOG.capitalize())}</b> (the catalog "
                   "keeps these PII columns): " + ", ".join(
                       f"<code>{_e(c)}</code> ({n:,} cells)" for c, n in kept.items()) + "</div>")
    return "\n".join(out)


def _columns_section(real: pd.DataFrame, synthetic: pd.DataFrame, shown: list[str],
                     withheld: dict[str, str], order: Sequence[str],
                     per_column: dict[str, float]) -> str:
    cards = []
    for col in order:
        acc = per_column.get(col)
        head = f"<h3><code>{_e(col)}</code></h3>"
        if col not in shown:
            cards.append(f"<div class='plot'>{head}<div class='withheld'>{_e(withheld[col])}"
                         f"</div></div>")
            continue
        r, s = real[col], synthetic[col]
        try:
            uri, caption = _plot_column(r, s)
        except Exception as exc:  # noqa: BLE001 - one odd column must not sink the report
            # the type only: a message could quote a value
            cards.append(f"<div class='plot'>{head}<div class='withheld'>plot failed "
                         f"({_e(type(exc).__name__)})</div></div>")
            continue
        note = (f"nulls: real {r.isna().mean():.1%} · synthetic {s.isna().mean():.1%}"
                + ("" if acc is None else f" · accuracy {acc:.3f}"))
        cards.append(f"<div class='plot'>{head}{_img(uri, f'{col}: real vs synthetic')}"
                     f"<div class='n'>{_e(note)}<br>{_e(caption)}</div></div>")
    legend = (f"<p class='legend sub'><span style='background:{REAL_COLOUR}'></span>real (masked "
              f"source rows) <span style='background:{SYNTH_COLOUR}'></span>synthetic · columns "
              f"whose values are PII, free text or keys are listed without a plot.</p>")
    return legend + f"<div class='grid'>{''.join(cards)}</div>"


def _correlation_section(columns: list[str], mr: np.ndarray, ms: np.ndarray, diff: float,
                         total: int) -> str:
    k = len(columns)
    pairs = sorted(((abs(mr[i, j] - ms[i, j]), i, j) for i, j in combinations(range(k), 2)),
                   reverse=True)[:5]
    rows = "".join(f"<tr><td><code>{_e(columns[i])}</code> × <code>{_e(columns[j])}</code></td>"
                   f"<td class='num'>{mr[i, j]:.3f}</td><td class='num'>{ms[i, j]:.3f}</td>"
                   f"<td class='num'>{d:.3f}</td></tr>" for d, i, j in pairs)
    cut = (f" The first {k} of {total} plotted columns are shown." if total > k else "")
    return (f"<p class='sub'>Cramér's V of every pair of binned columns (numbers and dates in 10 "
            f"quantile bins, categories as their 10 most frequent levels plus other, nulls apart; "
            f"bins from the real table), real and synthetic on the same 0–1 scale.{cut} "
            f"Mean absolute difference over {k * (k - 1) // 2} pairs: <b>{diff:.3f}</b>.</p>"
            f"<div class='wide'>{_img(_plot_heatmaps(columns, mr, ms), 'association heatmaps')}"
            "</div>"
            f"<h3>Largest differences</h3><table class='compact'><tr><th>pair</th><th>real</th><th>synthetic</th>"
            f"<th>|difference|</th></tr>{rows}</table>")


def _quasi_section(q: Any) -> str:
    """Share of rows whose quasi-identifier combination is unique, real vs synthetic."""
    return (f"<p>Columns that single people out in combination (flagged in the PII plan): "
            f"<code>{_e(', '.join(q.columns))}</code>. Share of rows whose combination of them is "
            f"unique, on {q.rows:,} rows each (the real table as masked, e.g. birth dates as "
            f"years):</p><table><tr><th>real</th><th>synthetic</th></tr><tr>"
            f"<td class='num'>{q.real:.1%}</td><td class='num'>{q.synthetic:.1%}</td></tr>"
            "</table><p>A unique synthetic combination is no real person's unless it also "
            "occurs in the real table; the distance checks measure that.</p>")


def _privacy_section(d: DistanceScore) -> str:
    img = (f"<div class='wide'>{_img(_plot_dcr(d), 'DCR histogram, training vs holdout')}</div>"
           if d.dcr_training or d.dcr_holdout else
           "<p class='withheld'>No per-row distances recorded.</p>")
    return (f"<p class='sub'>For {d.rows:,} sampled synthetic rows: distance to the closest training "
            f"row (rows the generator learnt from) and to the closest holdout row (rows it never "
            f"saw). Both curves alike means synthetic rows sit no closer to training rows than new "
            f"real rows would.</p>{img}"
            "<table class='compact'><tr><th>score</th><th>training</th><th>holdout</th></tr>"
            f"<tr><td>identical rows (share)</td><td class='num'>{d.ims_training:.4f}</td>"
            f"<td class='num'>{d.ims_holdout:.4f}</td></tr>"
            f"<tr><td>nearest-neighbour distance ratio (low quantile)</td>"
            f"<td class='num'>{d.nndr_training:.4f}</td><td class='num'>{d.nndr_holdout:.4f}</td>"
            "</tr></table>")


def _plot_counts(r) -> str:
    n = max(len(r.counts_real), len(r.counts_synthetic))
    x = np.arange(n)
    fig = _figure(6.4, 2.4)
    ax = fig.add_subplot()
    w = 0.4
    ax.bar(x - w / 2, list(r.counts_real) + [0] * (n - len(r.counts_real)), w, label="real",
           color=REAL_COLOUR)
    ax.bar(x + w / 2, list(r.counts_synthetic) + [0] * (n - len(r.counts_synthetic)), w,
           label="synthetic", color=SYNTH_COLOUR)
    labels = [str(i) for i in range(n)]
    if labels:
        labels[-1] += "+"
    ax.set_xticks(x[:: max(1, n // 11)], labels[:: max(1, n // 11)])
    ax.set_xlabel(f"{r.column} rows per {r.parent} row")
    ax.set_ylabel("share of parents")
    ax.legend(frameon=False)
    _margins(fig, left=0.6, bottom=0.5)
    return _png(fig)


def _relations_section(relations) -> str:
    rows, imgs = [], []
    for r in relations:
        seq = "—" if r.sequence is None else f"{r.sequence:.3f} ({_e(r.time_column)})"
        cross = "—" if r.cross_table is None else f"{r.cross_table:.3f} ({r.pairs} pairs)"
        rows.append(f"<tr><td><code>{_e(r.column)}</code> → <code>{_e(r.parent)}</code></td>"
                    f"<td class='num'>{r.orphans:,}</td><td class='num'>{r.cardinality:.3f}</td>"
                    f"<td class='num'>{cross}</td><td class='num'>{seq}</td></tr>")
        if r.counts_real and r.counts_synthetic:
            imgs.append(_img(_plot_counts(r), f"children per parent for {r.column}"))
    return ("<p class='sub'>Does the synthetic table join its synthetic parents the way the real "
            "one joins the real parents? Orphans: child rows whose key matches no parent (must be "
            "0). Children per parent: 1 - TVD of the histograms below (parents without children "
            "included). Join accuracy: parent column vs child column after the join. Sequence: "
            "gaps between a parent's consecutive child events.</p>"
            "<table class='compact'><tr><th>foreign key</th><th>orphans</th>"
            "<th>children per parent</th><th>join accuracy</th><th>sequence</th></tr>"
            f"{''.join(rows)}</table>" + "".join(f"<div class='wide'>{i}</div>" for i in imgs))


def _history_section(history: list[dict], partition: str) -> str:
    rows = []
    for h in sorted(history, key=lambda h: str(h.get("partition", "")), reverse=True)[:30]:
        passed = h.get("passed")
        acc = h.get("accuracy")
        badge = ("—" if passed is None else
                 f"<span class='verdict {'pass' if passed else 'fail'}'>"
                 f"{'published' if passed else 'not published'}</span>")
        try:
            acc_s = f"{float(acc):.3f}"
        except (TypeError, ValueError):
            acc_s = "—"
        here = " (this report)" if str(h.get("partition")) == partition else ""
        rows.append(f"<tr><td>{_e(h.get('partition', '—'))}{_e(here)}</td><td>{badge}</td>"
                    f"<td class='num'>{acc_s}</td></tr>")
    return ("<table class='compact'><tr><th>partition</th><th>verdict</th><th>accuracy</th></tr>"
            f"{''.join(rows)}</table>")


# --------------------------------------------------------------------------- the page

def render_html(report: QualityReport, plan: PiiPlan, profile: TableProfile, *, partition: str,
                run_id: str, generator: str, real: pd.DataFrame | None = None,
                synthetic: pd.DataFrame | None = None, distances: DistanceScore | None = None,
                history: list[dict] | None = None, keys: tuple[str, ...] = ()) -> str:
    """The report page. ``real`` (masked source rows) and ``synthetic`` add the per-column plots
    and the association heatmaps, ``distances`` (default: ``report.distances`` when the report
    carries one) the DCR histogram, ``history`` (dicts with partition, passed, accuracy) a table of
    earlier runs. ``keys`` are the table's key columns (never plotted)."""
    ok = report.passed
    if distances is None:
        distances = getattr(report, "distances", None)
    sections: list[tuple[str, str, str]] = []  # (anchor, heading, body)
    assoc_diff = None
    if real is not None and synthetic is not None:
        import matplotlib

        order = [str(c) for c in real.columns]
        shown, withheld = drawable_columns(plan, profile, order, keys=keys)
        for c in [c for c in shown if c not in synthetic.columns]:
            shown.remove(c)
            withheld[c] = "not in the synthetic table"
        r, s = _cap(real), _cap(synthetic)
        with matplotlib.rc_context(_RC):
            sections.append(("columns", "Columns: real vs synthetic",
                             _columns_section(r, s, shown, withheld, order,
                                              report.fidelity.per_column)))
            heat_cols = shown[:MAX_HEATMAP_COLUMNS]
            if len(heat_cols) >= 2:
                mr, ms, assoc_diff = association_matrices(r, s, heat_cols)
                sections.append(("correlations", "Associations between columns",
                                 _correlation_section(heat_cols, mr, ms, assoc_diff, len(shown))))
    if distances is not None:
        import matplotlib

        with matplotlib.rc_context(_RC):
            sections.append(("privacy", "Distance to closest record: training vs holdout",
                             _privacy_section(distances)))
    if report.quasi_identifiers is not None:
        sections.append(("quasi", "Quasi-identifiers: rows singled out",
                         _quasi_section(report.quasi_identifiers)))
    if getattr(report, "relations", ()):
        import matplotlib

        with matplotlib.rc_context(_RC):
            sections.append(("relations", "Related tables: keys, children per parent, joins",
                             _relations_section(report.relations)))
    if history:
        sections.append(("history", "Earlier runs", _history_section(history, partition)))

    rows = []
    css = {"pass": "pass", "FAIL": "fail", "warn": "warn", "not applicable": "na",
           "not measured": "nm"}
    for o in report.outcomes():
        # a check that did not measure shows why, never a value
        shown = o.value if o.status in ("passed", "failed") else o.details.get("note", "")
        rows.append(
            f"<tr><td><code>{_e(o.name)}</code></td>"
            f"<td><span class='verdict {css[o.label]}'>{_e(o.label)}</span></td>"
            f"<td>{_e(o.severity if o.status != 'not_applicable' else '—')}</td>"
            f"<td class='num'>{_e(shown)}</td>"
            f"<td class='num'>{_e(o.threshold)}</td><td>{_e(o.description)}</td></tr>")
    plan_rows = []
    for d in plan.columns:
        ev = ", ".join(f"{k}: {v}" for k, v in d.evidence.items())
        plan_rows.append(
            f"<tr><td><code>{_e(d.column)}</code></td><td>{_e(d.entity or '—')}</td>"
            f"<td class='num'>{d.score:.2f}</td><td>{_e(d.action)}"
            f"{'<br><b>' + _e(KEPT_BY_CATALOG) + '</b>' if d.kept_by_catalog else ''}</td>"
            f"<td>{_e(d.origin)}</td>"
            f"<td>{_e(ev)}</td></tr>")
    prof_rows = []
    for c in profile.columns:
        if c.sensitive:
            summary = "sensitive: values withheld"
        elif c.quantiles:
            summary = (f"p1 {c.quantiles.get('p1')} · median {c.quantiles.get('p50')} · "
                       f"p99 {c.quantiles.get('p99')}")
        else:
            summary = ", ".join(f"{v} ({s:.0%})" for v, s in c.top[:4])
        acc = report.fidelity.per_column.get(c.name)
        prof_rows.append(
            f"<tr><td><code>{_e(c.name)}</code></td><td>{_e(c.kind)}</td>"
            f"<td class='num'>{c.null_rate:.1%}</td><td class='num'>{c.distinct:,}</td>"
            f"<td class='num'>{'' if acc is None else f'{acc:.3f}'}</td><td>{_e(summary)}</td></tr>")
    sections += [
        ("checks", "Checks",
         "<table><tr><th>check</th><th>result</th><th>severity</th><th>value</th><th>threshold</th>"
         f"<th>meaning</th></tr>{''.join(rows)}</table>"),
        ("pii", "PII plan",
         "<p class='sub'>What was detected in the source and what was done to it. Raw values are "
         "never shown.</p><table><tr><th>column</th><th>entity</th><th>score</th><th>action</th>"
         f"<th>origin</th><th>evidence</th></tr>{''.join(plan_rows)}</table>"),
        ("profile", "Source profile and per-column accuracy",
         "<table><tr><th>column</th><th>kind</th><th>nulls</th><th>distinct</th><th>accuracy</th>"
         f"<th>summary</th></tr>{''.join(prof_rows)}</table>"),
    ]
    nav = "".join(f"<a href='#{a}'>{_e(h.split(':')[0])}</a>" for a, h, _ in sections)
    body = "\n".join(f"<h2 id='{a}'>{_e(h)}</h2>\n{b}" for a, h, b in sections)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>tabletwin · {_e(report.table)} · {_e(partition)}</title><style>{_CSS}</style></head><body>
<h1>{_e(report.table)} <span class="verdict {'pass' if ok else 'fail'}">{'published' if ok else 'not published'}</span></h1>
<div class="sub">partition {_e(partition)} · run {_e(run_id)} · generator {_e(generator)} ·
{report.rows_actual:,} synthetic rows from {profile.rows:,} source rows ·
accuracy {report.fidelity.accuracy:.3f}</div>
<h2 id="summary">Summary</h2>
{_summary(report, profile, generator, distances, assoc_diff)}
<nav>{nav}</nav>
{body}
<footer>tabletwin report · self-contained, loads nothing from the network · no value of a PII
column appears on this page.</footer>
</body></html>"""


_RUN_ID = re.compile(r"[^A-Za-z0-9_.-]")


def run_report_path(directory: str | Path, table: str, partition: str, run_id: str) -> Path:
    """``<dir>/<table>/<partition>/<run id>.html``: the report of one run (never overwritten by
    another run)."""
    return Path(directory) / table / partition / f"{_RUN_ID.sub('_', run_id) or 'run'}.html"


def day_report_path(directory: str | Path, table: str, partition: str) -> Path:
    """``<dir>/<table>/<partition>.html``: the day's report (the published run's once one is)."""
    return Path(directory) / table / f"{partition}.html"


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
    blocking, warned = _failed(report)
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
