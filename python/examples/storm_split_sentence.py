"""Word count example in the style of Storm's storm-starter ``splitsentence.py``.

Written against Apache Storm's storm.py API; squall's ``storm.py`` shim runs it.
"""

import os
import sys

try:
    import storm
except ImportError:  # run from a source checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
    import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        for word in tup.values[0].split(" "):
            storm.emit([word])


if __name__ == "__main__":
    SplitSentenceBolt().run()
