"""Table keys taken from the warehouse's own constraints.

A catalog table that declares no ``primary_key`` (or no ``foreign_keys``) gets the ones the
warehouse declares for its source table, when ``warehouse.read_keys`` is true (the default).
Declaring ``foreign_keys: {}`` explicitly keeps a table keyless whatever the warehouse says.
The Dagster definitions take those keys from a cache file beside the catalog, written by
``tabletwin keys --write`` (see :func:`with_cached_keys`), never from the warehouse itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tabletwin.config.catalog import Catalog
from tabletwin.config.loader import parse_catalog
from tabletwin.errors import ConfigError
from tabletwin.config.warehouse import open_warehouse
from tabletwin.warehouse.base import Warehouse

KEY_FIELDS = ("primary_key", "foreign_keys")


def tables_missing_keys(catalog: Catalog) -> dict[str, list[str]]:
    """Tables (and which of primary_key / foreign_keys) the catalog leaves to the warehouse."""
    if not catalog.warehouse.read_keys:
        return {}
    out = {}
    for name, t in catalog.tables.items():
        fields = [f for f in KEY_FIELDS if f not in t.model_fields_set]
        if fields:
            out[name] = fields
    return out


def read_warehouse_keys(catalog: Catalog, warehouse: Warehouse,
                        fields: dict[str, list[str]]) -> dict[str, dict]:
    """Table -> {field: value} as the warehouse's constraints declare them, for the ``fields`` of
    each table (``primary_key`` / ``foreign_keys``), foreign keys mapped to catalog table names.
    A field the warehouse declares nothing for (or a composite primary key, not modelled) is left
    out. A foreign key to a table outside the catalog is a ConfigError naming both."""
    schema = catalog.warehouse.source_schema
    by_source = {t.source_table: name for name, t in catalog.tables.items()}
    out: dict[str, dict] = {}
    for name, wanted in fields.items():
        pk, fks = warehouse.table_keys(schema, catalog.tables[name].source_table)
        entry: dict = {}
        if "primary_key" in wanted and len(pk) == 1:  # composite keys are not modelled
            entry["primary_key"] = pk[0]
        if "foreign_keys" in wanted and fks:
            mapped = {}
            for col, ref in fks.items():
                ptable, _, pcol = ref.rpartition(".")
                parent = by_source.get(ptable)
                if parent is None:
                    raise ConfigError(
                        f"the warehouse declares foreign key {col} -> {ref}, but table "
                        f"{ptable!r} is not in the catalog: add it, or declare this table's "
                        "foreign_keys (foreign_keys: {} for none)",
                        path=catalog.path, table=name, field=f"foreign_keys.{col}")
                mapped[col] = f"{parent}.{pcol}"
            entry["foreign_keys"] = mapped
        if entry:
            out[name] = entry
    return out


def apply_keys(catalog: Catalog, keys: dict[str, dict], source: str) -> Catalog:
    """The catalog with ``keys`` (table -> {field: value}) set, validated again: cycles and
    references outside the catalog are ConfigErrors naming the tables and ``source``."""
    if not keys:
        return catalog
    data = catalog.model_dump(exclude_unset=True, exclude={"path"})
    for name, entry in keys.items():
        data["tables"][name].update(entry)
    try:
        return parse_catalog(data, catalog.path)
    except ConfigError as exc:
        raise ConfigError(f"{exc.message} (keys {source})", path=exc.path, table=exc.table,
                          field=exc.field) from None


def with_warehouse_keys(catalog: Catalog, warehouse: Warehouse | None = None) -> Catalog:
    """The catalog with undeclared keys filled from the warehouse's constraints (validated again:
    cycles and references outside the catalog are ConfigErrors naming the tables).

    Unchanged when ``read_keys`` is false, when every table declares its keys, or when the DuckDB
    file does not exist yet (reading the source later says so). Opens the warehouse: the Dagster
    definitions use :func:`with_cached_keys` instead, which does not."""
    missing = tables_missing_keys(catalog)
    if not missing:
        return catalog
    if warehouse is None:
        if catalog.warehouse.kind == "duckdb" and not catalog.resolve(catalog.warehouse.path).exists():
            return catalog
        warehouse = open_warehouse(catalog)
    keys = read_warehouse_keys(catalog, warehouse, missing)
    schema = catalog.warehouse.source_schema
    return apply_keys(catalog, keys, f"read from the warehouse's constraints in schema {schema!r}")


# --- the key cache: the warehouse's keys, read by an explicit command, used without the warehouse --
#
# The Dagster definitions need the foreign keys (parent -> child edges of the asset graph) when
# the code location loads; reading them from the warehouse there would make a database outage (or
# a missing DuckDB file) break the code location. So `tabletwin keys --write` reads them once into
# a file beside the catalog, the definitions read that file, and each run's source step compares
# the file with the warehouse and stops, naming the command, when they differ.

KEYS_COMMAND = "tabletwin keys --write"
_CACHE_HEADER = ("# Written by `{command}` from the warehouse's key constraints (schema {schema}): "
                 "the keys\n# {catalog} leaves undeclared. Read when the Dagster definitions load "
                 "(no warehouse\n# access there); a run stops when the warehouse's keys differ "
                 "from these. Keys declared\n# in the catalog win. Do not edit: re-run the "
                 "command, or declare the keys in the catalog.\n")


def keys_cache_path(catalog: Catalog) -> Path:
    """``<catalog stem>.keys.yaml`` beside the catalog file (``tabletwin.keys.yaml``)."""
    stem = Path(catalog.path).stem if catalog.path else "tabletwin"
    return catalog.root / f"{stem}.keys.yaml"


def cached_keys(catalog: Catalog) -> dict[str, dict]:
    """Table -> {field: value} from the key cache, for the fields the catalog leaves undeclared
    (declared keys win; tables no longer in the catalog are ignored); {} without a cache file."""
    missing = tables_missing_keys(catalog)
    path = keys_cache_path(catalog)
    if not missing or not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the key cache ({type(exc).__name__}); re-write it with "
                          f"`{KEYS_COMMAND}`", path=str(path)) from None
    tables = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, dict):
        raise ConfigError(f"the key cache has no tables mapping; re-write it with "
                          f"`{KEYS_COMMAND}`", path=str(path))
    out = {}
    for name, fields in missing.items():
        entry = tables.get(name)
        if isinstance(entry, dict):
            kept = {f: v for f, v in entry.items() if f in fields}
            if kept:
                out[name] = kept
    return out


def with_cached_keys(catalog: Catalog) -> Catalog:
    """The catalog with undeclared keys filled from the key cache: no warehouse access."""
    return apply_keys(catalog, cached_keys(catalog), f"from the key cache {keys_cache_path(catalog)}")


def write_keys_cache(catalog: Catalog, warehouse: Warehouse | None = None) -> tuple[Path, dict]:
    """Read the undeclared keys from the warehouse and write them to the key cache (atomically);
    (the file, table -> {field: value}). The keys are validated as a catalog before writing."""
    missing = tables_missing_keys(catalog)
    keys = read_warehouse_keys(catalog, warehouse or open_warehouse(catalog), missing) \
        if missing else {}
    apply_keys(catalog, keys, "read from the warehouse's constraints")  # validate before writing
    path = keys_cache_path(catalog)
    text = _CACHE_HEADER.format(command=KEYS_COMMAND, schema=catalog.warehouse.source_schema,
                                catalog=Path(catalog.path).name or "the catalog")
    text += yaml.safe_dump({"tables": keys}, sort_keys=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path, keys


def check_keys_current(catalog: Catalog, warehouse: Warehouse, table: str,
                       fields: list[str]) -> None:
    """Raise a ConfigError naming :data:`KEYS_COMMAND` when the warehouse's keys for ``fields``
    of ``table`` (those its catalog entry leaves undeclared) differ from the ones ``catalog`` uses
    (filled from the key cache): a key added to the warehouse after the cache was written would
    otherwise be silently missing from the asset graph and the synthetic copy."""
    if not fields:
        return
    t = catalog.table(table)
    used = {f: getattr(t, f) for f in fields if getattr(t, f)}
    current = read_warehouse_keys(catalog, warehouse, {table: fields}).get(table, {})
    if current != used:
        where = keys_cache_path(catalog)
        held = "is missing" if not where.is_file() else f"holds {used or 'none'}"
        raise ConfigError(
            f"the warehouse declares keys {current or 'none'} for this table, which the catalog "
            f"leaves undeclared; the key cache {where} {held}. Run `{KEYS_COMMAND} --catalog "
            f"{catalog.path}` (or declare primary_key / foreign_keys in the catalog)",
            path=catalog.path, table=table, field=", ".join(fields))
