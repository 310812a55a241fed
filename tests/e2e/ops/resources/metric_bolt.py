"""Passes numbers on; reports how many it saw as the metric `seen` (multilang `metrics`), and
reports one error with its Python traceback when it sees 3."""

import squall


def check(n):
    if n == 3:
        raise ValueError("three is not allowed here")


class MetricBolt(squall.Bolt):
    outputs = ["n"]

    def initialize(self, conf, context):
        self.seen = 0

    def process(self, tup):
        self.seen += 1
        try:
            check(tup.values[0])
        except ValueError as e:
            self.report_error(e)
        if self.seen % 10 == 1:
            self.report_metric("seen", self.seen)
        self.emit([str(tup.values[0])])


if __name__ == "__main__":
    MetricBolt().run()
