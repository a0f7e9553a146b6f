"""A corpus of malformed inputs, each run through the CLI in-process (``tabletwin.cli.main``):
files, catalogs, command-line arguments, warehouse states and connection URLs.

Every case asserts the exit status (2 for bad input, 1 for a failed run, 0 for correct output),
that stderr is one line starting ``tabletwin:`` that names the file, table, column or field, and
that no traceback is printed. The inputs are built by the test (small frames: the whole file runs
in well under a minute).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.cli import main

# --- helpers ---------------------------------------------------------------------------------


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, status: int, *needles: str) -> str:
    assert code == status, (code, err)
    assert "Traceback" not in out + err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("tabletwin: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n).round(3), "c": rng.choice(["a", "b"], n)})


# --- 1. input files: scan and synth ----------------------------------------------------------
#: case -> (builder writing the file into a folder and returning its path, needles)
FileCase = tuple[Callable[[Path], Path], tuple[str, ...]]


def _text(name: str, body: str | bytes) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(body if isinstance(body, bytes) else body.encode())
        return p
    return build


def _parquet(name: str, table: Callable[[], pa.Table]) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        pq.write_table(table(), p)
        return p
    return build


def _truncated(d: Path) -> Path:
    p = d / "cut.parquet"
    frame().to_parquet(p)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return p


def _folder(name: str) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        (d / name).mkdir()
        return d / name
    return build


IDS = pa.array(range(20))
FILE_CASES: dict[str, FileCase] = {
    "missing": (lambda d: d / "absent.csv", ("file not found", "absent.csv")),
    "directory": (_folder("folder"), ("is a directory", "folder")),
    "directory_named_csv": (_folder("data.csv"), ("is a directory", "data.csv")),
    "empty_csv": (_text("empty.csv", ""), ("cannot read", "empty.csv")),
    "header_only_csv": (_text("head.csv", "a,b\n"), ("head.csv", "no rows")),
    "garbage_parquet": (_text("junk.parquet", b"\x00\x01not parquet" * 10),
                        ("cannot read", "junk.parquet")),
    "truncated_parquet": (_truncated, ("cannot read", "cut.parquet")),
    "unsupported_extension": (_text("t.xlsx", "a\n1\n"), ("unsupported format .xlsx",)),
    "no_extension": (_text("table", "a\n1\n"), ("unsupported format (none)",)),
    "duplicate_csv_columns": (_text("dup.csv", "a,a,b\n1,2,3\n4,5,6\n"),
                              ("file 'dup.csv'", "column 'a'", "repeated")),
    "duplicate_quoted_csv_columns": (_text("dq.csv", '"id","id"\n1,2\n'),
                                     ("file 'dq.csv'", "column 'id'", "repeated")),
    "duplicate_tsv_columns": (_text("dup.tsv", "a\tb\ta\n1\t2\t3\n"),
                              ("file 'dup.tsv'", "column 'a'", "repeated")),
    "empty_csv_column_name": (_text("blank.csv", "a,,b\n1,2,3\n"),
                              ("file 'blank.csv'", "column 2 has an empty name")),
    "space_csv_column_name": (_text("space.csv", "a, ,b\n1,2,3\n"),
                              ("file 'space.csv'", "column 2 has an empty name")),
    "parquet_duplicate_names": (_parquet("dup.parquet", lambda: pa.Table.from_arrays(
        [IDS, IDS], names=["k", "k"])), ("file 'dup.parquet'", "column 'k'", "repeated")),
    "parquet_empty_name": (_parquet("noname.parquet", lambda: pa.table({"": IDS, "x": IDS})),
                           ("file 'noname.parquet'", "column 1 has an empty name")),
    "parquet_list_column": (_parquet("list.parquet", lambda: pa.table(
        {"id": IDS, "tags": pa.array([[1, 2]] * 20)})), ("column 'tags'", "list columns")),
    "parquet_struct_column": (_parquet("struct.parquet", lambda: pa.table(
        {"id": IDS, "addr": pa.array([{"zip": 1}] * 20)})), ("column 'addr'", "struct columns")),
    "parquet_map_column": (_parquet("map.parquet", lambda: pa.table(
        {"id": IDS, "m": pa.array([[("k", 1)]] * 20, type=pa.map_(pa.string(), pa.int64()))})),
        ("column 'm'", "map columns")),
    "parquet_fixed_list_column": (_parquet("fixed.parquet", lambda: pa.table(
        {"id": IDS, "v": pa.array([[1, 2]] * 20, type=pa.list_(pa.int64(), 2))})),
        ("column 'v'", "list columns")),
    "parquet_zero_rows": (_parquet("none.parquet", lambda: pa.table({"x": pa.array([], pa.int64())})),
                          ("none.parquet", "no rows")),
    # Latin-1, not UTF-8: refused by the reader, named, not a traceback
    "csv_latin1": (_text("latin1.csv", b"name,x\n" + b"Jos\xe9,1\n" * 5),
                   ("cannot read", "latin1.csv")),
}


@pytest.mark.parametrize("command", ["scan", "synth"])
@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_bad_input_file(tmp_path, capsys, case, command):
    build, needles = FILE_CASES[case]
    path = build(tmp_path)
    argv = ["scan", path] if command == "scan" else ["synth", path, "-o", tmp_path / "o.parquet"]
    assert_one_line_error(*cli(capsys, *argv), 2, *needles)
    assert not (tmp_path / "o.parquet").exists()


# --- 2. synth command-line arguments ---------------------------------------------------------
def _src(d: Path) -> Path:
    p = d / "src.csv"
    frame().to_csv(p, index=False)
    return p


ARG_CASES: dict[str, tuple[Callable[[Path, Path], list], tuple[str, ...]]] = {
    "rows_zero": (lambda d, s: ["--rows", "0", "-o", d / "o.csv"], ("--rows must be positive",)),
    "rows_negative": (lambda d, s: ["--rows", "-4", "-o", d / "o.csv"], ("--rows",)),
    "rows_above_1e9": (lambda d, s: ["--rows", "100000000000", "-o", d / "o.csv"],
                       ("table 'src'", "--rows 100,000,000,000", "1,000,000,000",
                        "--allow-large-rows")),
    "rows_above_10x_source": (lambda d, s: ["--rows", "601", "-o", d / "o.csv"],
                              ("table 'src'", "10x", "60 rows")),
    "output_is_directory": (lambda d, s: ["-o", d], ("is a directory",)),
    "output_directory_named_parquet": (lambda d, s: ["-o", _folder("o.parquet")(d)],
                                       ("o.parquet is a directory",)),
    "output_no_extension": (lambda d, s: ["-o", d / "out"], ("extension (none)",)),
    "output_xlsx": (lambda d, s: ["-o", d / "out.xlsx"], ("extension .xlsx",)),
    "output_is_input": (lambda d, s: ["-o", s], ("is the input file",)),
    "output_under_a_file": (lambda d, s: ["-o", s / "o.csv"], ("is a file, not a folder",)),
    "seed_table_missing": (lambda d, s: ["-o", d / "o.csv", "--seed-table", d / "nope.csv"],
                           ("file not found", "nope.csv")),
    "seed_table_is_output": (lambda d, s: ["-o", d / "seed.csv", "--seed-table", d / "seed.csv"],
                             ("is the input file",)),
    "rebalance_unknown_column": (lambda d, s: ["-o", d / "o.csv", "--rebalance", "nope=a:0.5"],
                                 ("nope",)),
    "rebalance_bad_share": (lambda d, s: ["-o", d / "o.csv", "--rebalance", "c=a:1.5"],
                            ("share",)),
}


@pytest.mark.parametrize("case", sorted(ARG_CASES))
def test_bad_synth_arguments(tmp_path, capsys, case):
    src = _src(tmp_path)
    before = src.read_bytes()
    args, needles = ARG_CASES[case]
    argv = ["synth", src, *args(tmp_path, src)]
    try:
        result = cli(capsys, *argv)
    except SystemExit as exc:  # argparse: its own usage line + one error line, status 2
        out, err = capsys.readouterr()
        assert exc.code == 2 and "Traceback" not in err
        assert all(n in err for n in needles), err
        return
    assert_one_line_error(*result, 2, *needles)
    assert src.read_bytes() == before  # the input is never touched


def test_rows_limit_is_overridable(tmp_path, capsys):
    src = _src(tmp_path)
    code, out, err = cli(capsys, "synth", src, "-o", tmp_path / "o.csv", "--rows", "700",
                         "--allow-large-rows", "--force")
    assert code == 0 and "Traceback" not in err
    assert len(pd.read_csv(tmp_path / "o.csv")) == 700


@pytest.mark.parametrize("damage", ["row_group", "truncated"])
def test_streamed_source_damaged_mid_way(tmp_path, capsys, monkeypatch, damage):
    """A streamed ``synth`` whose input is damaged after its sample was read (a row group
    overwritten, or the file cut short, while the run reads it again): an input error naming the
    input file, not a write error; the previous output stays as it was."""
    import tabletwin.chain.streamed as streamed

    n = 3_000
    rng = np.random.default_rng(1)
    src = tmp_path / "big.parquet"
    pq.write_table(pa.table({"id": np.arange(n), "x": rng.normal(size=n),
                             "email": [f"user{i % 400}@example.com" for i in range(n)]}),
                   src, row_group_size=500, compression="none")
    out = tmp_path / "o.parquet"
    out.write_bytes(b"previous output")
    group = pq.ParquetFile(src).metadata.row_group(4)
    chunks = [group.column(j) for j in range(group.num_columns)]
    starts = [min(o for o in (c.dictionary_page_offset, c.data_page_offset) if o is not None)
              for c in chunks]
    real_detect = streamed.detect_pii

    def damage_then_detect(*args, **kwargs):  # runs once the sample has been read
        with open(src, "r+b") as f:
            if damage == "row_group":  # the footer still says where row group 4 is
                for start in starts:  # every column's first page header
                    f.seek(start)
                    f.write(b"\xab" * 64)
            else:
                f.truncate(min(starts))
        return real_detect(*args, **kwargs)

    monkeypatch.setattr(streamed, "detect_pii", damage_then_detect)
    line = assert_one_line_error(
        *cli(capsys, "synth", src, "-o", out, "--stream-above", "1000", "--sample-rows", "800",
             "--workers", "0", "--force"),
        2, "file 'big.parquet'", "cannot read the input")
    assert "cannot write" not in line and "o.parquet" not in line
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.parquet", "o.parquet"]


# --- 3. catalogs (loaded by `tabletwin report`, before the warehouse is opened) ---------------
BILLION_LAUGHS = "tables:\n  t:\n    generator:\n      name: gaussian_copula\n      params:\n" + \
    "        a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"        {k}: &{k} [{', '.join(['*' + p] * 10)}]\n"
        for p, k in zip("abcdefgh", "bcdefghi"))

CATALOG_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "not_yaml": ("tables: [unclosed\n", ("not valid YAML",)),
    "a_list": ("- t\n", ("must be a mapping",)),
    "empty_file": ("", ("must be a mapping",)),
    "no_tables": ("storage_dir: x\n", ("field 'tables'",)),
    "billion_laughs": (BILLION_LAUGHS, ("expands", "100,000", "TABLETWIN_MAX_CATALOG_NODES")),
    "recursive_alias": ("tables:\n  t:\n    generator: &r\n      params: {x: *r}\n",
                        ("recursive alias",)),
    "unknown_generator": ("tables:\n  t: {generator: {name: gan}}\n",
                          ("table 't'", "field 'generator.name'", "unknown generator 'gan'")),
    "unknown_generator_param": (
        "tables:\n  t: {generator: {name: gaussian_copula, params: {depth: 3}}}\n",
        ("table 't'", "field 'generator.params'", "no parameter 'depth'", "shrinkage")),
    "param_wrong_type": (
        "tables:\n  t: {generator: {name: sequential_tree, params: {min_samples_leaf: many}}}\n",
        ("field 'generator.params.min_samples_leaf'", "must be a number")),
    "param_negative": (
        "tables:\n  t: {generator: {name: sequential_tree, params: {n_bins: -3}}}\n",
        ("field 'generator.params.n_bins'", "negative")),
    "param_huge": (
        "tables:\n  t: {generator: {name: sequential_tree, params: {n_bins: 1000000000000}}}\n",
        ("field 'generator.params.n_bins'", "1,000,000,000")),
    "param_fractional_int": (
        "tables:\n  t: {generator: {name: sequential_tree, params: {max_levels: 2.5}}}\n",
        ("field 'generator.params.max_levels'", "whole number")),
    "param_long_list": (
        "tables:\n  t: {generator: {name: auto, params: {candidates: [" + ", ".join(
            ["gaussian_copula"] * 2000) + "]}}}\n",
        ("field 'generator.params.candidates'", "1,000 items")),
    "param_mapping": (
        "tables:\n  t: {generator: {name: gaussian_copula, params: {shrinkage: {a: 1}}}}\n",
        ("field 'generator.params.shrinkage'", "mapping")),
    "auto_unknown_candidate": (
        "tables:\n  t: {generator: {name: auto, params: {candidates: [ctgan]}}}\n",
        ("field 'generator.params.candidates'", "'ctgan'")),
    "param_out_of_range": (
        "tables:\n  t: {generator: {name: gaussian_copula, params: {shrinkage: 1.5}}}\n",
        ("field 'generator.params.shrinkage'", "must be in [0, 1)")),
    "auto_holdout_share_out_of_range": (
        "tables:\n  t: {generator: {name: auto, params: {holdout_share: 0.0}}}\n",
        ("field 'generator.params.holdout_share'", "must be in (0, 0.5]")),
    "params_not_mapping": ("tables:\n  t: {generator: {name: auto, params: [1, 2]}}\n",
                           ("table 't'", "field 'generator.params'")),
    "bad_locale": ("tables:\n  t: {locale: xx_YY}\n", ("table 't'", "field 'locale'", "xx_YY")),
    "rows_above_limit": ("tables:\n  t: {rows: 100000000000}\n",
                         ("table 't'", "field 'rows'", "allow_large_rows")),
    "rows_zero": ("tables:\n  t: {rows: 0}\n", ("table 't'", "field 'rows'")),
    "rows_text": ("tables:\n  t: {rows: lots}\n", ("table 't'", "field 'rows'")),
    "partitions_start_word": ("partitions_start: yesterday\ntables:\n  t: {}\n",
                              ("field 'partitions_start'", "YYYY-MM-DD")),
    "partitions_start_bad_day": ("partitions_start: '2026-13-45'\ntables:\n  t: {}\n",
                                 ("field 'partitions_start'",)),
    "fk_column_with_quote": (
        "tables:\n  p: {primary_key: id}\n  c: {foreign_keys: {'p\"id': p.id}}\n",
        ("table 'c'", "field 'foreign_keys'", "must be an identifier")),
    "fk_unknown_table": ("tables:\n  c: {foreign_keys: {pid: p.id}}\n",
                         ("table 'c'", "field 'foreign_keys.pid'", "unknown table 'p'")),
    "fk_not_dotted": ("tables:\n  p: {primary_key: id}\n  c: {foreign_keys: {pid: p}}\n",
                      ("table 'c'", "field 'foreign_keys'", "table.column")),
    "fk_cycle": ("tables:\n  a: {primary_key: id, foreign_keys: {b_id: b.id}}\n"
                 "  b: {primary_key: id, foreign_keys: {a_id: a.id}}\n", ("cycle",)),
    "pg_table_name_too_long": (
        "warehouse: {kind: postgres}\ntables:\n  " + "t" * 50 + ": {}\n",
        ("table '" + "t" * 50 + "'", "field 'name'", "at most 49")),
    "pg_scenario_name_too_long": (
        "warehouse: {kind: postgres}\ntables:\n  t: {}\nscenarios:\n  " + "s" * 47
        + ": {table: t, seed_table: seed.csv}\n", ("field 'scenarios.", "at most 49")),
    "unknown_top_level_field": ("tabels: {}\ntables:\n  t: {}\n", ("field 'tabels'",)),
    "unknown_table_field": ("tables:\n  t: {primary: id}\n", ("table 't'", "field 'primary'")),
    "table_name_not_identifier": ("tables:\n  my-table: {}\n", ("table 'my-table'",)),
    "threshold_out_of_range": ("tables:\n  t: {checks: {fidelity_min: 2}}\n",
                               ("table 't'", "field 'checks.fidelity_min'")),
    "unknown_check_severity": ("tables:\n  t: {checks: {severity: {nope: warn}}}\n",
                               ("table 't'", "field 'checks.severity'", "unknown check")),
    "url_in_url_env": ("warehouse: {kind: postgres, url_env: 'postgresql://u:Secr3t@h/db'}\n"
                       "tables:\n  t: {}\n", ("field 'warehouse.url_env'",)),
    "schedule_hour": ("schedule_hour: 25\ntables:\n  t: {}\n", ("field 'schedule_hour'",)),
    "versions_kept_zero": ("versions_kept: 0\ntables:\n  t: {}\n", ("field 'versions_kept'",)),
    "same_schemas": ("warehouse: {source_schema: a, target_schema: a}\ntables:\n  t: {}\n",
                     ("warehouse", "must differ")),
    "recognizers_missing": ("recognizers: [nope.yaml]\ntables:\n  t: {}\n",
                            ("field 'recognizers'", "nope.yaml")),
    "range_min_above_max": (
        "tables:\n  t: {constraints: [{kind: range, column: x, min: 5, max: 1}]}\n",
        ("table 't'", "field 'constraints", "min is above max")),
}


@pytest.mark.parametrize("case", sorted(CATALOG_CASES))
def test_bad_catalog(tmp_path, capsys, case):
    text, needles = CATALOG_CASES[case]
    cat = tmp_path / "cat.yaml"
    cat.write_text(text)
    line = assert_one_line_error(*cli(capsys, "report", "t", "--catalog", cat), 2,
                                 "cat.yaml", *needles)
    assert "Secr3t" not in line


def test_catalog_file_states(tmp_path, capsys):
    """Missing, a directory, not UTF-8: each one line naming the file."""
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "latin.yaml").write_bytes(b"tables:\n  t: {locale: \xe9}\n")
    for name, needle in (("missing.yaml", "not found"), ("dir.yaml", "is a directory"),
                         ("latin.yaml", "UTF-8")):
        assert_one_line_error(*cli(capsys, "report", "t", "--catalog", tmp_path / name), 2,
                              name, needle)


def test_large_rows_allowed_when_the_catalog_says_so(tmp_path):
    from tabletwin.config.loader import load_catalog

    cat = tmp_path / "cat.yaml"
    cat.write_text("tables:\n  t: {rows: 100000000000, allow_large_rows: true}\n")
    assert load_catalog(cat).tables["t"].rows == 100_000_000_000


def test_longest_postgres_table_name_loads(tmp_path):
    """<table>__YYYYMMDD_new must fit PostgreSQL's 63 bytes: 49 is the longest name."""
    from tabletwin.config.loader import load_catalog

    cat = tmp_path / "cat.yaml"
    cat.write_text("warehouse: {kind: postgres}\ntables:\n  " + "t" * 49 + ": {}\n")
    assert list(load_catalog(cat).tables) == ["t" * 49]


