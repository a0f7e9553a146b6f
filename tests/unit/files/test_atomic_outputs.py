"""Every file tabletwin writes is replaced atomically: a failure in the middle of a write (a full
disk, injected here by making the writer raise after part of the data is out) leaves the previous
file byte for byte and no temporary file behind; the error is one line."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tabletwin.cli import main
from tabletwin.errors import InputError

DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _people(n: int) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": range(1, n + 1),
                         "age": [20 + i % 50 for i in range(n)],
                         "plan": ["basic", "plus", "pro"] * (n // 3) + ["basic"] * (n % 3),
                         "score": [300.0 + (i * 7) % 500 for i in range(n)]})


def test_streamed_synth_disk_full_keeps_the_previous_output(tmp_path, monkeypatch, capsys):
    import tabletwin.chain.streamed as streaming

    src = tmp_path / "people.parquet"
    pq.write_table(pa.Table.from_pandas(_people(1_200), preserve_index=False), src,
                   row_group_size=200)
    out = tmp_path / "out" / "synthetic.parquet"
    out.parent.mkdir()
    out.write_bytes(b"previous output")
    real_writer = streaming._writer

    from contextlib import contextmanager

    @contextmanager
    def filling_writer(path, schema, fmt):
        with real_writer(path, schema, fmt) as write:
            def write_then_fill(table, first):
                write(table.slice(0, len(table) // 2), first=first)  # half is on disk, then
                raise DISK_FULL                                       # the disk is full

            yield write_then_fill

    monkeypatch.setattr(streaming, "_writer", filling_writer)
    before = _folder_state(out.parent)
    code = main(["synth", str(src), "-o", str(out), "--stream-above", "100", "--sample-rows",
                 "400", "--workers", "0", "--generator", "gaussian_copula", "--rows", "1000"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.splitlines() == [f"tabletwin: cannot write output {out}: No space left on device; "
                                "the previous file is unchanged"], err
    assert _folder_state(out.parent) == before  # same bytes, no .partial or .tmp left


def test_streamed_synth_refuses_the_input_as_output(tmp_path, capsys):
    src = tmp_path / "people.parquet"
    _people(300).to_parquet(src)
    before = src.read_bytes()
    assert main(["synth", str(src), "-o", str(src), "--stream-above", "100"]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_in_memory_synth_write_failure_keeps_the_previous_output(tmp_path, monkeypatch):
    from tabletwin.files import write_atomic

    out = tmp_path / "synthetic.parquet"
    out.write_bytes(b"previous output")

    def half_then_full(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise DISK_FULL

    monkeypatch.setattr(pq, "write_table", half_then_full)
    with pytest.raises(InputError, match="No space left on device; the previous file is "
                                         "unchanged"):
        write_atomic(_people(10), out)
    assert _folder_state(tmp_path) == {"synthetic.parquet": b"previous output"}


def test_report_files_keep_the_previous_version(tmp_path, monkeypatch):
    """The one text writer every report, JSON summary and Data Docs page goes through."""
    from tabletwin.files import write_text_atomic

    page = tmp_path / "accounts" / "2026-04-01.html"
    page.parent.mkdir()
    page.write_text("previous report")
    real = Path.write_text

    def half_then_full(self, text, *args, **kwargs):
        real(self, text[: len(text) // 2], *args, **kwargs)
        raise DISK_FULL

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises(OSError):
        write_text_atomic(page, "a new report " * 100)
    monkeypatch.undo()
    assert _folder_state(page.parent) == {"2026-04-01.html": b"previous report"}


def test_snapshot_write_failure_keeps_the_previous_snapshot(tmp_path):
    from tabletwin.chain.source import write_snapshot

    path = tmp_path / "source.parquet"
    write_snapshot([_people(50)], path, table="people")
    before = _folder_state(tmp_path)

    def chunks():
        yield _people(50)
        raise DISK_FULL

    with pytest.raises(OSError):
        write_snapshot(chunks(), path, table="people")
    assert _folder_state(tmp_path) == before


def test_demo_warehouse_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    import tabletwin.demo.load as demo  # build_demo_warehouse looks demo_tables up here

    path = tmp_path / "wh.duckdb"
    demo.build_demo_warehouse(path, customers=30, transactions=20)
    before = path.read_bytes()
    real = demo.demo_tables

    def broken(**kwargs):
        tables = real(**kwargs)
        tables["accounts"] = tables["accounts"].assign(customer_id=-1)  # breaks its foreign key
        return tables

    monkeypatch.setattr(demo, "demo_tables", broken)
    with pytest.raises(Exception):
        demo.build_demo_warehouse(path, customers=30, transactions=20)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["wh.duckdb"]


def test_instance_config_written_atomically(tmp_path, monkeypatch):
    """tabletwin's own dagster.yaml: complete or absent, with run monitoring on."""
    import yaml

    from pipelines.run import prepare_dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(tmp_path)
    cfg = yaml.safe_load((home / "dagster.yaml").read_text())
    assert cfg["run_monitoring"]["enabled"] is True and cfg["telemetry"]["enabled"] is False
    assert sorted(os.listdir(home)) == ["dagster.yaml"]


