"""`tabletwin ui` (what `make ui` runs) serves the Dagster UI: asset graph, checks and schedule."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT

QUERY = """{
  assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes { name schedules { name } } } }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                 data=json.dumps({"query": QUERY}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["data"]


def test_ui_serves_graph_checks_schedule(project, tmp_path):
    port = free_port()
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path / "home"))
    exe = Path(sys.executable).parent / "tabletwin"
    proc = subprocess.Popen(
        [str(exe), "ui", "--port", str(port), "--catalog", str(project / "tabletwin.yaml")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline, data = time.monotonic() + 150, None
        while time.monotonic() < deadline and data is None:
            time.sleep(2)
            try:
                data = graphql(port)
                if not data["assetNodes"]:
                    data = None  # code location still loading
            except (OSError, KeyError, TypeError, ValueError):
                data = None
        assert data is not None, "UI did not answer"
        keys = {tuple(n["assetKey"]["path"]) for n in data["assetNodes"]}
        assert ("customers", "published_table") in keys and len(keys) == 32
        checks = {c["name"] for n in data["assetNodes"]
                  for c in (n["assetChecksOrError"] or {}).get("checks", [])}
        assert "no_pii_in_synthetic" in checks and "fidelity_above_threshold" in checks
        schedules = {s["name"] for r in data["repositoriesOrError"]["nodes"] for s in r["schedules"]}
        assert "daily_refresh" in schedules
        assert (tmp_path / "home" / "dagster.yaml").read_text().find("enabled: false") >= 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
