"""Word count example: splits each sentence into words (squall Bolt)."""

import os
import sys

try:
    import squall
except ImportError:  # run from a source checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), os.pardir))
    import squall


class SplitSentenceBolt(squall.Bolt):
    outputs = ["word"]

    # auto_anchor and auto_ack: each word is anchored to its sentence, which is
    # acked after process() returns.

    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    SplitSentenceBolt().run()
