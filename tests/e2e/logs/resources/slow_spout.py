"""Emits 0, 1, 2, ... one every 20 ms."""

import time

import squall


class SlowSpout(squall.Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        time.sleep(0.02)
        self.emit([self.n])
        self.n += 1


if __name__ == "__main__":
    SlowSpout().run()
