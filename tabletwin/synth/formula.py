"""Arithmetic formulas over column names (``total = price * quantity``): parsed with :mod:`ast` and
evaluated node by node, never with ``eval``. Kept apart from :mod:`tabletwin.synth.constraints` because the
catalog validates formulas when it loads, and the constraints read the catalog's config classes."""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np
import pandas as pd

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
        ast.FloorDiv: operator.floordiv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def _parse(expression: str) -> ast.expr:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ValueError(f"formula {expression!r} is not an arithmetic expression") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load)) or \
            type(node) in _OPS or type(node) in _UNARY or \
            (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
             and not isinstance(node.value, bool))
        if not ok:
            raise ValueError(f"formula {expression!r}: only column names, numbers, + - * / ** % // "
                             "and parentheses are allowed")
    return tree.body


def expression_names(expression: str) -> list[str]:
    """Column names used by a formula, in first-use order (ValueError if it is not arithmetic)."""
    names: list[str] = []
    for node in ast.walk(_parse(expression)):
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    if not names:
        raise ValueError(f"formula {expression!r} uses no column")
    return names


def evaluate_formula(expression: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate an arithmetic formula over the frame's columns (no ``eval``)."""

    def ev(node: ast.expr) -> Any:
        if isinstance(node, ast.BinOp):
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name):
            return pd.to_numeric(frame[node.id], errors="coerce").astype(float)
        return float(node.value)  # type: ignore[attr-defined]

    with np.errstate(all="ignore"):
        out = ev(_parse(expression))
    if not isinstance(out, pd.Series):
        out = pd.Series(out, index=frame.index, dtype=float)
    return out.replace([np.inf, -np.inf], np.nan)
