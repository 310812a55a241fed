"""Benchmark spout written against Apache Storm's storm.py API (bench_multilang_word_count
--spout-command): emits the five sentences of the word count over and over, reliably, and
replays a failed id. storm.py waits for the task ids after every emit, so each sentence is
two round trips with the engine (next -> emit -> task ids, then sync).

Run from this directory it imports squall's storm.py shim (python/ on PYTHONPATH); copied next
to Storm's own storm.py it runs that unchanged."""

import storm

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]


class EndlessSentenceSpout(storm.Spout):
    def initialize(self, conf, context):
        self.next_id = 0
        self.replay = []

    def nextTuple(self):
        if self.replay:
            msg_id = self.replay.pop()
        else:
            msg_id = self.next_id
            self.next_id += 1
        storm.emit([SENTENCES[msg_id % len(SENTENCES)]], id=msg_id)

    def fail(self, id):
        self.replay.append(id)


if __name__ == "__main__":
    EndlessSentenceSpout().run()
