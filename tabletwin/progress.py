"""Progress of long steps (a streamed ``synth`` writing millions of rows): lines on the
``tabletwin.progress`` logger, at most one every :data:`EVERY_SECONDS`; the command line prints
them on stderr (:func:`to_stderr`), a library user attaches a handler of their own."""

from __future__ import annotations

import logging
import sys

EVERY_SECONDS = 30.0
log = logging.getLogger("tabletwin.progress")


def to_stderr() -> None:
    """Print progress lines on stderr as ``tabletwin: ...`` (once per process)."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("tabletwin: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
