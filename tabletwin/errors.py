"""Domain errors of tabletwin, in one module.

Every error names what it is about (file, table, column, check) in its message and never carries a raw
data value: messages end up in logs, the Dagster UI and CI output.
"""

from __future__ import annotations


class TabletwinError(Exception):
    """Base class of every error tabletwin raises on purpose."""


class ConfigError(TabletwinError):
    """The table catalog (YAML) is wrong: names the file, table and field."""

    def __init__(self, message: str, *, path: str | None = None, table: str | None = None,
                 field: str | None = None):
        where = ", ".join(
            f"{k} {v!r}" for k, v in (("file", path), ("table", table), ("field", field)) if v
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.table, self.field = path, table, field
        self.message = message


class InputError(TabletwinError):
    """Input data cannot be used (missing file, empty table, unreadable format, unsupported column)."""

    def __init__(self, message: str, *, table: str | None = None, column: str | None = None,
                 file: str | None = None):
        where = ", ".join(f"{k} {v!r}" for k, v in (("file", file), ("table", table),
                                                      ("column", column)) if v is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.table, self.column, self.file = table, column, file


class GeneratorError(TabletwinError):
    """A generator cannot be fitted or sampled (names table and column where it can)."""

    def __init__(self, message: str, *, table: str | None = None, column: str | None = None):
        where = ", ".join(f"{k} {v!r}" for k, v in (("table", table), ("column", column)) if v)
        super().__init__(f"{where}: {message}" if where else message)
        self.table, self.column = table, column


class CheckFailed(TabletwinError):
    """A blocking quality or privacy check failed; nothing was published."""

    def __init__(self, table: str, failed: list[str]):
        super().__init__(f"table {table!r}: blocking checks failed: {', '.join(failed)}")
        self.table, self.failed = table, failed


class PublishError(TabletwinError):
    """Publication into the warehouse failed; the previous version stays in place."""
