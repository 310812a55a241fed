"""Checks that each tuple from exact_spout.py arrived exactly as sent, logs the verdict."""

import squall

from exact_spout import VALUES


class ExactBolt(squall.Bolt):
    def process(self, tup):
        values = list(tup.values)
        verdict = "EXACT" if values in VALUES else "CHANGED"
        self.logger.info("payload %s: %r types %s", verdict, values,
                         [type(v).__name__ for v in values])


if __name__ == "__main__":
    ExactBolt().run()
