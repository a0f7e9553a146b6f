"""The public Python API: what a notebook, the CLI and the pipeline call.

    import tabletwin as tt

    plan = tt.scan(df, table="customers")                 # the PII plan, one decision per column
    result = tt.synthesize(df, rows=5_000, seed=0)        # mask, fit, sample, score in memory
    result.synthetic, result.passed, result.failed_checks
    related = tt.synthesize_related({"customers": c, "orders": o},
                                    keys={"orders.customer_id": "customers.customer_id"})
    ev = tt.evaluate(real_train, synthetic, holdout=real_holdout)   # the gate on two frames
    tt.write_report(result, "reports/customers.html")     # HTML + JSON beside it

The names follow what users of SDV (``fit``/``sample``, ``evaluate_quality``) and mostlyai-qa
(``report(syn_tgt_data=..., trn_tgt_data=..., hol_tgt_data=...)``) look for; each function wraps
the core's one implementation (:func:`tabletwin.chain.memory.synth_frame` for the in-memory chain,
:func:`tabletwin.quality.gate.evaluate` for the gate, :mod:`tabletwin.quality.report` for the page), never a
copy of it.

Table settings are the catalog's (``tabletwin.yaml``): a :class:`~tabletwin.config.catalog.TableConfig` or
the same mapping as in YAML (``{"primary_key": "id", "columns": {"email": {"action": "drop"}}}``).
Pseudonyms need a secret key: ``key=`` if given, else ``TABLETWIN_PSEUDONYM_KEY``, else a local demo
key generated once under ``./data`` (with a warning), as the CLI does. Never a key in code.

Heavy modules (generators, Great Expectations, matplotlib) are imported on first use, so importing
this module (and ``tabletwin scan``) stays quick.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Union

import pandas as pd

from tabletwin.errors import ConfigError, InputError

if TYPE_CHECKING:  # the catalog (pydantic) is imported on use: `tabletwin scan` does without it
    from tabletwin.config.catalog import Catalog, TableConfig
    from tabletwin.chain.memory import SynthResult
    from tabletwin.pii.plan import PiiPlan
    from tabletwin.quality.profile import TableProfile
    from tabletwin.quality.gate import QualityReport

__all__ = ["Evaluation", "SynthResult", "evaluate", "scan", "synthesize", "synthesize_related",
           "write_report"]

#: A table's settings: the catalog model, its YAML mapping, or just a name.
TableLike = Union["TableConfig", Mapping[str, Any], str, None]


def __getattr__(name: str) -> Any:
    # SynthResult lives with the chain it describes; importing it eagerly would load the generators
    if name == "SynthResult":
        from tabletwin.chain.memory import SynthResult

        return SynthResult
    raise AttributeError(f"module 'tabletwin.api' has no attribute {name!r}")


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` measured: the report and what it was computed from. The same
    attributes as a :class:`~tabletwin.chain.memory.SynthResult` (``report``, ``plan``, ``profile``,
    ``masked``, ``synthetic``, ``passed``, ``failed_checks``), so :func:`write_report` takes either."""

    report: "QualityReport"
    plan: "PiiPlan"
    profile: "TableProfile"
    masked: pd.DataFrame  # the real rows, masked by the plan (what fidelity compares against)
    synthetic: pd.DataFrame

    @property
    def passed(self) -> bool:
        return self.report.passed

    @property
    def failed_checks(self) -> list[str]:
        return self.report.failed_checks


