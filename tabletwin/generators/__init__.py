"""Generators: a registry of scikit-learn-style synthesizers selectable per table in the catalog."""

from tabletwin.generators.base import REGISTRY, Generator, TableMeta, make_generator, register
from tabletwin.generators.copula import GaussianCopula

__all__ = ["REGISTRY", "Generator", "GaussianCopula", "TableMeta", "make_generator", "register"]
