"""The report's images: PNGs in ``data:`` URIs drawn with matplotlib's object-oriented API
(``Figure`` rendered by the Agg canvas: pyplot and the global backend are never touched); callers
draw inside ``matplotlib.rc_context(RC)`` so style settings are restored afterwards.

Privacy: a column is drawn only when :func:`tabletwin.quality.report.drawable_columns` allows it.
Category labels are shown only for levels held by at least ``MIN_LEVEL_ROWS`` source rows (rarer
levels are folded into "other"), and only levels seen in the source are named (a level found only
in the synthetic table counts as "other"). Image metadata carries no text (``Software`` removed).
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from tabletwin.frames import datetime_to_ns, is_datetime
from tabletwin.metrics.privacy import DistanceScore

#: Category levels named in a bar chart (by share in the real table); the rest is "other".
TOP_LEVELS = 12
#: A category level is named only when at least this many real rows hold it.
MIN_LEVEL_ROWS = 5
#: Histogram bins (numbers and datetimes), over the 0.5%..99.5% range of the real values.
HIST_BINS = 30
#: Pixel density of every image.
DPI = 90

REAL_COLOUR = "#3b6fb6"      # blue: the masked source
SYNTH_COLOUR = "#e07b28"     # orange: the synthetic table
TRAIN_COLOUR = "#b03a48"     # DCR: synthetic -> training rows
HOLDOUT_COLOUR = "#4c9a8a"   # DCR: synthetic -> holdout rows

RC = {"font.size": 8, "font.family": "DejaVu Sans", "text.parse_math": False,
       "text.usetex": False, "axes.spines.top": False, "axes.spines.right": False,
       "axes.titlesize": 9, "legend.fontsize": 7, "legend.frameon": False,
       "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.edgecolor": "#8a91a3",
       "axes.labelcolor": "#3b4252", "xtick.color": "#5b6477", "ytick.color": "#5b6477"}

def is_number(s: pd.Series) -> bool:
    return pdt.is_numeric_dtype(s.dtype) and not pdt.is_bool_dtype(s.dtype)


def _datetime_days(s: pd.Series) -> np.ndarray:
    """Matplotlib date numbers (days since 1970-01-01), NaN for nulls and unparseable values."""
    if not is_datetime(s):
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


def short(label: str, width: int = 22) -> str:
    label = " ".join(label.split())
    return label if len(label) <= width else label[: width - 1] + "…"


def _levels(real: pd.Series, synth: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Category labels with their shares of all rows (nulls included) in both tables."""
    r_null, s_null = real.isna(), synth.isna()
    r_str, s_str = real[~r_null].astype(str), synth[~s_null].astype(str)
    counts = r_str.value_counts()
    named = [v for v, n in counts.head(TOP_LEVELS).items() if n >= MIN_LEVEL_ROWS]
    if is_number(real):
        order = pd.to_numeric(pd.Series(named), errors="coerce")
        named = [named[i] for i in np.argsort(order.to_numpy(), kind="stable")]
    n_r, n_s = max(len(real), 1), max(len(synth), 1)
    s_counts = s_str.value_counts()
    r_sh = [counts.get(v, 0) / n_r for v in named]
    s_sh = [s_counts.get(v, 0) / n_s for v in named]
    labels = [short(v) for v in named]
    r_other = (len(r_str) - sum(counts.get(v, 0) for v in named)) / n_r
    s_other = (len(s_str) - sum(s_counts.get(v, 0) for v in named)) / n_s
    if r_other > 0 or s_other > 0:
        labels.append("other"), r_sh.append(r_other), s_sh.append(s_other)
    if r_null.any() or s_null.any():
        labels.append("(null)"), r_sh.append(r_null.sum() / n_r), s_sh.append(s_null.sum() / n_s)
    return labels, np.array(r_sh), np.array(s_sh)


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


def plot_column(real: pd.Series, synth: pd.Series) -> tuple[str, str]:
    """One small multiple: (image data URI, a caption of null shares and what the axes mean)."""
    fig = _figure(4.0, 2.6)
    ax = fig.add_subplot()
    is_dt = is_datetime(real)
    numeric = real.notna().any() and (
        is_dt or (is_number(real) and real.nunique(dropna=True) > TOP_LEVELS))
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


def plot_heatmaps(columns: Sequence[str], mr: np.ndarray, ms: np.ndarray) -> str:
    k = len(columns)
    side = min(7.0, max(3.2, 0.28 * k + 1.6))
    fig = _figure(2 * side + 0.9, side + 0.3)
    axes = fig.subplots(1, 2, sharey=True)
    labels = [short(c, 18) for c in columns]
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


def plot_dcr(d: DistanceScore) -> str:
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


def plot_counts(r) -> str:
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

