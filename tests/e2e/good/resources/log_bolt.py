import squall


class LogBolt(squall.Bolt):
    def initialize(self, conf, context):
        self.seen = 0

    def process(self, tup):
        self.seen += 1
        self.logger.info("hello from python: %s", tup.values[0])
        if self.seen == 3:
            self.report_error("log_bolt saw three words")


if __name__ == "__main__":
    LogBolt().run()