# ---------------------------------------------------------------------------------- settings
def table_config(table: TableLike = None, *, name: str = "table",
                 columns: Mapping[str, Any] | None = None) -> "TableConfig":
    """A :class:`TableConfig` from what the caller gave: the model itself, its catalog mapping
    (``name`` defaults to ``name``), a table name, or None. ``columns`` (catalog-style per-column
    pins, e.g. ``{"email": {"pii": False}}``) are added to the table's own."""
    from pydantic import ValidationError

    from tabletwin.config.catalog import TableConfig

    if isinstance(table, TableConfig) and not columns:
        return table
    if table is None or isinstance(table, str):
        data: dict[str, Any] = {"name": table or name}
    elif isinstance(table, TableConfig):
        data = table.model_dump(exclude_unset=True)
        data["name"] = table.name
    elif isinstance(table, Mapping):
        data = {"name": name, **table}
    else:
        raise ConfigError(f"table must be a TableConfig, a mapping or a name, not "
                          f"{type(table).__name__}")
    if columns:
        if not isinstance(columns, Mapping):
            raise ConfigError("columns must map column names to settings", table=data["name"],
                              field="columns")
        data["columns"] = {**dict(data.get("columns") or {}), **dict(columns)}
    try:
        return TableConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(err["msg"].removeprefix("Value error, "), table=str(data["name"]),
                          field=".".join(str(p) for p in err["loc"])) from None


def _key(key: bytes | str | None) -> bytes:
    """The pseudonymization key: the caller's, else the CLI's source (env var, local demo key)."""
    if key is None:
        from tabletwin.pii.key import pseudonym_key

        return pseudonym_key(Path.cwd())
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not raw:
        raise ConfigError("key is empty: give a secret (bytes or str), or leave it unset to use "
                          "$TABLETWIN_PSEUDONYM_KEY")
    return raw


def _frame(df: Any, *, table: str, what: str = "df") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, not {type(df).__name__}",
                         table=table)
    return df


# ---------------------------------------------------------------------------------- scan
def scan(df: pd.DataFrame, *, table: TableLike = "table",
         columns: Mapping[str, Any] | None = None) -> "PiiPlan":
    """The PII plan of ``df``: per column the detected entity, score, evidence and the action
    masking would take. ``columns`` pins columns as the catalog does
    (``{"notes": {"pii": False}, "email": {"action": "drop"}}``); a pinned column that is not in
    ``df`` raises :class:`~tabletwin.errors.ConfigError` naming it."""
    from tabletwin.pii.detect import detect_pii

    if isinstance(table, str) and not columns:  # the CLI's path: no catalog model needed
        return detect_pii(_frame(df, table=table), table=table)
    cfg = table_config(table, columns=columns)
    return detect_pii(_frame(df, table=cfg.name), table=cfg.name, overrides=cfg.overrides(),
                      key_columns=cfg.key_columns)


# ---------------------------------------------------------------------------------- synthesize
def synthesize(df: pd.DataFrame, *, rows: int | None = None, seed: int = 0,
               table: TableLike = None, columns: Mapping[str, Any] | None = None,
               key: bytes | str | None = None,
               rebalance: tuple[str, Mapping[Any, float]] | None = None,
               conditions: pd.DataFrame | None = None) -> "SynthResult":
    """Detect and mask PII, fit the table's generator, sample ``rows`` rows (default: as many as
    ``df``, or the table's ``rows``) and score them: the whole chain in memory, as ``tabletwin
    synth`` runs it. The same ``seed`` gives the same synthetic table.

    ``rebalance=(column, {value: share})`` asks for that mix of a categorical column;
    ``conditions`` (one row per synthetic row) fixes some columns and generates the rest. The
    result's ``synthetic`` is the table, ``report`` every check, ``passed`` / ``failed_checks``
    the gate's verdict (a failed gate does not raise: look at it before using the table)."""
    from tabletwin.chain.memory import synth_frame

    cfg = table_config(table, columns=columns)
    shares = None if rebalance is None else (rebalance[0], dict(rebalance[1]))
    return synth_frame(_frame(df, table=cfg.name), cfg, rows=rows, seed=seed, key=_key(key),
                       rebalance=shares, conditions=conditions)


