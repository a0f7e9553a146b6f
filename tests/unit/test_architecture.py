"""The import contracts of pyproject.toml ([tool.importlinter]), checked by import-linter on the
import graph grimp builds from the source (imports inside functions included):

* the core package ``tabletwin`` never imports ``dagster``, ``assets``, ``resources`` or
  ``pipelines`` (the Dagster commands of the CLI live in ``pipelines/cli.py``);
* the core's layers (cli > api | demo > chain > quality > config > synth > metrics > pii |
  warehouse > base modules): a layer imports only the layers below it;
* no import cycle among the siblings of any package (core, assets, resources, pipelines).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CONTRACTS = ("The core package never imports Dagster or the Dagster layer",
             "The core's layers",
             "No import cycle anywhere")


def test_import_contracts_are_kept():
    exe = Path(sys.executable).parent / "lint-imports"
    # --no-cache: leave no cache folder in the project
    out = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    for name in CONTRACTS:
        assert f"{name} KEPT" in out.stdout, out.stdout[-3000:]


def test_the_console_script_is_outside_the_core():
    """``tabletwin`` runs pipelines.cli (core commands + run/worker/ui), not tabletwin.cli."""
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["tabletwin"] == "pipelines.cli:main"


def test_modules_and_functions_stay_readable():
    """The architecture issue's size limits: no module over 450 lines, no function over 80 (the
    report's HTML lives in a template file, so it is not counted here)."""
    import ast

    big, long = [], []
    for folder in ("tabletwin", "assets", "resources", "pipelines"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text()
            name = str(path.relative_to(ROOT))
            if text.count("\n") > 450:
                big.append(name)
            long += [f"{name}:{node.name}" for node in ast.walk(ast.parse(text))
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.end_lineno - node.lineno + 1 > 80]
    assert not big and not long, (big, long)
