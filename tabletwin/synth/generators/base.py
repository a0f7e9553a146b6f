"""The generator contract and registry (scikit-learn style, as in SDV/RDT).

``__init__`` stores parameters only; ``fit(table, meta)`` learns and returns self; learned state ends
in ``_``; ``sample(n, seed)`` returns a DataFrame with the fitted columns and dtypes; ``save``/``load``
persist a fitted generator.
"""

from __future__ import annotations

import inspect
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from tabletwin.errors import ConfigError, GeneratorError


@dataclass(frozen=True)
class TableMeta:
    """What a generator may need beyond the frame: the table name (for errors) and hints."""

    table: str = "table"
    free_text: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Generator:
    """Base class of every generator."""

    name: ClassVar[str] = "base"

    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def fit(self, table: pd.DataFrame, meta: TableMeta | None = None, *, seed: int = 0) -> "Generator":
        raise NotImplementedError

    def sample(self, n: int, seed: int = 0) -> pd.DataFrame:
        raise NotImplementedError

    def describe(self) -> str:
        """The generator's name as shown to people (``auto`` adds what it chose)."""
        return self.name

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise GeneratorError(f"{type(self).__name__} is not fitted; call fit() first")

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def load(path: str | Path) -> "Generator":
        obj = pickle.loads(Path(path).read_bytes())
        if not isinstance(obj, Generator):
            raise GeneratorError(f"{path} does not hold a tabletwin generator")
        return obj


REGISTRY: dict[str, type[Generator]] = {}


def register(cls: type[Generator]) -> type[Generator]:
    """Class decorator: make a generator selectable by ``cls.name`` in the catalog."""
    REGISTRY[cls.name] = cls
    return cls


def make_generator(name: str, params: dict[str, Any] | None = None, *,
                   table: str | None = None) -> Generator:
    """Instantiate a registered generator; unknown names or parameters raise ConfigError."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown generator {name!r} (known: {', '.join(sorted(REGISTRY))})",
                          table=table, field="generator.name")
    cls = REGISTRY[name]
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"bad parameters for generator {name!r}: {exc}", table=table,
                          field="generator.params") from None
