"""The synthetic table of a pipeline run: one interface, whether it is held in memory or streamed.

The source (:class:`tabletwin.chain.source.TableSource`) says once whether the table is streamed; for a
streamed table (more rows than its ``stream_above``):

* PII detection, masking, the profile and the fit use the source's seeded sample
  (:func:`tabletwin.chain.source.fit_sample`), the same rows in every step;
* the synthetic rows are written chunk by chunk to a Parquet file when the pipeline stores them
  (:func:`tabletwin.chain.streamed.synthesize_file`, at the path the IO manager gives): fresh keys
  from one draw, every regenerated PII cell checked against every source row, constraint
  violations counted on every row;
* the quality gate scores the synthetic file's first rows (:attr:`SyntheticTable.head`), with the
  row count, leak counts and constraint violations of all of them (:meth:`SyntheticTable.counted`);
* publication loads the file into the warehouse inside the publishing transaction.

A child of a streamed parent gets foreign keys drawn from the parent's synthetic keys (children per
parent kept) but is not conditioned on the parent's rows.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from tabletwin.chain.source import ParquetSource, fit_sample
from tabletwin.config.catalog import TableConfig
from tabletwin.errors import ConfigError, InputError

if TYPE_CHECKING:
    from tabletwin.chain.streamed import StreamedSynthesis
    from tabletwin.pii import PiiPlan
    from tabletwin.quality.gate import QualityReport
    from tabletwin.synth.generators import Generator
    from tabletwin.warehouse.base import RunRecord, Warehouse


class SyntheticOutput(ABC):
    """What the synthesis stage hands the pipeline to store: its row count, columns and whether it
    is streamed are known before any row is written."""

    #: Whether the rows are in a file too large to hold (written chunk by chunk).
    streamed: bool

    @property
    @abstractmethod
    def num_rows(self) -> int: ...

    @property
    @abstractmethod
    def columns(self) -> list[str]: ...

    @abstractmethod
    def store(self, path: str | Path) -> "SyntheticTable":
        """Write the rows to the Parquet file ``path`` (atomically) and return a small handle on
        them to pass between steps."""

    def __len__(self) -> int:
        return self.num_rows


class SyntheticTable(SyntheticOutput):
    """The synthetic rows of one table, as every later stage reads them."""

    @property
    @abstractmethod
    def head(self) -> pd.DataFrame:
        """The rows the sampled checks score: every row of a table held in memory."""

    @abstractmethod
    def frame(self) -> pd.DataFrame:
        """Every row, in memory (a child's parent rows): refused for a streamed table."""

    @abstractmethod
    def counted(self, report: "QualityReport", source: ParquetSource,
                parents: dict) -> "QualityReport":
        """``report`` with the figures that must cover every row (the same report when ``head``
        is every row)."""

    @abstractmethod
    def publish(self, warehouse: "Warehouse", schema: str, name: str, *,
                source_types: dict[str, str], record: "RunRecord", versions_kept: int) -> None:
        """Publish the rows as ``schema.name`` (:meth:`Warehouse.publish`)."""


class SyntheticFrame(SyntheticTable):
    """Synthetic rows held in memory; once stored, read back from the file on first use."""

    streamed = False

    def __init__(self, frame: pd.DataFrame | None = None, *, path: str | None = None):
        self._frame, self.path = frame, path

    def __getstate__(self) -> dict[str, Any]:  # a stored handle pickles as its path only
        return {"_frame": None if self.path else self._frame, "path": self.path}

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = pd.read_parquet(self.path)
        return self._frame

    @property
    def num_rows(self) -> int:
        return len(self.frame())

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame().columns]

    @property
    def head(self) -> pd.DataFrame:
        return self.frame()

    def store(self, path: str | Path) -> "SyntheticFrame":
        from tabletwin.files import write_atomic

        write_atomic(self.frame(), Path(path))
        return SyntheticFrame(self._frame, path=str(path))

    def counted(self, report: "QualityReport", source: ParquetSource,
                parents: dict) -> "QualityReport":
        return report

    def publish(self, warehouse: "Warehouse", schema: str, name: str, *,
                source_types: dict[str, str], record: "RunRecord", versions_kept: int) -> None:
        frame = self.frame()
        warehouse.publish(schema, name, frame,
                          column_types=warehouse.publish_types(frame, source_types),
                          record=record, versions_kept=versions_kept)


