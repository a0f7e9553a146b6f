"""Intermediate storage: one file per asset and partition, at a path only this IO manager builds
(``<base_dir>/<table>/<stage>/<partition>``). DataFrames as Parquet, tables (a source, a synthetic
table) as Parquet written by the table itself with a small pickled handle beside it, everything else
pickled.

The storage folder holds raw source snapshots: protect it like the warehouse itself (it is created
with owner-only permissions).
"""


import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext

from tabletwin.chain.large import SyntheticOutput
from tabletwin.chain.source import TableSource

#: Values that write their own rows (chunk by chunk when streamed) to the Parquet file given.
STORED_TABLES = (TableSource, SyntheticOutput)


def stored_path(base_dir: str | Path, key: Sequence[str], partition: str) -> Path:
    """Where the value of asset ``key`` (its path) for ``partition`` is stored, without suffix."""
    return Path(base_dir, *key, partition)


def stored_partitions(base_dir: str | Path, key: Sequence[str]) -> list[str]:
    """The partitions whose value of asset ``key`` is stored, oldest first."""
    folder = Path(base_dir, *key)
    if not folder.is_dir():
        return []
    return sorted({p.name.split(".")[0] for p in folder.iterdir()
                   if p.suffix in (".pkl", ".parquet") and not p.name.startswith(".")})


def load_stored(base_dir: str | Path, key: Sequence[str], partition: str) -> Any:
    """The stored value of asset ``key`` for ``partition``, None when there is none (what an
    asset reads of another day: the kept snapshot of a past day, the model of the last
    published one)."""
    base = stored_path(base_dir, key, partition)
    # a pickle first: a stored table's handle sits beside its Parquet rows (a plain value's
    # write removes the other format's file, so a lone Parquet file is a DataFrame)
    if base.with_suffix(".pkl").exists():
        return pickle.loads(base.with_suffix(".pkl").read_bytes())
    if base.with_suffix(".parquet").exists():
        return pd.read_parquet(base.with_suffix(".parquet"))
    return None


class TabletwinIOManager(ConfigurableIOManager):
    base_dir: str

    @staticmethod
    def _partition(context: InputContext | OutputContext) -> str:
        return context.asset_partition_key if context.has_asset_partitions else "_"

    def _path(self, context: InputContext | OutputContext) -> Path:
        return stored_path(self.base_dir, context.asset_key.path, self._partition(context))

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        base = self._path(context)
        base.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base_dir, 0o700)
        # atomically: a hidden temporary file beside the target, renamed over it once complete, so
        # a failed or killed write leaves the previous value; the other format's file goes only
        # after that (it used to be deleted first, losing the previous value on a failure)
        if isinstance(obj, STORED_TABLES):
            # the table writes its rows to this manager's Parquet path (atomically; a streamed
            # table chunk by chunk), then the handle that reads them is pickled beside it
            self._write(base.with_suffix(".pkl"), obj.store(base.with_suffix(".parquet")))
            return
        parquet = isinstance(obj, pd.DataFrame)
        target = base.with_suffix(".parquet" if parquet else ".pkl")
        other = base.with_suffix(".pkl" if parquet else ".parquet")
        self._write(target, obj)
        other.unlink(missing_ok=True)

    @staticmethod
    def _write(target: Path, obj: Any) -> None:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            if target.suffix == ".parquet":
                obj.to_parquet(tmp, index=False)
            else:
                tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def load_input(self, context: InputContext) -> Any:
        part = self._partition(context)
        value = load_stored(self.base_dir, context.asset_key.path, part)
        if value is not None:
            return value
        raise FileNotFoundError(
            f"no stored value for {'/'.join(context.asset_key.path)} partition "
            f"{part if part != '_' else '-'}; "
            "materialize it first")
