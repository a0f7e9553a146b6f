"""One table source (tabletwin.chain.source): a table held in memory and a streamed one are read the
same way once stored: a sample for detection and fitting, chunks for scans."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from tabletwin.chain.source import FrameSource, ParquetSource, StreamedRows, write_snapshot
from tabletwin.errors import InputError


def _frame(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"id": range(start, start + n), "plan": ["a", "b"] * (n // 2),
                         "score": [float(i % 7) for i in range(n)]})


def test_a_table_in_memory_is_its_own_sample_once_stored(tmp_path):
    frame = _frame(100)
    source = FrameSource(frame)
    assert not source.streamed and source.num_rows == 100 and source.columns == ("id", "plan",
                                                                                  "score")
    stored = source.store(tmp_path / "t.parquet")
    assert stored == ParquetSource(str(tmp_path / "t.parquet"), streamed=False)
    pd.testing.assert_frame_equal(stored.sample(10, seed=1), frame)  # every row, not 10
    assert sum(len(c) for c in stored.chunks(["id"], batch_rows=30)) == 100


def test_a_streamed_table_is_sampled_the_same_way_in_every_stage(tmp_path):
    chunks = [_frame(100, start) for start in range(0, 1000, 100)]
    source = StreamedRows(lambda: iter(chunks), 1000, ["id", "plan", "score"], table="t")
    assert source.streamed and len(source) == 1000
    with pytest.raises(InputError, match="store it first"):
        source.sample(10, seed=1)
    stored = source.store(tmp_path / "t.parquet")
    assert stored.streamed and stored.num_rows == 1000
    first = stored.sample(50, seed=3)
    assert len(first) == 50 and first["id"].is_unique and first["id"].max() < 1000
    pd.testing.assert_frame_equal(stored.sample(50, seed=3), first)  # kept: the same rows
    assert not first.attrs  # no mark on the frame: the source says it is streamed
    assert stored.column("id").tolist() == list(range(1000))
    assert [len(c) for c in stored.chunks(batch_rows=400)] == [400, 400, 200]
    # the handle passed between steps is small: the rows stay in the file
    assert len(pickle.dumps(stored)) < 500


def test_an_empty_streamed_source_is_refused(tmp_path):
    with pytest.raises(InputError, match="empty"):
        write_snapshot(iter([]), tmp_path / "t.parquet", table="t")
    assert not (tmp_path / "t.parquet").exists()