def test_alias_limit_is_overridable(tmp_path, monkeypatch):
    from tabletwin.config.loader import load_catalog

    cat = tmp_path / "cat.yaml"
    # a legitimate use of aliases: one threshold block shared by two tables
    cat.write_text("tables:\n  a: {checks: &checks {fidelity_min: 0.5}}\n  b: {checks: *checks}\n")
    assert load_catalog(cat).tables["b"].checks.fidelity_min == 0.5
    monkeypatch.setenv("TABLETWIN_MAX_CATALOG_NODES", "5")
    with pytest.raises(Exception, match="expands"):
        load_catalog(cat)


# --- 4. warehouse states (`tabletwin report` and `tabletwin run`, before any work) ------------
def _warehouse(d: Path, extra_sql: tuple[str, ...] = ()) -> Path:
    path = d / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS id, range % 7 AS x FROM range(50)")
    for sql in extra_sql:
        con.execute(sql)
    con.close()
    return path


def _catalog(d: Path, tables: str, warehouse: str = "wh.duckdb") -> Path:
    cat = d / "cat.yaml"
    cat.write_text(f"warehouse: {{path: {warehouse}}}\npartitions_start: '2026-01-01'\n"
                   f"tables:\n{tables}")
    return cat


WAREHOUSE_CASES: dict[str, tuple[Callable[[Path], Path], str, tuple[str, ...]]] = {
    # name -> (build the project, returning the catalog; command; needles)
    "report_warehouse_is_directory": (
        lambda d: (_folder("wh.duckdb")(d), _catalog(d, "  t: {}\n"))[1], "report",
        ("wh.duckdb is a directory",)),
    "report_warehouse_not_duckdb": (
        lambda d: (_text("wh.duckdb", "id,x\n1,2\n")(d), _catalog(d, "  t: {}\n"))[1], "report",
        ("wh.duckdb is not a DuckDB database file",)),
    "report_warehouse_empty_file": (
        lambda d: (_text("wh.duckdb", "")(d), _catalog(d, "  t: {}\n"))[1], "report",
        ("not a DuckDB database file",)),
    "report_warehouse_missing": (lambda d: _catalog(d, "  t: {}\n"), "report",
                                 ("warehouse file not found",)),
    "report_no_runs": (lambda d: (_warehouse(d), _catalog(d, "  t: {}\n"))[1], "report",
                       ("table 't'", "no run recorded")),
    "report_unknown_table": (lambda d: (_warehouse(d), _catalog(d, "  t: {}\n"))[1], "report:nope",
                             ("table 'nope'", "no such table")),
    "run_warehouse_is_directory": (
        lambda d: (_folder("wh.duckdb")(d), _catalog(d, "  t: {}\n"))[1], "run",
        ("wh.duckdb is a directory",)),
    "run_warehouse_not_duckdb": (
        lambda d: (_text("wh.duckdb", "hello")(d), _catalog(d, "  t: {}\n"))[1], "run",
        ("not a DuckDB database file",)),
    "run_warehouse_missing": (lambda d: _catalog(d, "  t: {}\n"), "run", ("not found",)),
    "run_unknown_source_table": (
        lambda d: (_warehouse(d), _catalog(d, "  t: {}\n  u: {source: gone}\n"))[1], "run",
        ("table 'u'", "field 'source'", "main.gone does not exist")),
    "run_unknown_table_no_source": (
        lambda d: (_warehouse(d), _catalog(d, "  t: {}\n  w: {}\n"))[1], "run",
        ("table 'w'", "main.w does not exist")),
    "run_unknown_column": (
        lambda d: (_warehouse(d), _catalog(d, "  t: {columns: {nope: {pii: false}}}\n"))[1],
        "run", ("table 't'", "field 'columns.nope'", "'nope' is not in source table")),
    "run_unknown_primary_key": (
        lambda d: (_warehouse(d), _catalog(d, "  t: {primary_key: pk}\n"))[1], "run",
        ("table 't'", "field 'primary_key'")),
    "run_unknown_target": (
        lambda d: (_warehouse(d), _catalog(d, "  t: {target: y}\n"))[1], "run",
        ("table 't'", "field 'target'")),
    "run_unknown_constraint_column": (
        lambda d: (_warehouse(d), _catalog(
            d, "  t: {constraints: [{kind: range, column: z, min: 0}]}\n"))[1], "run",
        ("table 't'", "field 'constraints[0]'")),
    "run_list_column": (
        lambda d: (_warehouse(d, ("CREATE TABLE l AS SELECT range AS id, [range, 1] AS tags "
                                  "FROM range(50)",)), _catalog(d, "  l: {}\n"))[1], "run",
        ("table 'l'", "column 'tags'", "nested")),
    "run_struct_column": (
        lambda d: (_warehouse(d, ("CREATE TABLE s AS SELECT range AS id, {'zip': range} AS a "
                                  "FROM range(50)",)), _catalog(d, "  s: {}\n"))[1], "run",
        ("table 's'", "column 'a'", "nested")),
    "run_map_column": (
        lambda d: (_warehouse(d, ("CREATE TABLE m AS SELECT range AS id, MAP {'k': range} AS a "
                                  "FROM range(50)",)), _catalog(d, "  m: {}\n"))[1], "run",
        ("table 'm'", "column 'a'", "nested")),
    "run_bad_date": (lambda d: (_warehouse(d), _catalog(d, "  t: {}\n"))[1], "run:yesterday",
                     ("--date",)),
    "run_date_before_start": (lambda d: (_warehouse(d), _catalog(d, "  t: {}\n"))[1],
                              "run:2020-01-01", ("field 'partitions_start'",)),
    "run_unknown_table": (lambda d: (_warehouse(d), _catalog(d, "  t: {}\n"))[1], "run-table:nope",
                          ("table 'nope'",)),
}