class SyntheticFile(SyntheticTable):
    """A streamed synthetic table: its Parquet file, and what writing it measured (the first rows
    for the sampled checks, counts over every row: :class:`~tabletwin.chain.streamed.StreamedSynthesis`)."""

    streamed = True

    def __init__(self, path: str, written: "StreamedSynthesis"):
        self.path, self.written = path, written

    @property
    def num_rows(self) -> int:
        return self.written.rows

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.written.head.columns]

    @property
    def head(self) -> pd.DataFrame:
        return self.written.head

    def frame(self) -> pd.DataFrame:
        raise InputError(f"the synthetic table has {self.num_rows:,} rows, streamed to a file: "
                         "it is not read whole into memory")

    def store(self, path: str | Path) -> "SyntheticFile":
        if Path(path) != Path(self.path):
            raise InputError(f"a streamed synthetic file stays where it was written ({self.path})")
        return self

    def counted(self, report: "QualityReport", source: ParquetSource,
                parents: dict) -> "QualityReport":
        """The row count, PII leaks and constraint violations of every row; and per foreign key,
        orphans and children per parent over every child row (the join accuracy stays the
        sampled one)."""
        from tabletwin.metrics.relations import cardinality_accuracy, count_shares, orphans

        relations = []
        for r in report.relations:
            p = parents[r.column]
            syn_fk = pq.read_table(self.path, columns=[r.column]).column(0).to_pandas()
            # the raw source keys are not the masked parent's (keys are pseudonymized when
            # masked): count the children of each distinct raw key, the other real parents have none
            codes, uniques = pd.factorize(source.column(r.column).dropna())
            real_fk = pd.Series(codes)
            real_parents = pd.Series(range(max(len(p.real), len(uniques))))
            relations.append(dataclasses.replace(
                r, orphans=orphans(syn_fk, p.synthetic[p.key]),
                cardinality=cardinality_accuracy(real_fk, real_parents, syn_fk,
                                                 p.synthetic[p.key]),
                counts_real=count_shares(real_fk, real_parents),
                counts_synthetic=count_shares(syn_fk, p.synthetic[p.key])))
        return dataclasses.replace(self.written.apply(report), relations=tuple(relations))

    def publish(self, warehouse: "Warehouse", schema: str, name: str, *,
                source_types: dict[str, str], record: "RunRecord", versions_kept: int) -> None:
        warehouse.publish_file(schema, name, self.path,
                               column_types=warehouse.publish_types(self.head, source_types),
                               record=record, versions_kept=versions_kept)


class PendingSyntheticFile(SyntheticOutput):
    """A streamed synthetic table not written yet: :meth:`store` samples it chunk by chunk into
    the file the pipeline names (:func:`tabletwin.chain.streamed.synthesize_file`)."""

    streamed = True

    def __init__(self, source: ParquetSource, generator: "Generator", plan: "PiiPlan",
                 table: TableConfig, *, masked: pd.DataFrame, n: int, seed: int,
                 parent_keys: dict[str, pd.Series] | None):
        self.source, self.generator, self.plan, self.table = source, generator, plan, table
        self.masked, self.n, self.seed, self.parent_keys = masked, n, seed, parent_keys

    @property
    def num_rows(self) -> int:
        return self.n

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.masked.columns]

    def store(self, path: str | Path) -> SyntheticFile:
        from tabletwin.chain.streamed import synthesize_file
        from tabletwin.chain.synthesis import mark_provenance

        done = synthesize_file(self.source.path, path, self.generator, self.plan, self.table,
                               sample=fit_sample(self.source, self.table, self.seed),
                               masked=self.masked, n=self.n, seed=self.seed,
                               parent_keys=self.parent_keys)
        # what the quality report names, without an edge to (or a load of) the model
        mark_provenance(done.head, self.generator)
        return SyntheticFile(str(done.output), done)


def synthesize_source(source: ParquetSource, generator: "Generator", plan: "PiiPlan",
                      table: TableConfig, *, masked: pd.DataFrame, seed: int,
                      parent_rows: dict[str, pd.DataFrame]) -> SyntheticOutput:
    """The synthetic rows of ``source`` (``table.rows``, else as many as the source): sampled in
    memory for a table that fits, else a :class:`PendingSyntheticFile` written chunk by chunk when
    stored (keys of a child drawn from its parents' synthetic keys, not conditioned on them)."""
    from tabletwin.chain.scenarios import synthesize_table

    n = table.rows or source.num_rows
    if not source.streamed:
        return SyntheticFrame(synthesize_table(generator, plan, table, n=n, seed=seed,
                                               source=fit_sample(source, table, seed),
                                               masked=masked,
                                               parent_rows=parent_rows))
    if table.rebalance is not None:
        raise ConfigError("rebalancing a streamed table (more rows than stream_above) is "
                          "not supported yet", table=table.name, field="rebalance")
    parent_keys = {c: rows[table.parent_of(c)[1]] for c, rows in parent_rows.items()}
    return PendingSyntheticFile(source, generator, plan, table, masked=masked, n=n, seed=seed,
                                parent_keys=parent_keys)
