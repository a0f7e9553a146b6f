"""The stages glued for callers that are not Dagster: the CLI's ``synth`` and the assets' IO steps.

Assets call these one function at a time; :func:`synth_frame` runs the whole chain in memory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tabletwin.catalog import Catalog, RebalanceConfig, TableConfig, check_columns
from tabletwin.errors import CheckFailed, ConfigError, InputError
from tabletwin.files import read_file  # noqa: F401  (re-exported: light module for `scan`)
from tabletwin.generators import Generator
from tabletwin.limits import check_rows
from tabletwin.pii import PiiPlan, detect_pii, mask_table
from tabletwin.profile import TableProfile, profile_table
from tabletwin.quality import QualityReport, evaluate
from tabletwin.seeds import stable_seed
from tabletwin.synthesis import fit_generator, synthesize
from tabletwin.warehouse import RunRecord, Warehouse

if TYPE_CHECKING:
    from tabletwin.large import Snapshot, SyntheticFile


def code_version() -> str:
    try:
        return version("tabletwin")
    except PackageNotFoundError:
        return "unknown"


def load_source(warehouse: Warehouse, catalog: Catalog, table: str, schema: str,
                snapshot_path: str | Path) -> "tuple[pd.DataFrame | Snapshot, dict[str, str]]":
    """The source of a catalog table: a DataFrame, or for a source with more rows than the table's
    ``stream_above`` a :class:`~tabletwin.large.Snapshot` streamed in chunks into the Parquet file
    ``snapshot_path`` (never held whole in memory)."""
    from tabletwin.large import write_snapshot

    t = catalog.table(table)
    types = warehouse.columns(schema, t.source_table)
    if types is None:
        raise InputError(f"source table {schema}.{t.source_table} does not exist in the warehouse",
                         table=table)
    check_columns(catalog, table, list(types))
    rows = warehouse.count_rows(schema, t.source_table)
    if rows == 0:
        raise InputError("source table is empty; nothing to synthesize", table=table)
    if t.rows is not None:  # before reading anything: a row count the run would never finish
        check_rows(t.rows, rows, allow=t.allow_large_rows, table=table, what="rows")
    if rows <= t.stream_above:
        return warehouse.read_table(schema, t.source_table), types
    return write_snapshot(warehouse.iter_table(schema, t.source_table), snapshot_path,
                          table=table), types


def run_record(table: TableConfig, report: QualityReport, *, partition: str, run_id: str,
               seed: int, generator: str | None = None) -> RunRecord:
    """The history row of one run of one table: every score, whether the checks passed."""
    return RunRecord(table_name=table.name, partition_key=partition, run_id=run_id,
                     generator=generator or report.generator or table.generator.name,
                     seed=seed,
                     rows=report.rows_actual, passed=report.passed, scores=report.scores(),
                     code_version=code_version(), checks=check_states(report))


def check_states(report: QualityReport) -> dict[str, dict[str, str]]:
    """Check name -> status and severity, as the run history keeps them."""
    return {o.name: {"status": o.status, "severity": o.severity} for o in report.outcomes()}


def record_checked_run(warehouse: Warehouse, table: TableConfig, report: QualityReport, *,
                       target_schema: str, partition: str, run_id: str, seed: int,
                       generator: str | None = None) -> None:
    """Write the run's history row as soon as it is scored, failed runs included."""
    warehouse.record_run(target_schema, run_record(table, report, partition=partition,
                                                   run_id=run_id, seed=seed, generator=generator))


