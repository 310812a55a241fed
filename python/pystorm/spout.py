"""``pystorm.spout``."""

from squall import ReliableSpout, Spout

__all__ = ["ReliableSpout", "Spout"]