@pytest.mark.parametrize("case", sorted(WAREHOUSE_CASES))
def test_bad_warehouse_state(tmp_path, capsys, monkeypatch, case):
    build, command, needles = WAREHOUSE_CASES[case]
    monkeypatch.setenv("TABLETWIN_TODAY", "2026-02-01")  # the runs below are of today
    cat = build(tmp_path)
    kind, _, arg = command.partition(":") if ":" in command else (command, "", "")
    if kind == "report":
        argv = ["report", arg or "t", "--catalog", cat]
    elif kind == "run-table":
        argv = ["run", "--catalog", cat, "--date", "2026-02-01", "--table", arg]
    else:
        argv = ["run", "--catalog", cat, "--date", arg or "2026-02-01"]
    assert_one_line_error(*cli(capsys, *argv), 2, *needles)
    # fail fast: no Dagster run was started, nothing stored
    assert not (tmp_path / "data" / "storage").exists()


# --- 5. demo-warehouse targets ---------------------------------------------------------------
def test_demo_warehouse_refuses_to_overwrite_a_non_duckdb_file(tmp_path, capsys):
    target = tmp_path / "precious.duckdb"
    target.write_text("id,x\n1,2\n")
    assert_one_line_error(*cli(capsys, "demo-warehouse", target, "--customers", "50"), 2,
                          "precious.duckdb is not a DuckDB database file")
    assert target.read_text() == "id,x\n1,2\n"


