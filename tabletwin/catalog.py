"""The table catalog: one YAML file that drives every asset.

Adding a table is a config edit. Wrong config fails at load time with a :class:`ConfigError` that names
the file, the table and the field; columns are checked against the warehouse by
:func:`check_columns` once the source schema is known.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tabletwin.errors import ConfigError
from tabletwin.pii.plan import ACTIONS, ENTITIES, ColumnOverride

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnConfig(_Strict):
    """Per-column pins. ``pii: false`` marks a column not personal; ``entity`` forces one."""

    pii: bool | None = None
    entity: str | None = None
    action: str | None = None

    @field_validator("entity")
    @classmethod
    def _entity(cls, v: str | None) -> str | None:
        if v is not None and v not in ENTITIES:
            raise ValueError(f"unknown entity {v!r}; expected one of {', '.join(ENTITIES)}")
        return v

    @field_validator("action")
    @classmethod
    def _action(cls, v: str | None) -> str | None:
        if v is not None and v not in ACTIONS:
            raise ValueError(f"unknown action {v!r}; expected one of {', '.join(ACTIONS)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "ColumnConfig":
        if self.pii is False and self.entity is not None:
            raise ValueError("pii: false contradicts entity")
        return self

    def to_override(self) -> ColumnOverride:
        return ColumnOverride(entity=self.entity, pii=self.pii, action=self.action)


class CheckThresholds(_Strict):
    """Gate thresholds, each in [0, 1].

    fidelity_min: minimum in-project accuracy (1 - total variation distance, averaged over
    univariate and bivariate binned distributions) of synthetic vs. masked source.
    expectations_min: minimum share of Great Expectations expectations that must pass.
    row_count_tolerance: allowed relative deviation from the configured row count.
    """

    fidelity_min: float = Field(0.80, ge=0.0, le=1.0)
    expectations_min: float = Field(1.0, ge=0.0, le=1.0)
    row_count_tolerance: float = Field(0.0, ge=0.0, le=1.0)


class GeneratorConfig(_Strict):
    name: str = "auto"
    params: dict[str, Any] = Field(default_factory=dict)
    max_fit_rows: int = Field(200_000, gt=0)


class TableConfig(_Strict):
    """One warehouse table to copy."""

    name: str
    source: str | None = None  # source table name, defaults to ``name``
    primary_key: str | None = None
    foreign_keys: dict[str, str] = Field(default_factory=dict)  # column -> "parent.column"
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    rows: int | None = Field(None, gt=0)
    checks: CheckThresholds = Field(default_factory=CheckThresholds)
    locale: str = "en_US"

    @property
    def source_table(self) -> str:
        return self.source or self.name

    @property
    def key_columns(self) -> list[str]:
        return ([self.primary_key] if self.primary_key else []) + list(self.foreign_keys)

    def parent_of(self, column: str) -> tuple[str, str]:
        parent, _, pcol = self.foreign_keys[column].partition(".")
        return parent, pcol

    def overrides(self) -> dict[str, ColumnOverride]:
        return {c: cfg.to_override() for c, cfg in self.columns.items()}

    @field_validator("foreign_keys")
    @classmethod
    def _fk(cls, v: dict[str, str]) -> dict[str, str]:
        for col, ref in v.items():
            parent, dot, pcol = ref.partition(".")
            if not dot or not _IDENT.match(parent) or not _IDENT.match(pcol):
                raise ValueError(f"foreign key {col!r} must reference 'table.column', got {ref!r}")
        return v


class WarehouseConfig(_Strict):
    kind: Literal["duckdb"] = "duckdb"
    path: str = "data/demo_warehouse.duckdb"  # duckdb file, relative to the catalog's folder
    source_schema: str = "main"
    target_schema: str = "synthetic"


class Catalog(_Strict):
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    storage_dir: str = "data/storage"
    reports_dir: str = "data/reports"
    partitions_start: str = "2026-01-01"
    schedule_hour: int = Field(3, ge=0, le=23)  # local hour of the daily refresh
    recognizers: list[str] = Field(default_factory=list)  # YAML files of custom PII recognizers
    tables: dict[str, TableConfig]
    path: str = ""  # the file it came from (set by load_catalog)

    @property
    def root(self) -> Path:
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    def resolve(self, p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else self.root / q

    def table(self, name: str) -> TableConfig:
        try:
            return self.tables[name]
        except KeyError:
            raise ConfigError(f"no such table in the catalog (known: {', '.join(self.tables)})",
                              path=self.path, table=name) from None

    def load_recognizers(self) -> None:
        """Register the catalog's custom PII recognizers (idempotent)."""
        from tabletwin.pii.detect import load_recognizers

        for p in self.recognizers:
            load_recognizers(self.resolve(p))

    def ordered_tables(self) -> list[str]:
        """Table names, parents before children."""
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise ConfigError(f"foreign keys form a cycle: {' -> '.join(trail + (name,))}",
                                  path=self.path, table=name, field="foreign_keys")
            state[name] = 1
            for col in self.tables[name].foreign_keys:
                parent, _ = self.tables[name].parent_of(col)
                if parent != name:
                    visit(parent, trail + (name,))
            state[name] = 2
            order.append(name)

        for name in self.tables:
            visit(name, ())
        return order


