"""Generators: a registry of scikit-learn-style synthesizers selectable per table in the catalog."""

from tabletwin.synth.generators.base import REGISTRY, Generator, TableMeta, make_generator, register
from tabletwin.synth.generators.copula import GaussianCopula
from tabletwin.synth.generators.sequential import SequentialTree
from tabletwin.synth.generators.auto import AutoGenerator  # noqa: E402  (after the candidates)

__all__ = ["REGISTRY", "AutoGenerator", "Generator", "GaussianCopula", "SequentialTree", "TableMeta",
           "make_generator", "register"]
