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
        for old in (base.with_suffix(".parquet"), base.with_suffix(".pkl")):
            old.unlink(missing_ok=True)
        if isinstance(obj, pd.DataFrame):
            tmp = base.with_suffix(".parquet.tmp")
            obj.to_parquet(tmp, index=False)
            os.replace(tmp, base.with_suffix(".parquet"))
        else:
            tmp = base.with_suffix(".pkl.tmp")
            tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, base.with_suffix(".pkl"))

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
