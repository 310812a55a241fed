"""``pystorm.component``."""

from squall import Component, StormHandler, Tuple

__all__ = ["Component", "StormHandler", "Tuple"]
