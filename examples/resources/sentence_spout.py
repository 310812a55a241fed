"""Emits a fixed list of sentences, reliably, then goes idle (so counts are predictable).

Conf key ``squall.examples.sentence_repeats`` (default 1) emits the list that many times.
A failed sentence is emitted again.
"""

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
        self.pending.append(tup_id)


if __name__ == "__main__":
    SentenceSpout().run()
