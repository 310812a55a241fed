"""streamparse's import names, backed by the squall package.

A project made by ``sparse quickstart`` runs unchanged with ``squall run``: its components
(``from streamparse import Bolt, Spout``) and topologies (``from streamparse import Grouping,
Topology``) import this package, which maps each name to squall's implementation. What is not
here is streamparse's tooling (the ``sparse`` CLI, Thrift submission, SSH and virtualenv
management): ``squall run`` replaces ``sparse run``.
"""

from squall import StormHandler, Tuple
from squall.dsl import Grouping, Stream, Topology

from . import dsl, storm
from .storm import (BatchingBolt, Bolt, Component, JavaBolt, JavaSpout, ReliableSpout, ShellBolt,
                    ShellSpout, Spout, TicklessBatchingBolt)

__version__ = "4.1.2+squall"
VERSION = tuple(__version__.split("+")[0].split("."))

__all__ = sorted(set(storm.__all__) | {"Grouping", "Stream", "Topology", "dsl", "storm"})
