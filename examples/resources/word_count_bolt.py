"""Keeps a running count per word and emits [word, count] (a squall Bolt)."""

from collections import Counter

import squall


class WordCountBolt(squall.Bolt):
    outputs = ["word", "count"]

    def initialize(self, conf, context):
        self.counts = Counter()

    def process(self, tup):
        word = tup.values[0]
        self.counts[word] += 1
        self.emit([word, self.counts[word]])


if __name__ == "__main__":
    WordCountBolt().run()