def test_instance_config_gets_the_settings_it_lacks(tmp_path, monkeypatch):
    """A dagster.yaml written before run monitoring existed is completed (atomically, its text and
    comments kept); a setting it has is never changed; a file that cannot be rewritten is left
    as it is, naming what it lacks."""
    import yaml

    from pipelines.instance import complete_instance_config, prepare_dagster_home

    home = tmp_path / "home"
    home.mkdir()
    cfg = home / "dagster.yaml"
    old = "# my instance\ntelemetry:\n  enabled: true\n"
    cfg.write_text(old)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert prepare_dagster_home(tmp_path) == home.resolve()
    text = cfg.read_text()
    assert text.startswith(old)
    data = yaml.safe_load(text)
    assert data["telemetry"] == {"enabled": True}  # the user's, kept
    assert data["run_monitoring"]["enabled"] is True
    assert sorted(os.listdir(home)) == ["dagster.yaml"]
    assert complete_instance_config(cfg) == [] and cfg.read_text() == text  # once

    off = "run_monitoring:\n  enabled: false\ntelemetry:\n  enabled: false"  # no final newline
    cfg.write_text(off)
    assert complete_instance_config(cfg) == [] and cfg.read_text() == off

    cfg.write_text("telemetry:\n  enabled: false")
    real = os.replace

    def fail(*args):
        raise DISK_FULL

    monkeypatch.setattr(os, "replace", fail)
    assert complete_instance_config(cfg) == []
    assert cfg.read_text() == "telemetry:\n  enabled: false"  # untouched
    assert sorted(os.listdir(home)) == ["dagster.yaml"]  # no temporary file left
    monkeypatch.setattr(os, "replace", real)
    assert complete_instance_config(cfg) == ["run_monitoring"]
    assert yaml.safe_load(cfg.read_text())["run_monitoring"]["start_timeout_seconds"] == 180


def test_local_key_is_complete_or_absent(tmp_path, monkeypatch):
    import tabletwin.pii.key as localkey

    monkeypatch.delenv(localkey.ENV, raising=False)
    real = os.link

    def fail(*args):
        raise DISK_FULL

    monkeypatch.setattr(os, "link", fail)
    with pytest.raises(OSError):
        localkey.ensure_local_key(tmp_path)
    assert os.listdir(tmp_path) == []  # no empty or half key left to be used later
    monkeypatch.setattr(os, "link", real)
    key = localkey.ensure_local_key(tmp_path)
    assert len(key) == 64 and (tmp_path / localkey.KEY_FILE).read_text() == key
    assert os.stat(tmp_path / localkey.KEY_FILE).st_mode & 0o777 == 0o600
    monkeypatch.delenv(localkey.ENV)
    assert localkey.ensure_local_key(tmp_path) == key  # made once
