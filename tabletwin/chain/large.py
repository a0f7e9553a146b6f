"""Tables too large for memory in the pipeline: snapshots on disk, bounded samples, streamed output.

A table whose source has more rows than its ``stream_above`` (catalog, default 1,000,000) is never
held whole in memory:

* the source is streamed from the warehouse (``Warehouse.iter_table`` chunks) into a Parquet
  snapshot in the private intermediate storage: a :class:`Snapshot` handle travels between assets;
* PII detection, masking, the profile and the fit use a uniform sample of the snapshot (the
  generator's ``max_fit_rows`` plus the holdout share), the same rows in every step (seeded);
* the synthetic rows are written chunk by chunk to a Parquet file
  (:func:`tabletwin.chain.streamed.synthesize_file`): fresh keys from one draw, every regenerated PII
  cell checked against every source row, constraint violations counted on every row;
* the quality gate scores a sample of the synthetic rows, with the row count, leak counts and
  constraint violations of all of them;
* publication loads the file into the warehouse inside the publishing transaction.

A child of a streamed parent gets foreign keys drawn from the parent's synthetic keys (children per
parent kept) but is not conditioned on the parent's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tabletwin.errors import InputError

if TYPE_CHECKING:
    from tabletwin.chain.streamed import StreamedSynthesis

#: The attribute a masked *sample* of a streamed table carries (the source's row count).
SAMPLE_OF = "tabletwin_sample_of"


@dataclass(frozen=True)
class Snapshot:
    """A table stored as one Parquet file: ``rows`` rows with ``columns``."""

    path: str
    rows: int
    columns: tuple[str, ...]

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        """A uniform sample of ``rows`` rows (all when fewer), the same for the same seed. The
        first call reads the whole file and keeps the sample in a small Parquet file beside it;
        every stage then reads that (the same rows and dtypes each time)."""
        import os

        from tabletwin.chain.streamed import read_parquet_sample

        rows = min(rows, self.rows)
        kept = Path(f"{self.path}.sample-{rows}-{seed}.parquet")
        if not kept.is_file():
            partial = kept.with_name(f".{kept.name}.partial")
            read_parquet_sample(self.path, rows, seed=seed).to_parquet(partial, index=False)
            os.replace(partial, kept)
        frame = pd.read_parquet(kept)
        frame.attrs[SAMPLE_OF] = self.rows
        return frame

    def column(self, name: str) -> pd.Series:
        """One column of every row (keys: a few bytes per row)."""
        return pq.read_table(self.path, columns=[name]).column(0).to_pandas()


@dataclass(frozen=True)
class SyntheticFile:
    """A streamed synthetic table: the file as a snapshot, and what writing it measured (the first
    rows for the sampled checks, counts over every row: see
    :class:`tabletwin.chain.streamed.StreamedSynthesis`)."""

    snapshot: Snapshot
    written: "StreamedSynthesis"

    @property
    def head(self) -> pd.DataFrame:
        return self.written.head

    def __len__(self) -> int:
        return self.snapshot.rows


def write_snapshot(chunks: Iterable[pd.DataFrame], path: str | Path, *, table: str) -> Snapshot:
    """Write DataFrame chunks into one Parquet file (atomically: a partial file never stays)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    rows = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    columns: tuple[str, ...] = ()
    try:
        for chunk in chunks:
            if writer is None:
                schema = pa.Schema.from_pandas(chunk, preserve_index=False)
                columns = tuple(str(c) for c in chunk.columns)
                writer = pq.ParquetWriter(partial, schema)
            try:
                batch = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                bad = next((c for c in chunk.columns if _misfit(chunk, c, schema)), None)
                raise InputError("a chunk of the source has values of another type than the "
                                 "first chunk", table=table, column=bad) from None
            writer.write_table(batch)
            rows += len(chunk)
        if writer is None:
            raise InputError("source table is empty; nothing to synthesize", table=table)
        writer.close()
        writer = None
        for stale in out.parent.glob(f"{out.name}.sample-*.parquet"):  # samples of an old file
            stale.unlink()
        partial.replace(out)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return Snapshot(str(out), rows, columns)


def _misfit(chunk: pd.DataFrame, column: str, schema: pa.Schema) -> bool:
    try:
        pa.Table.from_pandas(chunk[[column]], schema=pa.schema([schema.field(column)]),
                             preserve_index=False)
        return False
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True


def sample_rows(max_fit_rows: int, holdout_share: float) -> int:
    """Rows sampled from a streamed table: enough for ``max_fit_rows`` after the holdout split."""
    return int(max_fit_rows / max(1e-9, 1.0 - holdout_share)) + 1


def frame_of(value: "pd.DataFrame | Snapshot", rows: int, seed: int) -> pd.DataFrame:
    """A DataFrame input as is; a snapshot as its seeded sample."""
    return value.sample(rows, seed) if isinstance(value, Snapshot) else value


def source_rows(value: "pd.DataFrame | Snapshot") -> int:
    return value.rows if isinstance(value, Snapshot) else len(value)


def is_sample(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a sample of a streamed table (not every row)."""
    return SAMPLE_OF in getattr(frame, "attrs", {})


def synthesize_large(snapshot: Snapshot, output: str | Path, generator, plan, table, *,
                     sample: pd.DataFrame, masked: pd.DataFrame, n: int, seed: int,
                     parent_keys: dict[str, pd.Series] | None = None) -> SyntheticFile:
    """``n`` synthetic rows of a streamed table into ``output`` (see
    :func:`tabletwin.chain.streamed.synthesize_file`)."""
    from tabletwin.chain.streamed import StreamOptions, synthesize_file
    from tabletwin.chain.synthesis import GENERATOR_ATTR

    done = synthesize_file(snapshot.path, output, generator, plan, table, sample=sample,
                           masked=masked, n=n, seed=seed, parent_keys=parent_keys,
                           options=StreamOptions(threshold=1))
    done.head.attrs[GENERATOR_ATTR] = generator.describe()  # what the quality report names
    return SyntheticFile(Snapshot(str(done.output), done.rows, tuple(masked.columns)), done)


def streamed_report(report, synthetic: SyntheticFile, source: Snapshot, parents: dict):
    """A report computed on the synthetic file's first rows, with the counts of every row: rows,
    PII leaks and constraint violations; and per foreign key, orphans and children per parent
    over every child row (the join accuracy stays the sampled one)."""
    import dataclasses

    from tabletwin.metrics.relations import cardinality_accuracy, count_shares, orphans

    relations = []
    for r in report.relations:
        p = parents[r.column]
        syn_fk = synthetic.snapshot.column(r.column)
        # the raw source keys are not the masked parent's (keys are pseudonymized when masked):
        # count the children of each distinct raw key, the other real parents have none
        codes, uniques = pd.factorize(source.column(r.column).dropna())
        real_fk = pd.Series(codes)
        real_parents = pd.Series(range(max(len(p.real), len(uniques))))
        relations.append(dataclasses.replace(
            r, orphans=orphans(syn_fk, p.synthetic[p.key]),
            cardinality=cardinality_accuracy(real_fk, real_parents, syn_fk, p.synthetic[p.key]),
            counts_real=count_shares(real_fk, real_parents),
            counts_synthetic=count_shares(syn_fk, p.synthetic[p.key])))
    return dataclasses.replace(synthetic.written.apply(report), relations=tuple(relations))