def test_demo_warehouse_into_a_directory(tmp_path, capsys):
    assert_one_line_error(*cli(capsys, "demo-warehouse", tmp_path, "--customers", "50"), 2,
                          "is a directory")


def test_demo_warehouse_without_a_target(capsys):
    assert_one_line_error(*cli(capsys, "demo-warehouse"), 2, "--postgres")


# --- 6. secrets in URLs ------------------------------------------------------------------------
PASSWORDS = {"at": "Pw@Canary", "two_ats": "P@w@Canary", "colon": "Pw:Canary",
             "slash": "Pw/Canary", "percent": "Pw%Canary", "query_and_hash": "Pw?x#Canary",
             "encoded_at": "Pw%40Canary"}


def _url(password: str | None, port: int = 1) -> str:
    auth = f"user:{password}" if password is not None else "user"
    return f"postgresql+psycopg://{auth}@127.0.0.1:{port}/db"


def _leaks(text: str, password: str) -> bool:
    pieces = {password, "Canary"} | {p for p in password.replace("@", ":").split(":") if len(p) > 2}
    return any(p in text for p in pieces)


@pytest.mark.parametrize("kind", sorted(PASSWORDS))
def test_mask_url_hides_every_password_shape(kind):
    from tabletwin.urls import mask_url
    from tabletwin.warehouse.postgres import PostgresWarehouse

    url = _url(PASSWORDS[kind])
    masked = mask_url(url)
    assert not _leaks(masked, PASSWORDS[kind]) and masked.endswith("@127.0.0.1:1/db"), masked
    assert masked.startswith("postgresql+psycopg://user:***@")
    wh = PostgresWarehouse(url)
    assert not _leaks(repr(wh), PASSWORDS[kind]) and "127.0.0.1" in repr(wh)
    assert wh._url.host == "127.0.0.1"  # the password is read as the user meant it


