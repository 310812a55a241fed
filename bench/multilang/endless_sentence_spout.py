"""Benchmark spout for the all-Python chain (bench_multilang_word_count --shape chain): emits
the five sentences of the word count over and over, reliably (the message id is a counter),
and replays a failed id. Only the ids in flight are kept, so memory stays flat however long
it runs."""

import squall

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]


class EndlessSentenceSpout(squall.Spout):
    outputs = ["sentence"]

    def initialize(self, conf, context):
        self.next_id = 0
        self.replay = []

    def next_tuple(self):
        if self.replay:
            msg_id = self.replay.pop()
        else:
            msg_id = self.next_id
            self.next_id += 1
        self.emit([SENTENCES[msg_id % len(SENTENCES)]], tup_id=msg_id)

    def fail(self, tup_id):
        self.replay.append(tup_id)


if __name__ == "__main__":
    EndlessSentenceSpout().run()
