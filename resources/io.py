"""Intermediate storage: DataFrames as Parquet, everything else pickled, one file per partition.

The storage folder holds raw source snapshots: protect it like the warehouse itself (it is created
with owner-only permissions).
"""


import os
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext


class TabletwinIOManager(ConfigurableIOManager):
    base_dir: str

    def _path(self, context: InputContext | OutputContext) -> Path:
        key = context.asset_key.path
        part = context.asset_partition_key if context.has_asset_partitions else "_"
        return Path(self.base_dir, *key, part)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        base = self._path(context)
        base.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base_dir, 0o700)
        # atomically: a hidden temporary file beside the target, renamed over it once complete, so
        # a failed or killed write leaves the previous value; the other format's file goes only
        # after that (it used to be deleted first, losing the previous value on a failure)
        parquet = isinstance(obj, pd.DataFrame)
        target = base.with_suffix(".parquet" if parquet else ".pkl")
        other = base.with_suffix(".pkl" if parquet else ".parquet")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            if parquet:
                obj.to_parquet(tmp, index=False)
            else:
                tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        other.unlink(missing_ok=True)

    def load_input(self, context: InputContext) -> Any:
        base = self._path(context)
        if base.with_suffix(".parquet").exists():
            return pd.read_parquet(base.with_suffix(".parquet"))
        if base.with_suffix(".pkl").exists():
            return pickle.loads(base.with_suffix(".pkl").read_bytes())
        raise FileNotFoundError(
            f"no stored value for {'/'.join(context.asset_key.path)} partition "
            f"{context.asset_partition_key if context.has_asset_partitions else '-'}; "
            "materialize it first")
