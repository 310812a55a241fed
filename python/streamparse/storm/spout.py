"""``streamparse.storm.spout``."""

from squall import ReliableSpout, Spout
from squall.dsl import JavaSpout, ShellSpout

__all__ = ["JavaSpout", "ReliableSpout", "ShellSpout", "Spout"]
