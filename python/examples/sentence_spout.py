"""Word count example: emits a fixed list of sentences, reliably, then goes idle.

Each sentence is emitted with its index as message id and re-emitted if it fails,
so an end-to-end run has a known expected output.  Conf key
``squall.examples.sentence_repeats`` (default 1) emits the list that many times.
"""

import os
import sys

try:
    import squall
except ImportError:  # run from a source checkout without PYTHONPATH
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), os.pardir))
    import squall

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]


class SentenceSpout(squall.Spout):
    outputs = ["sentence"]

    def initialize(self, conf, context):
        repeats = int(conf.get("squall.examples.sentence_repeats", 1))
        self.pending = list(range(len(SENTENCES) * repeats))
        self.pending.reverse()  # pop() from the end yields 0, 1, 2, ...

    def next_tuple(self):
        if self.pending:
            msg_id = self.pending.pop()
            self.emit([SENTENCES[msg_id % len(SENTENCES)]], tup_id=msg_id)

    def fail(self, tup_id):
        self.pending.append(tup_id)  # replay it next


if __name__ == "__main__":
    SentenceSpout().run()
