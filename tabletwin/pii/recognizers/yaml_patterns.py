"""Pattern recognizers declared in YAML files.

Custom recognizers (:func:`tabletwin.pii.recognizers.analysis.load_recognizers`) are Presidio
``PatternRecognizer`` objects declared in YAML and added to the engine's RecognizerRegistry::

    recognizers:
      - entity: EMPLOYEE_ID          # upper-case entity name (new, or one of plan.ENTITIES)
        name: EmployeeIdRecognizer   # optional, defaults to "<entity>_yaml"
        patterns:                    # one or more
          - name: emp id             # optional
            regex: '\\bEMP-\\d{6}\\b'   # single quotes keep backslashes as they are
            score: 0.9               # in [0, 1], default 0.5
        context: [employee, staff]   # optional: words that, found in the column name, raise the
                                     # score (Presidio context enhancement)
        name_hints: [emp_no, personalnummer]  # optional column names (or parts) for this entity
        action: pseudonymize         # optional; default DEFAULT_ACTIONS[entity] or "pseudonymize"

A value matches when a pattern scoring at least 0.5 (after context enhancement) covers it; weaker
patterns count only with a name hint. A malformed file raises
:class:`~tabletwin.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from presidio_analyzer import Pattern, PatternRecognizer

from tabletwin.errors import ConfigError
from tabletwin.pii.lexicon import column_tokens
from tabletwin.pii.plan import ACTIONS, DEFAULT_ACTIONS

#: A YAML-declared recognizer, its column-name hint tokens and its default action.
Declared = tuple[PatternRecognizer, frozenset[str], str]


def recognizers_from_yaml(path: Path) -> list[Declared]:
    """Every recognizer a YAML file declares; a ConfigError naming the file and field otherwise."""
    return [_build(item, i, path) for i, item in enumerate(_parse(path))]


def _parse(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read recognizer file ({exc.strerror})", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({type(exc).__name__})", path=str(path)) from None
    items = data.get("recognizers") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigError("expected a non-empty 'recognizers' list", path=str(path))
    return items


def _build(item: Any, index: int, path: Path) -> Declared:
    field = f"recognizers[{index}]"
    if not isinstance(item, dict):
        raise ConfigError("each recognizer must be a mapping", path=str(path), field=field)
    entity = item.get("entity")
    if not isinstance(entity, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", entity):
        raise ConfigError("'entity' must be an upper-case name", path=str(path), field=field)
    raw_patterns = item.get("patterns")
    if not isinstance(raw_patterns, list) or not raw_patterns:
        raise ConfigError("'patterns' must be a non-empty list", path=str(path), field=field)
    patterns = []
    for j, p in enumerate(raw_patterns):
        pfield = f"{field}.patterns[{j}]"
        if not isinstance(p, dict) or not isinstance(p.get("regex"), str):
            raise ConfigError("a pattern needs a 'regex' string", path=str(path), field=pfield)
        score = p.get("score", 0.5)
        if not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ConfigError("'score' must be a number in [0, 1]", path=str(path), field=pfield)
        try:
            re.compile(p["regex"])
        except re.error:
            raise ConfigError("'regex' does not compile", path=str(path), field=pfield) from None
        patterns.append(Pattern(str(p.get("name", f"{entity} pattern {j}")), p["regex"],
                                float(score)))
    context = item.get("context") or []
    hints = item.get("name_hints") or []
    if not all(isinstance(w, str) for w in [*context, *hints]):
        raise ConfigError("'context' and 'name_hints' must be lists of strings",
                          path=str(path), field=field)
    action = item.get("action", DEFAULT_ACTIONS.get(entity, "pseudonymize"))
    if action not in ACTIONS or (action == "fake" and entity not in DEFAULT_ACTIONS):
        raise ConfigError(f"'action' must be one of {', '.join(ACTIONS)} ('fake' only for "
                          "built-in entities)", path=str(path), field=field)
    recognizer = PatternRecognizer(supported_entity=entity,
                                   name=str(item.get("name", f"{entity}_yaml")),
                                   patterns=patterns, context=list(context) or None)
    tokens = frozenset(j for j in ("".join(column_tokens(h)) for h in hints) if j)
    return recognizer, tokens, action
