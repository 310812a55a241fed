import os

import squall


class RelayBolt(squall.Bolt):
    """Forwards [id, key] anchored to its input, and says once which process it runs in."""

    def initialize(self, conf, context):
        self.announced = False

    def process(self, tup):
        if not self.announced:
            self.announced = True
            self.logger.info("PYRELAY pid=%d worker_pid=%d", os.getpid(), os.getppid())
        self.emit([tup.values[0], tup.values[1]])


if __name__ == "__main__":
    RelayBolt().run()