@pytest.mark.parametrize("kind", sorted(PASSWORDS))
def test_resource_repr_hides_the_password(kind):
    from resources.warehouse import PostgresWarehouseResource

    res = PostgresWarehouseResource(url=_url(PASSWORDS[kind]), target_url=_url(PASSWORDS[kind]))
    assert not _leaks(repr(res) + str(res), PASSWORDS[kind]), repr(res)
    assert "127.0.0.1" in repr(res)


@pytest.mark.parametrize("kind", sorted(PASSWORDS) + ["no_password"])
def test_cli_connection_error_hides_the_password(capsys, monkeypatch, kind):
    password = PASSWORDS.get(kind)
    monkeypatch.setenv("TABLETWIN_WAREHOUSE_URL", _url(password))  # port 1: refused at once
    line = assert_one_line_error(*cli(capsys, "demo-warehouse", "--postgres"), 2,
                                 "cannot connect", "127.0.0.1")
    if password:
        assert not _leaks(line, password), line
    else:
        assert "user@127.0.0.1:1/db" in line


@pytest.mark.parametrize("text", ["host=h password=Canary", "Canary", "postgresql://h/db?password=Canary",
                                  "redis://:Canary@h:6379/0", "amqp://u:Ca@nary@h//"])
def test_mask_url_of_odd_strings(text):
    from tabletwin.urls import mask_url

    assert "Canary" not in mask_url(text) and "nary" not in mask_url(text)


