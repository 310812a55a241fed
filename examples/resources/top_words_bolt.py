"""The demo's summary: takes the running [word, count] pairs of every counter (global
grouping, so one task sees them all) and, on each tick (topology.tick.tuple.freq.secs),
emits one line with the words counted so far, the rate since the last tick and the top
words."""

import time

import squall

TOP = 6


class TopWordsBolt(squall.Bolt):
    outputs = ["summary"]

    def initialize(self, conf, context):
        self.counts = {}
        self.started = None  # at the first word
        self.last_total = 0
        self.last_tick = None

    def process(self, tup):
        word, count = tup.values
        self.counts[word] = count
        if self.started is None:
            self.started = self.last_tick = time.monotonic()

    def process_tick(self, tup):
        if self.started is None:
            return  # nothing counted yet
        now = time.monotonic()
        total = sum(self.counts.values())
        rate = (total - self.last_total) / max(now - self.last_tick, 1e-9)
        self.last_total, self.last_tick = total, now
        top = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        self.emit(["after {:.0f} s: {} words ({:.0f}/s); top: {}".format(
            now - self.started, total, rate, ", ".join("{} {}".format(w, c) for w, c in top))])


if __name__ == "__main__":
    TopWordsBolt().run()
