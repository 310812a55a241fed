"""Emits 0, 1, 2, ... reliably (one every millisecond), replaying what fails."""

import time

import squall


class CountingSpout(squall.Spout):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.next_id = 0
        self.replay = []

    def next_tuple(self):
        time.sleep(0.001)
        msg_id = self.replay.pop() if self.replay else self.next_id
        if msg_id == self.next_id:
            self.next_id += 1
        self.emit([msg_id], tup_id=msg_id)

    def fail(self, tup_id):
        self.replay.append(tup_id)


if __name__ == "__main__":
    CountingSpout().run()