def test_connect_reason_blanks_credentials_pieces():
    from tabletwin.urls import blank_secrets

    msg = 'could not translate host name "Canary@127.0.0.1" to address; password=Pw'
    out = blank_secrets(msg, "postgresql+psycopg://user:Pw@Canary@127.0.0.1/db")
    assert "Canary" not in out and "password=Pw" not in out


def test_unexpected_errors_are_one_line(tmp_path, capsys, monkeypatch):
    """A bug (any exception tabletwin did not raise on purpose): one line, status 1, no message
    (it may quote values), the traceback only on request."""
    import tabletwin.files as files

    def broken(path):
        raise RuntimeError("raw value Canary")

    monkeypatch.setattr(files, "read_file", broken)
    src = _src(tmp_path)
    line = assert_one_line_error(*cli(capsys, "scan", src), 1, "scan failed", "RuntimeError",
                                 "TABLETWIN_TRACEBACK")
    assert "Canary" not in line
    monkeypatch.setenv("TABLETWIN_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        main(["scan", str(src)])


def test_case_count():
    """The corpus keeps at least 60 generated cases (the issue's floor)."""
    n = (2 * len(FILE_CASES) + len(ARG_CASES) + len(CATALOG_CASES) + len(WAREHOUSE_CASES)
         + 3 * len(PASSWORDS) + 1 + 2)  # + the two streamed sources damaged mid-way
    assert n >= 60, n

