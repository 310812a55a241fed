"""Logs every word it receives (the poison test checks which arrived)."""

import squall


class EchoBolt(squall.Bolt):
    def process(self, tup):
        self.logger.info("bolt received %r", tup.values[0])


if __name__ == "__main__":
    EchoBolt().run()
