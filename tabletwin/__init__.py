"""tabletwin: daily privacy-safe synthetic copies of data-warehouse tables (the pure core).

The public Python API (:mod:`tabletwin.api`) is importable from here: ``tabletwin.scan``,
``synthesize``, ``synthesize_related``, ``evaluate``, ``write_report``. It is loaded on first use,
so ``import tabletwin`` (and the CLI's start-up) pays nothing for it.
"""

from tabletwin.version import code_version

_API = ("scan", "synthesize", "synthesize_related", "evaluate", "write_report", "Evaluation",
        "SynthResult")

__all__ = ["code_version", *_API]


def __getattr__(name: str):
    if name in _API:
        from tabletwin import api

        return getattr(api, name)
    raise AttributeError(f"module 'tabletwin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
