"""squall: Python spouts and bolts for the Squall engine (Storm multilang protocol).

Write a component by subclassing Spout, Bolt or BatchingBolt and calling ``run()``::

    from squall import Bolt

    class SplitSentence(Bolt):
        def process(self, tup):
            for word in tup.values[0].split():
                self.emit([word])

    if __name__ == "__main__":
        SplitSentence().run()

The API follows pystorm (streamparse's runtime); ``import storm`` scripts written
for Apache Storm's storm.py work through ``squall.storm_compat``.
"""

from .batching import BatchingBolt, TicklessBatchingBolt
from .bolt import Bolt
from .component import Component
from .errors import ProtocolError, StormWentAwayError
from .logs import TRACE, StormHandler
from .serializers import SERIALIZER_ENV_VAR
from .spout import ReliableSpout, Spout
from .tuple import Tuple

__version__ = "0.1.0"

__all__ = [
    "BatchingBolt",
    "Bolt",
    "Component",
    "ProtocolError",
    "ReliableSpout",
    "SERIALIZER_ENV_VAR",
    "Spout",
    "StormHandler",
    "StormWentAwayError",
    "TRACE",
    "TicklessBatchingBolt",
    "Tuple",
]