def related_catalog(tables: Mapping[str, pd.DataFrame], *,
                    catalog: "Catalog | Mapping[str, Any] | None" = None,
                    keys: Mapping[str, str] | None = None) -> "Catalog":
    """The catalog of a related set: ``catalog`` (a :class:`Catalog`, or table name -> settings
    as under ``tables:`` in YAML) plus ``keys`` (``"child.column" -> "parent.column"``: the
    child's foreign key and the parent's primary key). Every table of ``tables`` gets an entry;
    every parent a child names must be among ``tables``."""
    from tabletwin.config.catalog import Catalog
    from tabletwin.config.loader import parse_catalog

    where = "<synthesize_related>"
    if isinstance(catalog, Catalog):
        specs = {n: t.model_dump(exclude_unset=True) for n, t in catalog.tables.items()}
    else:
        specs = {n: dict(t or {}) for n, t in (catalog or {}).items()}
    for name in tables:
        specs.setdefault(name, {})
    for child_col, ref in (keys or {}).items():
        child, dot, col = str(child_col).partition(".")
        parent, pdot, pcol = str(ref).partition(".")
        if not dot or not pdot or not col or not pcol:
            raise ConfigError(f"keys: {child_col!r}: {ref!r} must be 'child.column': "
                              "'parent.column'", path=where, field="keys")
        for name in (child, parent):
            if name not in tables:
                raise ConfigError(f"keys name table {name!r}, which is not among the tables "
                                  f"given ({', '.join(tables)})", path=where, table=name,
                                  field="keys")
        specs[child]["foreign_keys"] = {**specs[child].get("foreign_keys", {}), col: ref}
        specs[parent].setdefault("primary_key", pcol)
    for name, spec in specs.items():
        spec.pop("name", None)
        for col, ref in (spec.get("foreign_keys") or {}).items():
            parent = str(ref).partition(".")[0]
            if parent not in tables:  # without its rows no child row can point at a parent
                raise InputError(f"foreign key {col!r} references table {parent!r}, whose rows "
                                 f"were not given (tables given: {', '.join(tables)})", table=name,
                                 column=col)
    unknown = [n for n in specs if n not in tables]
    if unknown:
        raise ConfigError(f"the catalog names table {unknown[0]!r}, whose rows were not given",
                          path=where, table=unknown[0])
    return parse_catalog({"tables": specs}, where)


def synthesize_related(tables: Mapping[str, pd.DataFrame], *,
                       catalog: "Catalog | Mapping[str, Any] | None" = None,
                       keys: Mapping[str, str] | None = None, seed: int = 0,
                       rows: int | Mapping[str, int] | None = None,
                       key: bytes | str | None = None) -> dict[str, "SynthResult"]:
    """Synthesise a set of related tables: parents first, then each child drawn from its
    parents' *synthetic* rows (children per parent and the child's columns given the parent's),
    every table scored, relations included (orphans, children per parent, joins).

    ``keys`` is the short form of the relations (``{"orders.customer_id":
    "customers.customer_id"}``); ``catalog`` holds any other settings per table. ``rows``: one
    count for every table or one per table. Returns table name -> result, parents first."""
    from tabletwin.config.loader import check_columns
    from tabletwin.chain.memory import synth_frame
    from tabletwin.metrics.relations import ParentData
    from tabletwin.config.roles import context_columns

    if not tables:
        raise InputError("no tables given")
    cat = related_catalog(tables, catalog=catalog, keys=keys)
    for name, df in tables.items():
        check_columns(cat, name, [str(c) for c in _frame(df, table=name).columns])
    secret = _key(key)
    results: dict[str, SynthResult] = {}
    for name in cat.ordered_tables():
        cfg = cat.table(name)
        parents = {}
        for fk in cfg.foreign_keys:
            pname, pkey = cfg.parent_of(fk)
            if pname == name:  # a self reference: keys drawn from the table's own fresh keys
                continue
            p = results[pname]
            parents[fk] = ParentData(name=pname, key=pkey, real=p.masked, synthetic=p.synthetic,
                                     columns=context_columns(p.plan, cat.table(pname)))
        n = rows.get(name) if isinstance(rows, Mapping) else rows
        results[name] = synth_frame(tables[name], cfg, rows=n, seed=seed, key=secret,
                                    parents=parents)
    return results


# ---------------------------------------------------------------------------------- evaluate
NO_HOLDOUT = ("no holdout rows were given: pass evaluate(..., holdout=) the real rows the "
              "generator never saw to measure distance to closest record, copied rows and TSTR")


