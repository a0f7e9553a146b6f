"""tabletwin: daily privacy-safe synthetic copies of data-warehouse tables (the pure core)."""

from importlib.metadata import PackageNotFoundError, version


def code_version() -> str:
    try:
        return version("tabletwin")
    except PackageNotFoundError:
        return "unknown"
