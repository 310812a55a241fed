"""pystorm's import names (the multilang runtime under streamparse), backed by squall.

``from pystorm import Bolt`` components run unchanged; the class names, callbacks, ``emit``
signatures and the ``Component(input_stream, output_stream, rdb_signal, serializer)``
constructor are squall's, which follow pystorm. pystorm's unmerged ``AsyncBolt`` is not here.
"""

from squall import (BatchingBolt, Bolt, Component, ReliableSpout, Spout, StormHandler,
                    TicklessBatchingBolt, Tuple)

__version__ = "3.1.4+squall"

__all__ = ["BatchingBolt", "Bolt", "Component", "ReliableSpout", "Spout", "StormHandler",
           "TicklessBatchingBolt", "Tuple"]
