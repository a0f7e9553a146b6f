"""Loading the table catalog: read ``tabletwin.yaml``, validate it, check it against the source.

:func:`load_catalog` reads the file (bounded: YAML aliases cannot expand it past a limit);
:func:`parse_catalog` validates a mapping into a :class:`~tabletwin.config.catalog.Catalog` and
then checks what the models' field rules cannot see on their own (foreign keys between tables,
scenarios, recognizer files, generator parameters, PostgreSQL name lengths). Every failure is a
:class:`ConfigError` that names the file, the table and the field; :func:`check_columns` checks
the catalog's column names once the source schema is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tabletwin.config.catalog import IDENTIFIER, Catalog, TableConfig, WarehouseConfig
from tabletwin.config.checks import THRESHOLD_CHECKS as _THRESHOLD_CHECKS
from tabletwin.errors import ConfigError


def _first_error(exc: ValidationError, data: dict) -> tuple[str | None, str, str]:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ")
    if loc == ["warehouse"] and err["type"] == "value_error":  # name the field the check is about
        first = msg.split(" ", 1)[0].rstrip(",")
        if first in WarehouseConfig.model_fields:
            loc.append(first)
    table = loc[1] if len(loc) > 1 and loc[0] == "tables" else None
    field = ".".join(loc[2:] if table else loc) or None
    scenarios = data.get("scenarios")
    if len(loc) > 1 and loc[0] == "scenarios" and isinstance(scenarios, dict):
        sc = scenarios.get(loc[1])  # name the scenario's table too
        if isinstance(sc, dict) and isinstance(sc.get("table"), str):
            table = sc["table"]
    return table, field or "", msg


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
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            raise ConfigError("table names must be identifiers", path=path, table=str(name))
    try:
        catalog = Catalog(**data, path=path)
    except ValidationError as exc:
        table, field, msg = _first_error(exc, data)
        check = _THRESHOLD_CHECKS.get(field.removeprefix("checks.")) if field else None
        if check:
            msg = f"{msg} (threshold of check {check})"
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
    _check_scenarios(catalog, path)
    for p in catalog.recognizers:
        if not catalog.resolve(p).is_file():
            raise ConfigError(f"recognizers file not found: {p}", path=path, field="recognizers")
    catalog.ordered_tables()
    for name, t in catalog.tables.items():
        _check_rows(t, path)
        _check_locale(t, path)
        _check_generator(t, path)
    _check_name_lengths(catalog, path)
    return catalog


def _check_scenarios(catalog: Catalog, path: str) -> None:
    for name, sc in catalog.scenarios.items():
        if not isinstance(name, str) or not IDENTIFIER.match(name):
            raise ConfigError("scenario names must be identifiers", path=path,
                              field=f"scenarios.{name}")
        if sc.table not in catalog.tables:
            raise ConfigError(f"scenario names unknown table {sc.table!r}", path=path,
                              field=f"scenarios.{name}.table")
        t = catalog.tables[sc.table]
        if t.constraints:
            raise ConfigError("seeded scenarios do not combine with constraints yet", path=path,
                              table=sc.table, field=f"scenarios.{name}")
        if sc.follow_drift is not None:
            problem = _follow_problem(t, sc.follow_drift.column)
            if problem:
                raise ConfigError(problem, path=path, table=sc.table,
                                  field=f"scenarios.{name}.follow_drift.column")


def _follow_problem(t: TableConfig, column: str) -> str | None:
    """Why ``column`` cannot be followed, as far as the catalog alone tells (its type and the PII
    plan are checked when the run has the rows: tabletwin.chain.drift_scenario)."""
    if column in t.key_columns:
        return (f"{column!r} is a key of {t.name!r} (keys are generated fresh); name a "
                "categorical column")
    pinned = t.columns.get(column)
    if pinned is not None and (pinned.pii or pinned.entity or pinned.action not in (None, "keep")):
        return (f"{column!r} is marked PII in columns.{column}; follow_drift takes a non-personal "
                "categorical column (its levels are shown in the run's metadata)")
    return None


def _check_rows(t: TableConfig, path: str) -> None:
    from tabletwin.limits import MAX_ROWS

    if t.rows is not None and t.rows > MAX_ROWS and not t.allow_large_rows:
        raise ConfigError(f"rows {t.rows:,} is above the limit of {MAX_ROWS:,} (set "
                          "allow_large_rows: true to lift it)", path=path, table=t.name,
                          field="rows")


def _check_locale(t: TableConfig, path: str) -> None:
    """The locale must be one Faker has (fakes are drawn from its word lists)."""
    from faker.config import AVAILABLE_LOCALES

    if t.locale.replace("-", "_") not in AVAILABLE_LOCALES:
        raise ConfigError(f"unknown locale {t.locale[:40]!r} (Faker locales such as en_US, "
                          "de_DE, fr_FR)", path=path, table=t.name, field="locale")


def _param_problem(value: Any, default: Any) -> str | None:
    """Why a generator parameter's value cannot be right (size, magnitude, type against its
    default), or None."""
    from tabletwin.limits import MAX_PARAM_NODES, MAX_PARAM_NUMBER, expanded_size

    if expanded_size(value, MAX_PARAM_NODES) > MAX_PARAM_NODES:
        return f"more than {MAX_PARAM_NODES:,} items"
    if isinstance(value, dict):
        return "must not be a mapping"
    number = (int, float)
    if isinstance(value, number) and not isinstance(value, bool):
        if value != value or abs(value) > MAX_PARAM_NUMBER:
            return f"must be a number within +-{MAX_PARAM_NUMBER:,}"
    if default is None or default is inspect_empty():
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, number):
        if isinstance(value, bool) or not isinstance(value, number):
            return "must be a number"
        if isinstance(default, int) and isinstance(value, float) and not value.is_integer():
            return "must be a whole number"
        if default >= 0 and value < 0:
            return "must not be negative"
    if isinstance(default, (tuple, list)) and not isinstance(value, (tuple, list)):
        return "must be a list"
    if isinstance(default, str) and not isinstance(value, str):
        return "must be a string"
    return None


def inspect_empty() -> Any:
    import inspect

    return inspect.Parameter.empty


def _check_generator(t: TableConfig, path: str) -> None:
    """Generator name and params, checked without fitting: the name is a generator, every param
    is one its constructor takes, of the default's type, within tabletwin.limits and within the
    range the generator accepts when it fits; ``auto``'s candidates are generators. The built-in generators are checked against the static table of
    their parameters (tabletwin.synth.generator_params: no scikit-learn import at load); one
    registered by other code is looked up in the registry and instantiated."""
    from tabletwin.synth.generator_params import GENERATOR_PARAMS, bound_problem, generator_params

    name, params = t.generator.name, t.generator.params
    accepted = generator_params(name)
    if accepted is None:
        raise ConfigError(f"unknown generator {name[:40]!r} (known: {', '.join(_known())})",
                          path=path, table=t.name, field="generator.name")
    for key, value in params.items():
        if key not in accepted:
            raise ConfigError(f"generator {name!r} takes no parameter {str(key)[:40]!r} (known: "
                              f"{', '.join(accepted) or 'none'})", path=path, table=t.name,
                              field="generator.params")
        problem = _param_problem(value, accepted[key]) or bound_problem(name, key, value)
        if problem:
            raise ConfigError(problem, path=path, table=t.name, field=f"generator.params.{key}")
    candidates = params.get("candidates") if name == "auto" else None
    for c in candidates or []:
        if not isinstance(c, str) or c == "auto" or generator_params(c) is None:
            raise ConfigError(f"unknown candidate generator {str(c)[:40]!r} (known: "
                              f"{', '.join(k for k in _known() if k != 'auto')})",
                              path=path, table=t.name, field="generator.params.candidates")
    if name not in GENERATOR_PARAMS:
        _make_registered(name, params, t, path)


def _known() -> list[str]:
    """Every generator name: the built-in ones and those registered by other code."""
    from tabletwin.synth.generators import REGISTRY  # only on an error: the import takes seconds

    return sorted(REGISTRY)


def _make_registered(name: str, params: dict, t: TableConfig, path: str) -> None:
    """A generator registered by other code: its constructor may refuse the params."""
    from tabletwin.synth.generators import make_generator

    try:
        make_generator(name, params, table=t.name)
    except ConfigError as exc:
        raise ConfigError(exc.message, path=path, table=t.name, field=exc.field) from None
    except Exception as exc:  # noqa: BLE001 - a constructor refusing its params
        raise ConfigError(f"bad parameters for generator {name!r} ({type(exc).__name__})",
                          path=path, table=t.name, field="generator.params") from None


def _check_name_lengths(catalog: Catalog, path: str) -> None:
    """PostgreSQL truncates identifiers past 63 bytes, which would make the version tables of two
    days collide: ``<table>__YYYYMMDD_new`` must fit, so table (and scenario table) names have at
    most 50 characters there; the versions schema ``<target_schema>_versions`` must fit too."""
    if catalog.warehouse.kind != "postgres":
        return
    from tabletwin.warehouse.base import VERSIONS_SUFFIX
    from tabletwin.warehouse.postgres import MAX_IDENT

    longest = MAX_IDENT - len("__YYYYMMDD_new")
    for name in catalog.tables:
        if len(name.encode()) > longest:
            raise ConfigError(f"table name has {len(name.encode())} bytes; PostgreSQL version "
                              f"tables allow at most {longest}", path=path, table=name,
                              field="name")
    for scenario, sc in catalog.scenarios.items():
        published = f"{sc.table}__{scenario}"
        if len(published.encode()) > longest:
            raise ConfigError(f"published name {published!r} has {len(published.encode())} bytes;"
                              f" PostgreSQL version tables allow at most {longest}", path=path,
                              table=sc.table, field=f"scenarios.{scenario}")
    schema = catalog.warehouse.target_schema + VERSIONS_SUFFIX
    if len(schema.encode()) > MAX_IDENT:
        raise ConfigError(f"{schema!r} is longer than PostgreSQL's {MAX_IDENT} bytes", path=path,
                          field="warehouse.target_schema")


def load_catalog(path: str | Path = "tabletwin.yaml") -> Catalog:
    """Read and validate the catalog file."""
    from tabletwin.limits import CATALOG_NODES_ENV, expanded_size, max_catalog_nodes

    p = Path(path)
    if p.is_dir():
        raise ConfigError("is a directory, not a catalog file", path=str(p))
    if not p.is_file():
        raise ConfigError("catalog file not found", path=str(p))
    where = str(p.resolve())
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc.__class__.__name__})", path=where) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=where) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the catalog ({type(exc).__name__})", path=where) from None
    # safe_load shares aliased nodes, so loading is cheap; validating or walking the expanded
    # tree is not (nested aliases: 10^9 items from a few hundred bytes)
    limit = max_catalog_nodes()
    try:
        size = expanded_size(data, limit)
    except ValueError as exc:
        raise ConfigError(str(exc), path=where) from None
    if size > limit:
        raise ConfigError(f"the catalog expands (YAML aliases included) to more than {limit:,} "
                          f"items; ${CATALOG_NODES_ENV} raises the limit", path=where)
    return parse_catalog(data, where)


def check_columns(catalog: Catalog, table: str, columns: list[str]) -> None:
    """Fail with a ConfigError if the catalog names a column the source table does not have."""
    t = catalog.table(table)
    have = set(columns)
    named = [("primary_key", t.primary_key)] if t.primary_key else []
    named += [(f"foreign_keys.{c}", c) for c in t.foreign_keys]
    named += [(f"columns.{c}", c) for c in t.columns]
    named += [(f"constraints[{i}]", c) for i, k in enumerate(t.constraints) for c in k.columns]
    named += [("target", t.target)] if t.target else []
    named += [("rebalance.column", t.rebalance.column)] if t.rebalance else []
    named += [(f"scenarios.{n}.follow_drift.column", sc.follow_drift.column)
              for n, sc in catalog.scenarios.items() if sc.table == table and sc.follow_drift]
    for field, col in named:
        if col not in have:
            raise ConfigError(f"column {col!r} is not in source table {t.source_table!r}",
                              path=catalog.path, table=table, field=field)