def publish_table(warehouse: Warehouse, table: TableConfig, synthetic: "pd.DataFrame | SyntheticFile",
                  report: QualityReport, *, source_schema: str, target_schema: str, partition: str,
                  run_id: str, seed: int, generator: str | None = None,
                  versions_kept: int = 3) -> str:
    """Publish a gated synthetic table atomically as the partition's version, with its run
    record; returns ``schema.table``. A streamed table (:class:`~tabletwin.large.SyntheticFile`)
    is loaded from its Parquet file inside the publishing transaction."""
    from tabletwin.large import SyntheticFile

    if not report.passed:  # the blocking checks stop this earlier; never publish a failed table
        raise CheckFailed(table.name, report.failed_checks)
    source_types = warehouse.columns(source_schema, table.source_table) or {}
    record = run_record(table, report, partition=partition, run_id=run_id, seed=seed,
                        generator=generator)
    if isinstance(synthetic, SyntheticFile):
        warehouse.publish_file(target_schema, table.name, synthetic.snapshot.path,
                               column_types=warehouse.publish_types(synthetic.head, source_types),
                               record=record, versions_kept=versions_kept)
    else:
        warehouse.publish(target_schema, table.name, synthetic,
                          column_types=warehouse.publish_types(synthetic, source_types),
                          record=record, versions_kept=versions_kept)
    return f"{target_schema}.{table.name}"


#: A stored file of one partition: ``2026-03-01.parquet``, ``2026-03-01.pkl``, a snapshot's
#: ``2026-03-01.parquet.sample-...`` and hidden partial files (``.2026-03-01.parquet.partial``).
_PARTITION_FILE = re.compile(r"^\.?(\d{4}-\d{2}-\d{2})\.")


def prune_storage(storage_dir: str | Path, table: str, kept: list[str], current: str) -> list[Path]:
    """Delete ``table``'s stored files (the IO manager's per-partition values, raw source
    snapshots and their samples, streamed synthetic files) of every partition older than its
    oldest kept published version (``kept``: the partitions the warehouse still has), except
    ``current`` (the partition being run, which downstream steps may still read). No raw copy of
    the source then outlives the published versions. Returns the deleted paths."""
    root = Path(storage_dir) / table
    if not kept or not root.is_dir():
        return []
    oldest = min(kept)
    removed = []
    for path in sorted(root.rglob("*")):
        m = _PARTITION_FILE.match(path.name)
        if m and path.is_file() and m.group(1) < oldest and m.group(1) != current:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


#: Output file extensions ``synth`` writes, and the format each picks.
OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: str | Path) -> str:
    """``parquet`` or ``csv`` from the output file's extension; any other is refused (InputError)."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise InputError(f"output {Path(path).name}: extension {suffix or '(none)'} not "
                         "supported; use .parquet or .csv")
    return OUTPUT_FORMATS[suffix]


def check_output_path(output: str | Path, *inputs: str | Path | None) -> str:
    """Refuse an output path that is one of the input files (a failed or partial write must never
    destroy its own source); returns the output format (:func:`output_format`)."""
    out = Path(output)
    if out.is_dir():
        raise InputError(f"output {out} is a directory; name a .parquet or .csv file")
    fmt = output_format(out)
    for given in inputs:
        if given is None:
            continue
        src = Path(given)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            same = out.samefile(src)
        if same:
            raise InputError(f"output {out} is the input file {src}; write to another path")
    if out.is_dir():
        raise InputError(f"output {out} is a directory; name a .parquet or .csv file")
    check_writable_parent(out, what="output")
    return fmt


def check_writable_parent(path: Path, *, what: str = "output") -> None:
    """Refuse (InputError, before any work) a path whose folder cannot be created or written:
    a file in the way, a missing permission."""
    folder = path.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{what} {path}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{what} {path}: folder {probe} is not writable")


def temp_path(output: Path) -> Path:
    """A hidden temporary file beside ``output`` (same directory, so the final rename is atomic)."""
    return output.with_name(f".{output.name}.{os.getpid()}.tmp")


def write_atomic(df: pd.DataFrame, output: str | Path, *, like: str | Path | None = None) -> Path:
    """Write ``df`` to ``output`` in the format its extension names, atomically: a temporary file
    in the same directory, then a rename; an interrupted write leaves the old file (or none).
    ``like``: the source Parquet file, whose decimal columns keep their precision and scale
    (Arrow would infer the narrowest decimal type from the synthetic values)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(output)
    fmt = output_format(out)
    tmp = temp_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            table = pa.Table.from_pandas(df, preserve_index=False)
            source = (pq.read_schema(like) if like is not None
                      and Path(like).suffix.lower() in (".parquet", ".pq") else None)
            for i, f in enumerate(table.schema):
                want = source.field(f.name).type if source is not None and \
                    f.name in source.names else None
                if want is not None and pa.types.is_decimal(want) and pa.types.is_decimal(f.type):
                    table = table.set_column(i, pa.field(f.name, want), table.column(i).cast(want))
            pq.write_table(table, tmp)
        os.replace(tmp, out)
    except OSError as exc:  # disk full, permissions: the previous file (if any) stays as it was
        raise InputError(f"cannot write output {out}: {exc.strerror or type(exc).__name__}; "
                         "the previous file is unchanged") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


