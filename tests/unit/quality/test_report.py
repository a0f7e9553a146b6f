"""The HTML report: no value of a PII column in it (marker values), self-contained (nothing loaded
from anywhere), backward-compatible calls, and it renders in a real headless Chromium with no
network (screenshot and rendered DOM)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabletwin.config.catalog import CheckThresholds
from tabletwin.quality.expectations import ExpectationResults
from tabletwin.metrics.fidelity import fidelity
from tabletwin.pii.plan import ColumnDecision, PiiPlan
from tabletwin.metrics.privacy import distance_scores, split_holdout
from tabletwin.quality.profile import profile_table
from tabletwin.quality.gate import QualityReport
from tabletwin.quality.report import REAL_COLOUR, SYNTH_COLOUR, render_html, write_report

N = 400
TABLE = "accounts"
PARTITION = "2026-05-03"
MARKERS = [f"ZQXMARKER{i:04d}" for i in range(N)]
PLOTTED = ("segment", "balance", "opened", "active")
HISTORY = [{"partition": "2026-05-01", "passed": True, "accuracy": 0.91},
           {"partition": "2026-05-02", "passed": False, "accuracy": 0.74}]


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A source with a key, a PII name column and a free-text column full of unique markers, and
    four plain columns; the synthetic copy holds the markers too (worst case for the report)."""
    rng = np.random.default_rng(3)
    real = pd.DataFrame({
        "customer_id": np.arange(1, N + 1, dtype=np.int64),
        "full_name": MARKERS,
        "notes": [f"Called {m} back about the card; resolved on first contact." if i % 3 == 0
                  else "Reset password link sent; resolved on first contact, no follow-up needed."
                  for i, m in enumerate(MARKERS)],
        "segment": rng.choice(["retail", "business", "private"], N, p=[0.6, 0.3, 0.1]),
        "balance": np.round(rng.gamma(2.0, 500.0, N), 2),
        "opened": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, N), unit="D"),
        "active": rng.random(N) < 0.8,
    })
    synthetic = pd.DataFrame({c: real[c].sample(frac=1.0, random_state=i).to_numpy()
                              for i, c in enumerate(real.columns)})
    return real, synthetic


def plan_for(flag_pii: bool = True) -> PiiPlan:
    keep = [ColumnDecision(c, None, 0.0, "keep") for c in PLOTTED]
    name = (ColumnDecision("full_name", "PERSON", 1.0, "fake", origin="override",
                           evidence={"name_hint": "full_name"}) if flag_pii
            else ColumnDecision("full_name", None, 0.0, "keep"))
    return PiiPlan(TABLE, [
        ColumnDecision("customer_id", None, 1.0, "pseudonymize", origin="override"),
        name,
        ColumnDecision("notes", "PERSON", 0.8, "redact", free_text=True,
                       evidence={"share_matched": 0.33}),
        *keep,
    ])


def build(real: pd.DataFrame, synthetic: pd.DataFrame, plan: PiiPlan, *, rows_expected: int = N):
    profile = profile_table(real, plan)
    schema = {str(c): str(t) for c, t in real.dtypes.items()}
    report = QualityReport(
        table=TABLE, rows_expected=rows_expected, rows_actual=len(synthetic),
        schema_expected=schema, schema_actual=schema, pii_leaks={"full_name": 0},
        expectations=ExpectationResults(evaluated=12, passed=12),
        fidelity=fidelity(real, synthetic, list(PLOTTED)), thresholds=CheckThresholds())
    fit, hold = split_holdout(real[list(PLOTTED)], 0.3, seed=0)
    distances = distance_scores(fit, hold, synthetic[list(PLOTTED)], seed=0)
    return report, profile, distances


def full_kwargs(real, synthetic, distances) -> dict:
    return dict(partition=PARTITION, run_id="run-123", generator="copula", real=real,
                synthetic=synthetic, distances=distances, history=HISTORY, keys=("customer_id",))


@pytest.fixture(scope="module")
def page() -> str:
    real, synthetic = frames()
    plan = plan_for()
    report, profile, distances = build(real, synthetic, plan)
    return render_html(report, plan, profile, **full_kwargs(real, synthetic, distances))


def cards(html: str) -> dict[str, str]:
    """Column name -> the HTML of its small-multiple card."""
    parts = re.split(r"<div class='plot'><h3><code>", html)[1:]
    return {p.split("</code>", 1)[0]: p.split("</div></div>", 1)[0] for p in parts}


