"""The installed version of tabletwin, recorded with every published run."""

from importlib.metadata import PackageNotFoundError, version


def code_version() -> str:
    try:
        return version("tabletwin")
    except PackageNotFoundError:
        return "unknown"
