"""The table catalog: one YAML file that drives every asset, as pydantic models.

Adding a table is a config edit. These models hold each field's own rules; reading the file and
the checks across fields and tables are in :mod:`tabletwin.config.loader` (``load_catalog``,
``parse_catalog``, ``check_columns``). Wrong config fails at load time with a :class:`ConfigError`
that names the file, the table and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# the check registry (tabletwin.config.checks) holds names, default severities and threshold fields
from tabletwin.config import checks as check_registry
from tabletwin.config.checks import CHECK_NAMES
from tabletwin.errors import ConfigError
from tabletwin.synth.constraint_specs import (Constraint, FormulaConstraint,  # noqa: F401
                                               InequalityConstraint, RangeConstraint)
from tabletwin.pii.plan import ACTIONS, ENTITIES, ColumnOverride

#: A table, column or schema name tabletwin accepts (also a safe SQL identifier).
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnConfig(_Strict):
    """Per-column pins. ``pii: false`` marks a column not personal; ``entity`` forces one."""

    pii: bool | None = None
    entity: str | None = None
    action: str | None = None
    # the column's declared source type, once reviewed: accepts a retyped column (schema_change)
    type: str | None = None

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
    """Gate thresholds, each in [0, 1] (``holdout_share`` in [0, 0.5]).

    fidelity_min: minimum in-project accuracy (1 - total variation distance, averaged over
        uni-, bi- and trivariate binned distributions) of synthetic vs. masked source.
    expectations_min: minimum share of Great Expectations expectations that must pass.
    row_count_tolerance: allowed relative deviation from the configured row count.
    holdout_share: share of the source rows the generator never sees; privacy is measured
        against them (0 turns the holdout checks off).
    dcr_share_max: most synthetic rows that may be closer to a training row than to a holdout
        row (about 0.5 when nothing is copied).
    identical_rows_max: most excess share of synthetic rows identical to a training row over
        the share identical to a holdout row (duplicates that real data shows anyway are fine).
    correlation_diff_max: largest mean absolute difference between the real and synthetic
        association matrices (Cramér's V over binned columns).
    tstr_gap_max: when the table names a ``target``, the most a model trained on synthetic rows
        may lose (ROC AUC, or R² for a numeric target) against one trained on real rows, both
        scored on the holdout.
    cardinality_min: for each foreign key, the least accuracy (1 - TVD) of the histogram of
        children per parent (parents without children included), synthetic vs source.
    cross_table_min: for each foreign key, the least mean bivariate accuracy of (parent column,
        child column) pairs after joining children to their parents, synthetic vs source.
    minority_dcr_ratio_min: rebalanced tables only, per value named in ``rebalance.shares``: the
        5% quantile of the distance from the synthetic rows of that class to the closest training
        row of the class, over the same quantile for real holdout rows of the class, must be at
        least this; and the share of synthetic rows of the class identical to a training row of
        the class may exceed the holdout rows' share by ``identical_rows_max`` at most
        (``tabletwin.metrics.privacy.minority_privacy``).
    rare_values_excess_max: in every column (PII or not), the share of synthetic cells equal to
        a value seen fewer than 5 times in the training rows may exceed the holdout cells' share
        by this much, plus three standard errors for chance (``tabletwin.metrics.rare_values``).
    severity: per check name, ``error`` (blocks publication) or ``warn`` (reported only).
        Defaults (``tabletwin.config.checks``): ``warn`` for correlations_preserved, useful_for_ml and
        joins_like_source, ``error`` otherwise.
    not_measured: what a check that applies to the table but could not be measured this run
        (e.g. a holdout too small for the distance checks) does: ``warn`` (default) reports it,
        ``error`` blocks publication when the check itself has ``error`` severity. Never a pass.
    """

    fidelity_min: float = Field(0.80, ge=0.0, le=1.0)
    expectations_min: float = Field(1.0, ge=0.0, le=1.0)
    row_count_tolerance: float = Field(0.0, ge=0.0, le=1.0)
    holdout_share: float = Field(0.2, ge=0.0, le=0.5)
    dcr_share_max: float = Field(0.6, ge=0.0, le=1.0)
    identical_rows_max: float = Field(0.01, ge=0.0, le=1.0)
    correlation_diff_max: float = Field(0.1, ge=0.0, le=1.0)
    tstr_gap_max: float = Field(0.05, ge=0.0, le=1.0)
    rare_values_excess_max: float = Field(0.0, ge=0.0, le=1.0)
    cardinality_min: float = Field(0.9, ge=0.0, le=1.0)
    cross_table_min: float = Field(0.85, ge=0.0, le=1.0)
    minority_dcr_ratio_min: float = Field(0.8, ge=0.0, le=1.0)
    severity: dict[str, Literal["error", "warn"]] = Field(default_factory=dict)
    not_measured: Literal["warn", "error"] = "warn"

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name not in CHECK_NAMES:
                raise ValueError(f"unknown check {name!r}; expected one of {', '.join(CHECK_NAMES)}")
        return v

    def severity_of(self, check: str) -> str:
        return self.severity.get(check, check_registry.get(check).severity)

    def not_measured_severity(self, check: str) -> str:
        """The severity of ``check`` when it applies but was not measured."""
        return "error" if self.not_measured == "error" and self.severity_of(check) == "error" \
            else "warn"


class GeneratorConfig(_Strict):
    name: str = "auto"
    params: dict[str, Any] = Field(default_factory=dict)
    max_fit_rows: int = Field(200_000, gt=0)


class RebalanceConfig(_Strict):
    """A chosen mix of one categorical column in the published table, e.g. ``{column: is_fraud,
    shares: {true: 0.5}}``: each named value gets its share of the rows; the values not named keep
    their relative proportions; every other column follows its distribution given this one."""

    column: str
    shares: dict[Union[bool, int, float, str], float]

    @field_validator("shares")
    @classmethod
    def _shares(cls, v: dict[Any, float]) -> dict[Any, float]:
        if not v:
            raise ValueError("name at least one value and its share")
        for value, share in v.items():
            if not 0.0 < share < 1.0:
                raise ValueError(f"share {share} must lie strictly between 0 and 1")
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError(f"shares sum to {sum(v.values()):.4f} > 1")
        return v


class RefitPolicy(_Strict):
    """When the daily run refits a table's model instead of drawing from the stored one
    (:mod:`tabletwin.chain.refresh`); catalog ``refit:`` per table."""

    refit_after_days: int = Field(7, ge=1)
    psi_max: float = Field(0.1, gt=0)  # a column's PSI above this is drift (Evidently's default)
    rows_change_max: float = Field(0.2, gt=0)  # |rows today / rows fitted - 1|
    new_keys_max: float = Field(0.2, gt=0, le=1)  # share of today's keys the model never saw
    # a row deleted from the source (a key the model saw, gone today) refits: a model fitted on
    # someone's row does not outlive its deletion (erasure requests); false tolerates deletions
    refit_on_deleted_rows: bool = True


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
    constraints: list[Constraint] = Field(default_factory=list)
    target: str | None = None  # a column a model should predict as well from synthetic rows (TSTR)
    locale: str = "en_US"
    rebalance: RebalanceConfig | None = None  # a chosen mix of one categorical column
    # child tables: draw children per parent and child columns given the synthetic parent rows
    condition_on_parents: bool = True
    # sources with more rows are streamed: snapshot on disk, fit on a sample, chunked output
    stream_above: int = Field(1_000_000, gt=0)
    # lifts the row limits (tabletwin.limits: 10^9 rows, 10x the source) for this table
    allow_large_rows: bool = False
    # a source column added or retyped since the last publication blocks until the catalog
    # accepts it (tabletwin.config.schema_change); "accept" lets every change through
    on_schema_change: Literal["block", "accept"] = "block"
    # when the stored model is too stale to reuse (tabletwin.chain.refresh)
    refit: RefitPolicy = Field(default_factory=RefitPolicy)

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

    @model_validator(mode="after")
    def _constraints(self) -> "TableConfig":
        keys = set(self.key_columns)
        if self.target is not None and self.target in keys:
            raise ValueError(f"target {self.target!r} is a key; name a modelled column")
        if self.rebalance is not None:
            if self.rebalance.column in keys:
                raise ValueError(f"rebalance column {self.rebalance.column!r} is a key; name a "
                                 "modelled categorical column")
            if self.constraints:
                raise ValueError("rebalance does not combine with constraints yet")
        derived = [c.column for c in self.constraints if isinstance(c, FormulaConstraint)]
        highs = [c.high for c in self.constraints if isinstance(c, InequalityConstraint)]
        for i, c in enumerate(self.constraints):
            where = f"constraints[{i}] ({c.label})"
            if keys & set(c.columns):
                raise ValueError(f"{where}: keys are generated fresh and cannot be constrained")
            if isinstance(c, FormulaConstraint):
                if c.column in c.inputs:
                    raise ValueError(f"{where}: a formula cannot use its own column")
                if derived.count(c.column) > 1:
                    raise ValueError(f"{where}: {c.column!r} has two formulas")
                if set(c.inputs) & set(derived):
                    raise ValueError(f"{where}: a formula cannot use another derived column")
            else:
                if set(c.columns) & set(derived):
                    raise ValueError(f"{where}: derived (formula) columns cannot carry other "
                                     "constraints; constrain their inputs")
            if isinstance(c, InequalityConstraint):
                if c.low == c.high:
                    raise ValueError(f"{where}: low and high are the same column")
                if highs.count(c.high) > 1:
                    raise ValueError(f"{where}: {c.high!r} is the upper side of two inequalities; "
                                     "chain them instead (a <= b, b <= c)")
        # inequalities must chain without a cycle
        up = {c.high: c.low for c in self.constraints if isinstance(c, InequalityConstraint)}
        for start in up:
            seen, col = {start}, up[start]
            while col in up:
                if col in seen:
                    raise ValueError(f"constraints: inequalities form a cycle through {col!r}")
                seen.add(col)
                col = up[col]
        return self

    @field_validator("foreign_keys")
    @classmethod
    def _fk(cls, v: dict[str, str]) -> dict[str, str]:
        for col, ref in v.items():
            if not IDENTIFIER.match(str(col)):
                # the key column names Dagster inputs (letters, digits, _ only)
                raise ValueError(f"foreign key column {str(col)[:60]!r} must be an identifier "
                                 "(letters, digits, _); expose it under such a name in a view")
            parent, dot, pcol = ref.partition(".")
            if not dot or not IDENTIFIER.match(parent) or not IDENTIFIER.match(pcol):
                raise ValueError(f"foreign key {col!r} must reference 'table.column', got {ref!r}")
        return v


class FollowDrift(_Strict):
    """A scenario's seed built each day from a drifting categorical ``column``: its mix moved
    ``factor`` times as far as it moved since the last published day's model was fitted (1: today's
    mix, 2: as far again, 0: back to the mix then); see :mod:`tabletwin.chain.drift_scenario`."""

    column: str
    factor: float = Field(2.0, ge=0.0, le=10.0)


class ScenarioConfig(_Strict):
    """A seeded scenario: synthetic rows of ``table`` whose columns named in the ``seed_table`` file
    (Parquet or CSV, one row per synthetic row, path relative to the catalog) are fixed as given
    and the rest generated consistently, published as ``<target_schema>.<table>__<scenario>``.
    Instead of a file, ``follow_drift`` builds a one-column seed table each day (exactly one)."""

    table: str
    seed_table: str | None = None
    follow_drift: FollowDrift | None = None

    @model_validator(mode="after")
    def _one_seed(self) -> "ScenarioConfig":
        if (self.seed_table is None) == (self.follow_drift is None):
            raise ValueError("give exactly one of seed_table and follow_drift")
        return self


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseConfig(_Strict):
    """Where the source tables are and the synthetic copies go.

    ``kind: duckdb`` (default): a DuckDB file at ``path``. ``kind: postgres``: the URL is read from
    the environment variable named by ``url_env`` (never written in the catalog: it may hold a
    password); ``target_url_env`` optionally names a second variable when the target schema lives
    in another database. ``read_keys``: tables that declare no ``primary_key`` / ``foreign_keys``
    take them from the warehouse's own constraints.
    """

    kind: Literal["duckdb", "postgres"] = "duckdb"
    path: str = "data/demo_warehouse.duckdb"  # duckdb file, relative to the catalog's folder
    url_env: str = "TABLETWIN_WAREHOUSE_URL"  # postgres: env var holding the source URL
    target_url_env: str | None = None  # postgres: env var of the target URL (default: the source)
    source_schema: str = "main"
    target_schema: str = "synthetic"
    read_keys: bool = True

    @field_validator("url_env", "target_url_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            # never echo the value: someone may have pasted the URL itself here
            raise ValueError("must name an environment variable (letters, digits, _), not hold "
                             "a URL")
        return v

    @field_validator("source_schema", "target_schema")
    @classmethod
    def _schema(cls, v: str) -> str:
        if not IDENTIFIER.match(v):
            raise ValueError("must be an identifier (letters, digits, _)")
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> "WarehouseConfig":
        if self.kind == "postgres" and "path" in self.model_fields_set:
            raise ValueError("path is for kind duckdb; a postgres warehouse takes url_env")
        if self.kind == "duckdb":
            extra = sorted({"url_env", "target_url_env"} & self.model_fields_set)
            if extra:
                raise ValueError(f"{', '.join(extra)} is for kind postgres; a duckdb warehouse "
                                 "takes path")
        two_databases = self.kind == "postgres" and self.target_url_env is not None
        if self.source_schema == self.target_schema and not two_databases:
            raise ValueError("source_schema and target_schema must differ in one database")
        return self

    def describe(self, root: Path) -> str:
        """Where the warehouse is, printable (a path, or the env var names: never a URL)."""
        if self.kind == "postgres":
            extra = f", target ${self.target_url_env}" if self.target_url_env else ""
            return f"postgres ${self.url_env}{extra}"
        q = Path(self.path)
        return str(q if q.is_absolute() else root / q)


class Catalog(_Strict):
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    storage_dir: str = "data/storage"
    reports_dir: str = "data/reports"
    partitions_start: str = "2026-01-01"  # the earliest day `tabletwin run --date` accepts
    schedule_hour: int = Field(3, ge=0, le=23)  # hour (UTC) of the daily refresh
    recognizers: list[str] = Field(default_factory=list)  # YAML files of custom PII recognizers
    versions_kept: int = Field(3, ge=1, le=365)  # published versions kept per table
    tables: dict[str, TableConfig]
    scenarios: dict[str, ScenarioConfig] = Field(default_factory=dict)
    path: str = ""  # the file it came from (set by load_catalog)

    @field_validator("partitions_start", mode="before")
    @classmethod
    def _start_date(cls, v: Any) -> Any:
        import datetime as dt

        if isinstance(v, dt.date):  # YAML reads an unquoted 2026-01-01 as a date
            return v.isoformat()[:10]
        if isinstance(v, str):
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"must be a date YYYY-MM-DD, got {v[:40]!r}") from None
        return v

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