def data_uris(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def assert_no_marker(label: str, text: str) -> None:
    low = text.casefold()
    found = [m for m in MARKERS if m.casefold() in low]
    assert not found, f"{label}: {len(found)} marker values found, e.g. {found[:3]}"


def test_no_pii_value_in_report(page, tmp_path):
    assert_no_marker("report html", page)
    for blob in data_uris(page):
        assert not any(m.encode() in blob or m.lower().encode() in blob for m in MARKERS)
    by_col = cards(page)
    assert set(by_col) == {"customer_id", "full_name", "notes", *PLOTTED}
    assert "<img" not in by_col["full_name"] and "values withheld (PII" in by_col["full_name"]
    assert "<img" not in by_col["notes"] and "values withheld (PII" in by_col["notes"]
    assert "<img" not in by_col["customer_id"] and "key column" in by_col["customer_id"]
    for col in PLOTTED:
        assert "<img" in by_col[col], col
    # the heatmap is over the plotted columns only: the PII and key column names are not on it
    heat = page.split("<h2 id='correlations'>", 1)[1].split("<h2", 1)[0]
    assert "full_name" not in heat and "notes" not in heat and "customer_id" not in heat

    real, synthetic = frames()
    plan = plan_for()
    report, profile, distances = build(real, synthetic, plan)
    html_path = write_report(tmp_path, report, plan, profile,
                             **full_kwargs(real, synthetic, distances))
    summary_json = (tmp_path / TABLE / f"{PARTITION}.json").read_text()
    assert_no_marker("report json", summary_json)
    assert_no_marker("written html", html_path.read_text())
    summary = json.loads(summary_json)
    assert summary["columns_plotted"] == list(PLOTTED)
    assert set(summary["columns_withheld"]) == {"customer_id", "full_name", "notes"}


def test_marker_search_finds_values_when_not_flagged():
    """Control: the same search does find the markers once the plan no longer flags the column
    and each marker is frequent (seen 5+ times, so the profile lists its top values): the test
    above is not vacuous. Unique markers in an unflagged column are still never shown: values
    seen fewer than 5 times stay out of the profile whatever detection said."""
    real, synthetic = frames()
    plan = plan_for(flag_pii=False)
    report, profile, distances = build(real, synthetic, plan)
    html = render_html(report, plan, profile, **full_kwargs(real, synthetic, distances))
    assert_no_marker("unflagged, unique", html)
    real["full_name"] = np.resize(MARKERS[: N // 10], N)
    synthetic["full_name"] = real["full_name"].to_numpy()
    report, profile, distances = build(real, synthetic, plan)
    html = render_html(report, plan, profile, **full_kwargs(real, synthetic, distances))
    with pytest.raises(AssertionError, match="marker values found"):
        assert_no_marker("unflagged, frequent", html)


def test_self_contained(page):
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I)
    refs += re.findall(r"url\(\s*['\"]?([^)'\"]*)", page, flags=re.I)
    assert refs, "expected images and in-page links"
    external = [r for r in refs if not (r.startswith("data:") or r.startswith("#"))]
    assert not external, external[:5]
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, flags=re.I)


def test_sections_summary_and_history(page):
    for heading in ("Summary", "Columns: real vs synthetic", "Associations between columns",
                    "Distance to closest record", "Earlier runs", "Checks", "PII plan",
                    "Source profile"):
        assert heading in page, heading
    assert page.count("<img") == len(PLOTTED) + 2  # small multiples, heatmaps, DCR
    assert "DCR share" in page and "Mean absolute difference" in page
    assert "2026-05-02" in page and "0.740" in page


def test_failing_verdict_names_failed_checks():
    real, synthetic = frames()
    plan = plan_for()
    report, profile, distances = build(real, synthetic, plan, rows_expected=2 * N)
    html = render_html(report, plan, profile, **full_kwargs(real, synthetic, distances))
    summary = html.split("<h2 id=\"summary\">", 1)[1].split("<nav>", 1)[0]
    assert "not published" in summary and "row_count_matches" in summary


def test_existing_call_still_works(tmp_path):
    real, synthetic = frames()
    plan = plan_for()
    report, profile, _ = build(real, synthetic, plan)
    page = write_report(tmp_path, report, plan, profile, partition=PARTITION, run_id="r",
                        generator="copula")
    html = page.read_text()
    assert page == tmp_path / TABLE / PARTITION / "r.html"
    assert (tmp_path / TABLE / f"{PARTITION}.html").read_text() == html  # the day's copy
    assert "<img" not in html and "Checks" in html and "PII plan" in html
    assert_no_marker("plain report", html)
    assert json.loads((tmp_path / TABLE / f"{PARTITION}.json").read_text())["passed"] is True


def test_every_run_keeps_its_report_and_a_failed_one_never_replaces_the_published(tmp_path):
    from tabletwin.quality.report import mark_published

    real, synthetic = frames()
    plan = plan_for()
    good, profile, _ = build(real, synthetic, plan)
    bad, _, _ = build(real, synthetic, plan, rows_expected=2 * N)  # row count fails
    assert good.passed and not bad.passed
    day_json = tmp_path / TABLE / f"{PARTITION}.json"

    def day() -> dict:
        return json.loads(day_json.read_text())

    first = write_report(tmp_path, bad, plan, profile, partition=PARTITION, run_id="run-1",
                         generator="copula")
    assert day()["run_id"] == "run-1" and day()["published"] is False  # no better one yet
    second = write_report(tmp_path, good, plan, profile, partition=PARTITION, run_id="run-2",
                          generator="copula")
    mark_published(tmp_path, TABLE, PARTITION, "run-2")
    published_html = (tmp_path / TABLE / f"{PARTITION}.html").read_text()
    assert day()["run_id"] == "run-2" and day()["published"] is True
    third = write_report(tmp_path, bad, plan, profile, partition=PARTITION, run_id="run-3",
                         generator="copula")
    # the later failed attempt has its own report; the day's published one is intact
    assert day()["run_id"] == "run-2" and day()["published"] is True
    assert (tmp_path / TABLE / f"{PARTITION}.html").read_text() == published_html
    assert len({first, second, third}) == 3 and all(p.exists() for p in (first, second, third))
    assert json.loads(third.with_suffix(".json").read_text())["passed"] is False
    assert not [p for p in (tmp_path / TABLE).rglob(".*")]  # no temporary file left


def check_rows(html: str) -> dict[str, str]:
    """Check name -> its row in the checks table."""
    table = html.split("<h2 id='checks'>", 1)[1].split("</table>", 1)[0]
    return {r.split("</code>", 1)[0]: r for r in table.split("<tr><td><code>")[1:]}


def test_checks_not_applicable_or_not_measured_never_show_pass(tmp_path):
    """A report without foreign keys, target or rebalance, and without a holdout: those checks
    read "not applicable" / "not measured" with the reason, in the page and in the JSON."""
    import dataclasses

    real, synthetic = frames()
    plan = plan_for()
    report, profile, _ = build(real, synthetic, plan)
    report = dataclasses.replace(report, not_applicable={
        "useful_for_ml": "no target in the catalog", "no_orphan_keys": "no foreign key",
        "children_per_parent_match": "no foreign key", "joins_like_source": "no foreign key",
        "minority_not_copied": "not rebalanced", "constraints_hold": "no constraints declared"})
    page = write_report(tmp_path, report, plan, profile, partition=PARTITION, run_id="r",
                        generator="copula")
    rows = check_rows(page.read_text())
    for name in ("useful_for_ml", "children_per_parent_match", "minority_not_copied"):
        assert "not applicable" in rows[name] and ">pass<" not in rows[name], rows[name]
    assert "no target in the catalog" in rows["useful_for_ml"]
    for name in ("not_closer_to_training", "no_copied_rows"):  # no distances: not measured
        assert "not measured" in rows[name] and ">pass<" not in rows[name], rows[name]
    assert ">pass<" in rows["schema_matches_source"]
    data = json.loads((tmp_path / TABLE / f"{PARTITION}.json").read_text())
    status = {c["name"]: c["status"] for c in data["checks"]}
    assert status["useful_for_ml"] == "not_applicable"
    assert status["no_copied_rows"] == "not_measured"
    assert status["schema_matches_source"] == "passed"
    assert set(data["not_measured"]) == {"not_closer_to_training", "no_copied_rows",
                                         "correlations_preserved", "no_rare_values_copied"}
    assert data["passed"] is True  # unmeasured checks warn by default
    assert set(data["warnings"]) >= set(data["not_measured"])


# ----------------------------------------------------------------------------- headless Chromium

def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium not installed: apt-get install chromium")


def run_chromium(binary: str, profile_dir: Path, *args: str) -> subprocess.CompletedProcess:
    # no network: every request goes to a proxy on the discard port, loopback included
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", "--disable-background-networking",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile_dir}",
           "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def colour_pixels(rgb: np.ndarray, hex_colour: str, tol: int = 30) -> int:
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb.astype(int) - target).max(axis=2) <= tol).sum())


