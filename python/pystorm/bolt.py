"""``pystorm.bolt``."""

from squall import BatchingBolt, Bolt, TicklessBatchingBolt

__all__ = ["BatchingBolt", "Bolt", "TicklessBatchingBolt"]
