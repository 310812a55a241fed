"""The demo's spout: a steady stream of random sentences (storm-starter's
RandomSentenceSpout), one every ``squall.examples.sentence_interval_ms`` (default 5 ms),
emitted reliably and replayed if they fail.

Between sentences it sleeps in next_tuple, as storm-starter's spout does: the engine keeps
delivering acks and sending tuples on between calls, however slow they are."""

import random
import time

import squall

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]


class RandomSentenceSpout(squall.Spout):
    outputs = ["sentence"]

    def initialize(self, conf, context):
        self.interval = float(conf.get("squall.examples.sentence_interval_ms", 5)) / 1000.0
        self.due = time.monotonic()
        self.next_id = 0
        self.pending = {}  # id -> sentence, until acked
        self.replay = []

    def next_tuple(self):
        wait = self.due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.due = max(self.due + self.interval, time.monotonic() - self.interval)
        if self.replay:
            msg_id = self.replay.pop()
        else:
            msg_id = self.next_id
            self.next_id += 1
            self.pending[msg_id] = random.choice(SENTENCES)
        self.emit([self.pending[msg_id]], tup_id=msg_id)

    def ack(self, tup_id):
        self.pending.pop(tup_id, None)

    def fail(self, tup_id):
        if tup_id in self.pending:
            self.replay.append(tup_id)


if __name__ == "__main__":
    RandomSentenceSpout().run()
