"""The ``tabletwin`` command line.

    tabletwin demo-warehouse PATH            build the seeded demo bank warehouse (DuckDB)
    tabletwin demo-warehouse --postgres [URL]   ... into PostgreSQL (URL: $TABLETWIN_WAREHOUSE_URL)
    tabletwin scan FILE [--json]             PII plan of a Parquet/CSV file
    tabletwin synth FILE -o OUT.parquet|.csv detect + mask PII, fit, sample, score (large
        [--force] [--json]                   Parquet files are streamed in bounded memory); OUT
                                             is written only when the blocking checks pass
    tabletwin report TABLE [--date D]        the published version's verdict from the run history

``run``, ``worker`` and ``ui`` come from :mod:`pipelines.cli`: this package never imports Dagster.

Errors print one line naming what is wrong (file, table, column) and exit 2; a run (or a ``synth``)
whose blocking checks fail exits 1, naming the table and the checks. An unexpected error (a bug)
prints one line with its type and exits 1; ``TABLETWIN_TRACEBACK=1`` (or ``run --verbose``) shows
its traceback. Long steps print progress lines (:mod:`tabletwin.progress`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from tabletwin import progress
from tabletwin.errors import InputError, TabletwinError

#: Set to show the traceback of an unexpected error (otherwise one line, without its message).
TRACEBACK_ENV = "TABLETWIN_TRACEBACK"


def _cmd_demo(args: argparse.Namespace) -> int:
    from tabletwin.demo.load import build_demo_warehouse

    t0 = time.perf_counter()
    if args.postgres is not None:
        return _demo_postgres(args, t0)
    if args.path is None:
        raise InputError("give the DuckDB file to write, or --postgres [URL]")
    from tabletwin.warehouse.duckdb import check_duckdb_file

    # an existing file is replaced only when it is a DuckDB file (a typo must not wipe a CSV)
    check_duckdb_file(Path(args.path), must_exist=False)
    _check_writable_dir(Path(args.path), what="warehouse")
    Path(args.path).parent.mkdir(parents=True, exist_ok=True)
    counts = build_demo_warehouse(args.path, seed=args.seed, customers=args.customers,
                                  transactions=args.transactions)
    rows = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"demo warehouse {args.path}: {rows} ({time.perf_counter() - t0:.1f} s)")
    return 0


def _check_writable_dir(path: Path, *, what: str) -> None:
    """The folder ``path`` goes in exists or can be created, and is writable."""
    from tabletwin.files import check_writable_parent

    check_writable_parent(path, what=what)


def _demo_postgres(args: argparse.Namespace, t0: float) -> int:
    from tabletwin.demo.load import load_demo_postgres
    from tabletwin.urls import mask_url
    from tabletwin.warehouse.postgres import URL_ENV

    if args.path is not None:
        raise InputError("give either a DuckDB file or --postgres, not both")
    url = args.postgres or os.environ.get(URL_ENV, "")
    if not url:
        raise InputError(f"--postgres needs a URL, or the URL in ${URL_ENV}")
    counts = load_demo_postgres(url, schema=args.schema, seed=args.seed, customers=args.customers,
                                transactions=args.transactions)
    rows = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"demo warehouse {mask_url(url)} schema {args.schema}: {rows} "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


def _cmd_scan(args: argparse.Namespace) -> int:
    from tabletwin.api import scan
    from tabletwin.files import read_file
    from tabletwin.pii.detect import load_recognizers

    for path in args.recognizers or []:
        if not Path(path).is_file():
            raise InputError(f"recognizers file not found: {path}")
        load_recognizers(path)
    df = read_file(args.file)
    plan = scan(df, table=Path(args.file).stem)
    if args.json:
        print(json.dumps({"columns": [
            {"name": d.column, "pii": d.is_pii, "entity": d.entity, "subtype": d.subtype,
             "score": round(d.score, 4), "action": d.action, "free_text": d.free_text,
             "quasi_identifier": d.quasi_identifier, "evidence": d.evidence}
            for d in plan.columns]}, indent=2, default=str))
    else:
        width = max(len(d.column) for d in plan.columns)
        for d in plan.columns:
            flag = (f"{d.entity:<14} {d.score:.2f}  {d.action}"
                    f"{'  ' + d.subtype if d.subtype else ''}" if d.is_pii else "-")
            if d.quasi_identifier:
                flag += f"  (quasi-identifier: {d.evidence.get('quasi')})"
            print(f"{d.column:<{width}}  {flag}")
    return 0


def pseudonym_key(root: Path) -> bytes:
    """The key from TABLETWIN_PSEUDONYM_KEY; else a local demo key (with a warning)."""
    from tabletwin.pii.key import pseudonym_key as key_of

    return key_of(root)


def _cmd_synth(args: argparse.Namespace) -> int:
    from tabletwin.config.catalog import GeneratorConfig, TableConfig
    from tabletwin.files import check_output_path
    from tabletwin.chain.streamed import StreamOptions, synth_file

    t0 = time.perf_counter()
    # before any work: a refused extension, or the input itself as output, exits 2
    check_output_path(args.output, args.file, args.seed_table)
    table = TableConfig(name=Path(args.file).stem.replace("-", "_"),
                        generator=GeneratorConfig(name=args.generator),
                        allow_large_rows=args.allow_large_rows)
    if args.rebalance or args.seed_table:
        return _synth_conditional(args, table, t0)
    options = StreamOptions(threshold=args.stream_above, sample_rows=args.sample_rows,
                            workers=args.workers)
    res = synth_file(args.file, args.output, table, rows=args.rows, seed=args.seed,
                     key=pseudonym_key(Path.cwd()), options=options, force=args.force)
    secs = time.perf_counter() - t0
    pii = ", ".join(f"{d.column}:{d.entity}" for d in res.plan.columns if d.is_pii) or "none"
    lines = [f"synthesized {res.rows:,} rows x {len(res.columns)} columns in {secs:.1f} s; "
             f"generator {res.generator.describe()}; PII columns: {pii}"]
    if res.streamed:
        lines.append(
            f"  streamed: detection, masking and fit on a sample of {res.sample_rows:,} of "
            f"{res.source_rows:,} source rows; {res.workers or 1} sampling process(es); "
            + ", ".join(f"{stage} {secs:.1f} s" for stage, secs in res.timings.items()))
        lines.append(
            f"  (checks on a sample: expectations, fidelity and the holdout checks used the "
            f"first {res.checked_rows:,} synthetic rows; row count, PII leaks and constraints "
            f"covered all {res.rows:,} rows)")
    extra = {"streamed": res.streamed, "source_rows": res.source_rows,
             "checked_rows": res.checked_rows}
    return _gate_verdict(args, res.report, res.failed_checks, res.written, res.rows,
                         len(res.columns), res.generator.describe(), res.plan, lines, extra)


def _kept_lines(plan, report) -> list[str]:
    """One line per PII column the catalog keeps: never silent about real values published."""
    from tabletwin.pii.plan import KEPT_BY_CATALOG

    found = report.kept_by_catalog
    return [f"  WARN  {column}: {KEPT_BY_CATALOG}"
            + (f" ({found[column]:,} synthetic cells hold source values)" if column in found
               else "") for column in plan.kept_by_catalog]


def _synth_conditional(args: argparse.Namespace, table, t0: float) -> int:
    """``synth --rebalance`` / ``--seed-table``: in memory, sequential tree with fixed columns."""
    from tabletwin.api import synthesize
    from tabletwin.files import read_file, write_atomic
    from tabletwin.synth.rebalance import parse_rebalance

    df = read_file(args.file)
    rebalance = parse_rebalance(args.rebalance) if args.rebalance else None
    conditions = read_file(args.seed_table) if args.seed_table else None
    res = synthesize(df, table=table, rows=args.rows, seed=args.seed,
                     key=pseudonym_key(Path.cwd()), rebalance=rebalance, conditions=conditions)
    written = res.passed or args.force
    if written:
        write_atomic(res.synthetic, args.output, like=args.file)
    what = (f"rebalanced {rebalance[0]}" if rebalance else
            f"seeded {', '.join(map(str, conditions.columns))} from {args.seed_table}")
    lines = [f"synthesized {len(res.synthetic):,} rows x {res.synthetic.shape[1]} columns in "
             f"{time.perf_counter() - t0:.1f} s; {what}; generator {res.generator.describe()}"]
    extra: dict = {}
    if rebalance:
        col = res.synthetic[rebalance[0]].astype(str)
        shares = {}
        for value in rebalance[1]:
            share = float((col.str.lower() == str(value).lower()).mean())
            shares[str(value)] = {"asked": rebalance[1][value], "actual": round(share, 4)}
            lines.append(f"  {rebalance[0]}={value}: {share:.3f} of rows "
                         f"(asked {rebalance[1][value]:.3f})")
        extra["shares"] = shares
    if res.seeded:
        lines.append("  seeded scenario: its gate is the privacy checks and seed_values_kept, "
                     "as in the pipeline; the other checks are shown, not gating")
    else:
        lines.append("  (fidelity is measured within each class of the rebalanced column)")
    return _gate_verdict(args, res.report, res.failed_checks, written, len(res.synthetic),
                         res.synthetic.shape[1], res.generator.describe(), res.plan, lines, extra,
                         gating=_scenario_gating() if res.seeded else None)


def _scenario_gating() -> set[str]:
    from tabletwin.config.checks import SCENARIO_CHECKS

    return set(SCENARIO_CHECKS)


def _gate_verdict(args: argparse.Namespace, report, failed: list[str], written: bool, rows: int,
                  columns: int, generator: str, plan, lines: list[str], extra: dict,
                  gating: set[str] | None = None) -> int:
    """Print the checks (text, or ``--json``) and the verdict of ``synth``; the exit status: 0 when
    the gate passed (or ``--force`` wrote anyway, with a warning on stderr), 1 when a blocking
    check failed and nothing was written. ``gating``: the checks that gate (default: all)."""
    outcomes = report.outcomes()
    lines = lines[:1] + _kept_lines(plan, report) + lines[1:]
    if args.json:
        checks = []
        for o in outcomes:
            item = {"name": o.name, "status": o.status, "value": o.value,
                    "threshold": o.threshold, "severity": o.severity}
            if o.status in ("not_applicable", "not_measured"):
                item["note"] = o.details.get("note", "")
            if gating is not None:
                item["gating"] = o.name in gating
            checks.append(item)
        print(json.dumps({
            "input": str(args.file), "output": str(args.output), "written": written,
            "passed": not failed, "failed_checks": list(failed),
            "warnings": [o.name for o in outcomes if o.flagged and o.severity == "warn"],
            "rows": rows, "columns": columns, "generator": generator,
            "pii_columns": {d.column: d.entity for d in plan.columns if d.is_pii},
            **extra, "checks": checks}, indent=2, default=_json_scalar))
    else:
        for line in lines:
            print(line)
        width = max(len(o.name) for o in outcomes)
        for o in outcomes:
            if o.status in ("passed", "failed"):
                shown = f"{o.value} (threshold {o.threshold})"
            else:
                shown = o.details.get("note", "").split(": ", 1)[-1]
            tag = "" if gating is None or o.name in gating else "  [not gating]"
            print(f"  {o.label:<14} {o.name:<{width}}  {shown}{tag}")
        print(f"wrote {args.output}" if written else f"nothing written at {args.output}")
    if not failed:
        return 0
    names = ", ".join(failed)
    if written:  # --force
        print(f"tabletwin: warning: blocking checks failed ({names}); wrote {args.output} "
              "anyway (--force)", file=sys.stderr)
        return 0
    print(f"tabletwin: blocking checks failed: {names}; nothing written at {args.output} "
          "(--force writes anyway)", file=sys.stderr)
    return 1


def _json_scalar(value):
    """NumPy scalars in check values as plain numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def _cmd_report(args: argparse.Namespace) -> int:
    """The published version's verdict (from the run history, not a report file) and, when it
    differs, the latest attempt's. Exit 0 when the latest attempt was published, else 1."""
    from tabletwin.config.loader import load_catalog
    from tabletwin.quality.report_paths import run_report_path
    from tabletwin.config.warehouse import open_warehouse

    catalog = load_catalog(args.catalog)
    catalog.table(args.table)  # unknown table: a ConfigError naming it
    if args.date is not None:
        _check_date(args.date)
    schema = catalog.warehouse.target_schema
    runs = open_warehouse(catalog).history(schema, args.table, limit=100_000)
    if args.date is not None:
        runs = [r for r in runs if str(r["partition"]) == args.date]
    if not runs:
        when = f" for {args.date}" if args.date else ""
        raise InputError(f"no run recorded{when} in {schema}.tabletwin_runs; run `tabletwin "
                         "run` first", table=args.table)
    latest = runs[0]  # newest first
    # what the table serves: the newest published partition (its latest published run)
    published = max((r for r in runs if r["published"]),
                    key=lambda r: (str(r["partition"]), str(r["checked_at"])), default=None)
    reports = catalog.resolve(catalog.reports_dir)

    def show(r: dict, head: str) -> None:
        verdict = "published" if r["published"] else (
            "NOT published" + ("" if r["passed"] else " (blocking checks failed)"))
        print(f"{head}{args.table} {r['partition']}: {verdict} (run {r['run_id']}, checked "
              f"{r['checked_at']})")
        if r.get("model"):
            print(f"  model: {r['model']}")
        states = r.get("checks") or {}
        flagged = {n: c for n, c in states.items() if c.get("status") in ("failed", "not_measured")}
        failed = [n for n, c in flagged.items() if c.get("severity") == "error"]
        warned = [n for n, c in flagged.items() if c.get("severity") == "warn"]
        unmeasured = [n for n, c in flagged.items() if c.get("status") == "not_measured"]
        if failed:
            print(f"  failed: {', '.join(failed)}")
        if warned:
            print(f"  warnings: {', '.join(warned)}")
        if unmeasured:
            print(f"  not measured: {', '.join(unmeasured)}")
        page = run_report_path(reports, args.table, str(r["partition"]), str(r["run_id"]))
        print(f"  report: {page}" + ("" if page.exists() else " (missing)"))

    if published is None:
        print(f"{args.table}: nothing published" + (f" for {args.date}" if args.date else ""))
    else:
        show(published, "")
    if published is None or latest["run_id"] != published["run_id"]:
        show(latest, "latest attempt: ")
    return 0 if latest["published"] else 1


