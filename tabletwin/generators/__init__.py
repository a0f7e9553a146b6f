"""Generators: a registry of scikit-learn-style synthesizers selectable per table in the catalog."""

from tabletwin.generators.base import REGISTRY, Generator, TableMeta, make_generator, register
from tabletwin.generators.copula import GaussianCopula
from tabletwin.generators.sequential import SequentialTree

__all__ = ["REGISTRY", "Generator", "GaussianCopula", "SequentialTree", "TableMeta",
           "make_generator", "register"]
