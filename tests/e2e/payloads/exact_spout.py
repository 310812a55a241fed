"""Emits values that must reach the bolt exactly: a lone surrogate and integers of every size
(tests/e2e/test_payloads.py). Each is emitted once, reliably; acks and fails are logged."""

import squall

VALUES = [
    ["x\ud800y", "\udc00 low", "pair \U0001F600", "\ud800", "plain", "\u00e9", "z\udfff"],
    [2 ** 63, 2 ** 64, -2 ** 63 - 1, 10 ** 30, 2 ** 64 - 1, -(10 ** 40), 7],
]


class ExactSpout(squall.Spout):
    def initialize(self, conf, context):
        self.pending = list(enumerate(VALUES))

    def next_tuple(self):
        if self.pending:
            index, values = self.pending.pop(0)
            self.emit(values, tup_id="exact-{}".format(index))

    def ack(self, tup_id):
        self.logger.info("spout acked %s", tup_id)

    def fail(self, tup_id):
        self.logger.info("spout failed %s", tup_id)


if __name__ == "__main__":
    ExactSpout().run()