def _cmd_keys(args: argparse.Namespace) -> int:
    """Print the keys the catalog leaves to the warehouse, as the warehouse declares them; with
    --write, store them in the key cache the Dagster definitions read (they never open the
    warehouse themselves)."""
    from tabletwin.config.loader import load_catalog
    from tabletwin.config.keys import keys_cache_path, read_warehouse_keys, tables_missing_keys, write_keys_cache
    from tabletwin.config.warehouse import open_warehouse

    catalog = load_catalog(args.catalog)
    if args.write:
        path, keys = write_keys_cache(catalog)
        print(f"wrote {path}: keys of {len(keys)} table(s) read from the warehouse")
    else:
        missing = tables_missing_keys(catalog)
        keys = read_warehouse_keys(catalog, open_warehouse(catalog), missing) if missing else {}
        print(f"key cache: {keys_cache_path(catalog)} (write it with --write)")
    for name, entry in keys.items():
        for field, value in entry.items():
            print(f"{name}.{field}: {value}")
    return 0


def _check_date(value: str) -> None:
    import datetime as dt

    from tabletwin.errors import ConfigError

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--date {value!r} is not a date (YYYY-MM-DD)") from None


#: Adds subcommands to the parser's subparsers (how :mod:`pipelines.cli` adds the Dagster ones).
AddCommands = Callable[[argparse._SubParsersAction], None]