@pytest.mark.browser
def test_renders_in_headless_chromium(tmp_path):
    from PIL import Image

    binary = chromium()
    real, synthetic = frames()
    plan = plan_for()
    report, profile, distances = build(real, synthetic, plan)
    page = write_report(tmp_path / "reports", report, plan, profile,
                        **full_kwargs(real, synthetic, distances))
    url = page.resolve().as_uri()

    shot = tmp_path / "shot.png"
    res = run_chromium(binary, tmp_path / "chrome-shot", f"--screenshot={shot}",
                       "--window-size=1280,2400", url)
    assert shot.exists() and shot.stat().st_size > 0, (res.returncode, res.stderr[-2000:])
    rgb = np.asarray(Image.open(shot).convert("RGB"))
    assert rgb.shape[:2] == (2400, 1280)
    grey = rgb.mean(axis=2)
    assert grey.std() > 10, "blank screenshot"
    assert (grey < 245).mean() > 0.03, "almost nothing drawn"
    # the inline images were decoded and drawn: solid real and synthetic bars are on screen
    assert colour_pixels(rgb, REAL_COLOUR) > 500
    assert colour_pixels(rgb, SYNTH_COLOUR) > 500

    res = run_chromium(binary, tmp_path / "chrome-dom", "--dump-dom", url)
    dom = res.stdout
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"<title>tabletwin · {TABLE} · {PARTITION}</title>" in dom
    for heading in ("Summary", "Columns: real vs synthetic", "Associations between columns",
                    "Distance to closest record", "Earlier runs", "Checks", "PII plan"):
        assert heading in dom, heading
    assert dom.count("<img") == len(PLOTTED) + 2
    assert_no_marker("rendered DOM", dom)