def evaluate(real: pd.DataFrame, synthetic: pd.DataFrame, *,
             holdout: pd.DataFrame | None = None, plan: "PiiPlan | None" = None,
             table: TableLike = None, columns: Mapping[str, Any] | None = None,
             rows_expected: int | None = None, seed: int = 0,
             key: bytes | str | None = None) -> Evaluation:
    """The quality gate on two frames: ``real`` (the rows the generator learnt from, raw),
    ``synthetic`` (from tabletwin or any other synthesizer) and optionally ``holdout`` (real rows
    it never saw; mostlyai-qa's ``hol_tgt_data``). Every check of the pipeline is computed: PII
    leaks against the raw rows, fidelity and expectations against the masked rows, privacy
    against the holdout. Without ``holdout`` the holdout checks say they were not measured (a
    synthesizer fitted on all of ``real`` leaves no fair rows to compare with).

    ``plan`` defaults to :func:`scan` of ``real``; ``rows_expected`` to ``len(real)``."""
    from tabletwin.pii import detect_pii, mask_table
    from tabletwin.quality.profile import profile_table
    from tabletwin.quality.gate import evaluate as gate
    from tabletwin.seeds import stable_seed

    cfg = table_config(table, columns=columns)
    real = _frame(real, table=cfg.name, what="real")
    synthetic = _frame(synthetic, table=cfg.name, what="synthetic")
    for other, what in ((synthetic, "synthetic"), (holdout, "holdout")):
        if other is None:
            continue
        _frame(other, table=cfg.name, what=what)
        missing = [c for c in real.columns if c not in other.columns]
        extra = [c for c in other.columns if c not in real.columns]
        if missing or extra:
            col, why = (missing[0], f"missing from {what}") if missing else \
                (extra[0], f"in {what} but not in real")
            raise InputError(f"column {why}: both frames need the same columns",
                             table=cfg.name, column=str(col))
    if plan is None:
        plan = detect_pii(real, table=cfg.name, overrides=cfg.overrides(),
                          key_columns=cfg.key_columns)
    s, secret = stable_seed(cfg.name, seed), _key(key)
    masked = mask_table(real, plan, key=secret, seed=s, locale=cfg.locale)
    if holdout is not None:
        held = (holdout, mask_table(holdout[list(real.columns)], plan, key=secret, seed=s,
                                    locale=cfg.locale))
        note = ""
    else:
        held, note = (real.iloc[:0], masked.iloc[:0]), NO_HOLDOUT
    profile = profile_table(masked, plan)
    report = gate(source=real, masked=masked, synthetic=synthetic[list(real.columns)], plan=plan,
                  profile=profile, table=cfg, rows_expected=rows_expected or len(real), seed=s,
                  generator="external", holdout=held, holdout_note=note)
    return Evaluation(report, plan, profile, masked, synthetic)


# ---------------------------------------------------------------------------------- report
def write_report(result: Any, path: str | Path, *, partition: str | None = None) -> Path:
    """Write the report of a :func:`synthesize` result or an :func:`evaluate` evaluation: the HTML
    page at ``path`` (a ``.html`` file, or a folder: ``<folder>/<table>.html``) and its JSON beside
    it, each written atomically. No value of a PII column appears in either. Returns the HTML
    path. ``partition`` labels the page (default: today's date)."""
    from tabletwin.quality.report import write_report_files

    needed = ("report", "plan", "profile", "synthetic")
    if not all(hasattr(result, a) for a in needed):
        raise InputError(f"write_report takes the result of synthesize() or evaluate(), not "
                         f"{type(result).__name__} (the page needs the PII plan and profile)")
    page = Path(path)
    if page.suffix == "":
        page = page / f"{result.report.table}.html"
    elif page.suffix.lower() != ".html":
        raise InputError("the report path must end in .html or be a folder", file=str(path))
    if page.exists() and page.is_dir():
        raise InputError("the report path is a folder; give a file ending in .html",
                         file=str(path))
    keys = tuple(d.column for d in result.plan.columns if d.evidence.get("catalog") == "key")
    return write_report_files(page, result.report, result.plan, result.profile,
                              partition=partition or dt.date.today().isoformat(),
                              run_id="python-api", generator=result.report.generator,
                              real=getattr(result, "masked", None), synthetic=result.synthetic,
                              keys=keys)