def build_parser(extra_commands: Sequence[AddCommands] = ()) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tabletwin", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo-warehouse",
                       help="build the seeded demo bank warehouse (DuckDB file or PostgreSQL)")
    d.add_argument("path", nargs="?", default=None, help="DuckDB file to write")
    d.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL",
                   help="load into PostgreSQL instead (postgresql+psycopg://...; without URL: "
                        "$TABLETWIN_WAREHOUSE_URL, which keeps a password out of the shell "
                        "history)")
    d.add_argument("--schema", default="main", help="PostgreSQL schema to load (default: main)")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--customers", type=int, default=20_000)
    d.add_argument("--transactions", type=int, default=200_000)
    d.set_defaults(func=_cmd_demo)

    s = sub.add_parser("scan", help="print the PII plan of a Parquet or CSV file")
    s.add_argument("file")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--recognizers", action="append", metavar="YAML",
                   help="custom recognizers file (repeatable); see tabletwin.pii.recognizers.yaml_patterns")
    s.set_defaults(func=_cmd_scan)

    y = sub.add_parser("synth", help="synthesize a Parquet or CSV file")
    y.add_argument("file")
    y.add_argument("-o", "--output", required=True,
                   help="output file: .parquet or .csv (the extension picks the format); written "
                        "atomically, and only when every blocking check passes")
    y.add_argument("--force", action="store_true",
                   help="write the output even when a blocking check fails (a warning on stderr)")
    y.add_argument("--json", action="store_true",
                   help="print the verdict and every check (name, status, value, threshold, "
                        "severity) as JSON")
    y.add_argument("--rows", type=int, default=None, help="rows to generate (default: as input)")
    y.add_argument("--allow-large-rows", action="store_true",
                   help="allow --rows above 10x the input's rows or above 10^9 (refused by "
                        "default: such a run rarely is what was meant and may never finish)")
    y.add_argument("--seed", type=int, default=0)
    y.add_argument("--generator", default="auto",
                   help="registered generator name (default: auto, which picks per table)")
    y.add_argument("--stream-above", type=int, default=500_000, metavar="ROWS",
                   help="stream Parquet inputs with more rows than this: fit on a sample, write "
                        "in chunks, bounded memory (default: 500,000)")
    y.add_argument("--sample-rows", type=int, default=None, metavar="ROWS",
                   help="rows of a streamed input read for detection, masking and the fit "
                        "(default: the generator's max_fit_rows, 200,000)")
    y.add_argument("--workers", type=int, default=None,
                   help="processes sampling chunks of a streamed input (default: one per core)")
    y.add_argument("--rebalance", metavar="COLUMN=VALUE:SHARE[,VALUE:SHARE]",
                   help="target shares for values of a categorical column, e.g. is_fraud=True:0.5 "
                        "(the other columns keep their distribution given it)")
    y.add_argument("--seed-table", metavar="FILE",
                   help="Parquet/CSV of fixed values for some columns, one row per synthetic row; "
                        "the other columns are generated consistently with them")
    y.set_defaults(func=_cmd_synth)

    q = sub.add_parser("report", help="print the published version's verdict (from the run "
                                      "history) and the latest attempt's, with report paths")
    q.add_argument("table")
    q.add_argument("--date", default=None, help="partition YYYY-MM-DD (default: the latest)")
    q.add_argument("--catalog", default=os.environ.get("TABLETWIN_CATALOG", "tabletwin.yaml"))
    q.set_defaults(func=_cmd_report)

    k = sub.add_parser("keys", help="read the keys the catalog leaves undeclared from the "
                                    "warehouse's constraints (--write: into the key cache beside "
                                    "the catalog, which the Dagster definitions read)")
    k.add_argument("--write", action="store_true", help="write the key cache")
    k.add_argument("--catalog", default=os.environ.get("TABLETWIN_CATALOG", "tabletwin.yaml"))
    k.set_defaults(func=_cmd_keys)
    for add in extra_commands:
        add(sub)
    return p


def main(argv: list[str] | None = None, extra_commands: Sequence[AddCommands] = ()) -> int:
    args = build_parser(extra_commands).parse_args(argv)
    progress.to_stderr()
    if getattr(args, "rows", None) is not None and args.rows <= 0:
        print("tabletwin: --rows must be positive", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except TabletwinError as exc:
        print(f"tabletwin: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line (the message may quote values)
        if os.environ.get(TRACEBACK_ENV) or getattr(args, "verbose", False):
            raise
        print(f"tabletwin: {args.command} failed: unexpected {type(exc).__name__} (a bug in "
              f"tabletwin; {TRACEBACK_ENV}=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
