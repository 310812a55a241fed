"""Logs every tuple three ways: a DEBUG and an INFO `log` command (sent whatever the level,
as storm.py's logDebug and logInfo do; the engine filters them) and a line on stderr."""

import sys

import squall


class ChattyBolt(squall.Bolt):
    outputs = ["n"]

    def process(self, tup):
        n = tup.values[0]
        self.log("debug line {}".format(n), "debug")
        self.log("info line {}".format(n), "info")
        print("stderr line {}".format(n), file=sys.stderr, flush=True)


if __name__ == "__main__":
    ChattyBolt().run()
