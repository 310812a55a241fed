"""``streamparse.storm``: the component classes (pystorm's, with ``spec()`` for the DSL)."""

from squall import (BatchingBolt, Bolt, Component, ReliableSpout, Spout, StormHandler,
                    TicklessBatchingBolt, Tuple)
from squall.dsl import JavaBolt, JavaSpout, ShellBolt, ShellSpout

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "JavaBolt",
    "JavaSpout",
    "ReliableSpout",
    "ShellBolt",
    "ShellSpout",
    "Spout",
    "StormHandler",
    "TicklessBatchingBolt",
    "Tuple",
]
