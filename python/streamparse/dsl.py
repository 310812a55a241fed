"""``streamparse.dsl``: the topology DSL (squall.dsl)."""

from squall.dsl import (GlobalStreamId, Grouping, JavaBolt, JavaSpout, ShellBolt, ShellSpout,
                        Stream, Topology, TopologyError)

__all__ = ["GlobalStreamId", "Grouping", "JavaBolt", "JavaSpout", "ShellBolt", "ShellSpout",
           "Stream", "Topology", "TopologyError"]
