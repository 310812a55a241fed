"""A squall bolt that reports two metrics per tuple with report_metric (pystorm's API): a
running count "seen", and "last", a map holding the latest word."""

import squall


class MetricsBolt(squall.Bolt):
    def initialize(self, conf, context):
        self.seen = 0

    def process(self, tup):
        self.seen += 1
        self.report_metric("seen", self.seen)
        self.report_metric("last", {"word": tup.values[0]})


if __name__ == "__main__":
    MetricsBolt().run()