def _first_error(exc: ValidationError) -> tuple[str | None, str, str]:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    table = loc[1] if len(loc) > 1 and loc[0] == "tables" else None
    field = ".".join(loc[2:] if table else loc) or None
    return table, field or "", err["msg"]


def parse_catalog(data: Any, path: str = "<catalog>") -> Catalog:
    """Validate a catalog mapping (as read from YAML)."""
    if not isinstance(data, dict):
        raise ConfigError("the catalog must be a mapping with a 'tables' key", path=path)
    tables = data.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("'tables' must name at least one table", path=path, field="tables")
    data = dict(data)
    data["tables"] = {
        name: {"name": name, **(cfg or {})} if isinstance(cfg, dict) or cfg is None else cfg
        for name, cfg in tables.items()
    }
    for name in data["tables"]:
        if not isinstance(name, str) or not _IDENT.match(name):
            raise ConfigError("table names must be identifiers", path=path, table=str(name))
    try:
        catalog = Catalog(**data, path=path)
    except ValidationError as exc:
        table, field, msg = _first_error(exc)
        raise ConfigError(msg, path=path, table=table, field=field) from None
    for name, t in catalog.tables.items():
        for col in t.foreign_keys:
            parent, pcol = t.parent_of(col)
            if parent not in catalog.tables:
                raise ConfigError(f"foreign key references unknown table {parent!r}", path=path,
                                  table=name, field=f"foreign_keys.{col}")
            if catalog.tables[parent].primary_key != pcol:
                raise ConfigError(f"foreign key must reference the primary key of {parent!r}",
                                  path=path, table=name, field=f"foreign_keys.{col}")
    for p in catalog.recognizers:
        if not catalog.resolve(p).is_file():
            raise ConfigError(f"recognizers file not found: {p}", path=path, field="recognizers")
    catalog.ordered_tables()
    return catalog


def load_catalog(path: str | Path = "tabletwin.yaml") -> Catalog:
    """Read and validate the catalog file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("catalog file not found", path=str(p))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc.__class__.__name__})", path=str(p)) from None
    return parse_catalog(data, str(p.resolve()))


def check_columns(catalog: Catalog, table: str, columns: list[str]) -> None:
    """Fail with a ConfigError if the catalog names a column the source table does not have."""
    t = catalog.table(table)
    have = set(columns)
    named = [("primary_key", t.primary_key)] if t.primary_key else []
    named += [(f"foreign_keys.{c}", c) for c in t.foreign_keys]
    named += [(f"columns.{c}", c) for c in t.columns]
    for field, col in named:
        if col not in have:
            raise ConfigError(f"column {col!r} is not in source table {t.source_table!r}",
                              path=catalog.path, table=table, field=field)