@dataclass
class SynthResult:
    """The in-memory chain's output. ``failed_checks``: the blocking checks that failed (for a
    seeded run, only the scenario's gate, as in the pipeline: the privacy checks and
    ``seed_values_kept``)."""

    plan: PiiPlan
    profile: TableProfile
    generator: Generator
    synthetic: pd.DataFrame
    report: QualityReport
    failed_checks: list[str] = field(default_factory=list)
    seeded: bool = False

    @property
    def passed(self) -> bool:
        return not self.failed_checks


def synth_frame(df: pd.DataFrame, table: TableConfig, *, rows: int | None = None, seed: int = 0,
                key: bytes, rebalance: tuple[str, dict[str, float]] | None = None,
                conditions: pd.DataFrame | None = None) -> SynthResult:
    """Detect and mask PII, fit the generator, sample, and score: the whole chain in memory.

    ``rebalance`` (column, {value: share}) asks for that mix of a categorical column, the other
    columns following their distribution given it; ``conditions`` fixes some columns row by row
    (one row per synthetic row) and generates the rest consistently. Both fit the sequential tree
    with those columns first."""
    from tabletwin.conditional import check_fixable, with_first

    if conditions is None:  # before any work (a seed table sets the count: one row per row)
        check_rows(rows or table.rows or len(df), len(df), allow=table.allow_large_rows,
                   table=table.name, what="--rows" if rows else "rows")
    s = stable_seed(table.name, seed)
    plan = detect_pii(df, table=table.name, overrides=table.overrides(),
                      key_columns=table.key_columns)
    masked = mask_table(df, plan, key=key, seed=s, locale=table.locale)
    profile = profile_table(masked, plan)
    fixed: list[str] = []
    if rebalance is not None and conditions is not None:
        raise ConfigError("use either a rebalance or a seed table, not both", table=table.name)
    if rebalance is not None:
        fixed = [rebalance[0]]
    elif conditions is not None:
        fixed = list(conditions.columns)
        if len(conditions) == 0:
            raise InputError("the seed table has no rows", table=table.name)
    elif table.rebalance is not None:  # the catalog's rebalance, as the pipeline does it
        rebalance = (table.rebalance.column, dict(table.rebalance.shares))
        fixed = [rebalance[0]]
    if rebalance is not None:  # the quality gate then compares the other columns per class
        table = table.model_copy(update={"rebalance": RebalanceConfig(
            column=rebalance[0], shares=rebalance[1])})
    if fixed:
        check_fixable(plan, table, fixed)
        table = with_first(table, fixed)
    gen = fit_generator(masked, plan, table, seed=s)
    n = rows or table.rows or len(df)
    cond = None
    if rebalance is not None:
        from tabletwin.rebalance import rebalanced_conditions

        cond = rebalanced_conditions(gen, rebalance[0], rebalance[1], n, seed=s, table=table.name)
    elif conditions is not None:
        cond = conditions.reset_index(drop=True)
        n = len(cond)
    syn = synthesize(gen, plan, table, n=n, seed=s, source=df, masked=masked, conditions=cond)
    report = evaluate(source=df, masked=masked, synthetic=syn, plan=plan, profile=profile,
                      table=table, rows_expected=n, seed=s, generator=gen.describe())
    if conditions is not None:  # a seeded scenario's gate, as the pipeline applies it
        from tabletwin.conditional import scenario_failures

        return SynthResult(plan, profile, gen, syn, report,
                           scenario_failures(report, cond, syn), seeded=True)
    return SynthResult(plan, profile, gen, syn, report, report.failed_checks)
