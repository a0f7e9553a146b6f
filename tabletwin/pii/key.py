"""The pseudonymization key: from ``TABLETWIN_PSEUDONYM_KEY``, or a local demo key with a warning.

The local key is generated once into the (git-ignored) data folder with owner-only permissions, so
the demo runs on a laptop without set-up; production sets the environment variable.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

ENV = "TABLETWIN_PSEUDONYM_KEY"
KEY_FILE = ".pseudonym_key"


def ensure_local_key(data_dir: Path) -> str:
    """Return the key, setting ``TABLETWIN_PSEUDONYM_KEY`` from a local key file if it is unset."""
    key = os.environ.get(ENV)
    if key:
        return key
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # complete or absent: written under a temporary name, then linked into place (a link
        # fails if another process made the key first: the first key stays, never half a key)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text().strip()
    print(f"tabletwin: warning: {ENV} is not set; using the local demo key in {path}. "
          "Set it from your secret store in production.", file=sys.stderr)
    os.environ[ENV] = key
    return key


def pseudonym_key(root: Path) -> bytes:
    """The key every entry point uses (CLI, Python API): ``TABLETWIN_PSEUDONYM_KEY``, else the local
    demo key under ``root / "data"`` (created once, with a warning on stderr)."""
    return ensure_local_key(Path(root) / "data").encode()
