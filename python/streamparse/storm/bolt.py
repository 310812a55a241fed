"""``streamparse.storm.bolt``."""

from squall import BatchingBolt, Bolt, TicklessBatchingBolt
from squall.dsl import JavaBolt, ShellBolt

__all__ = ["BatchingBolt", "Bolt", "JavaBolt", "ShellBolt", "TicklessBatchingBolt"]
