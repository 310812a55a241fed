"""Word count example with batches: per tick, emits [word, count in this batch].

Needs ``topology.tick.tuple.freq.secs`` on the component.
"""

import os
import sys

try:
    import squall
except ImportError:  # run from a source checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
    import squall


class BatchingWordCountBolt(squall.BatchingBolt):
    ticks_between_batches = 1

    def group_key(self, tup):
        return tup.values[0]

    def process_batch(self, key, tups):
        self.emit([key, len(tups)])


if __name__ == "__main__":
    BatchingWordCountBolt().run()
