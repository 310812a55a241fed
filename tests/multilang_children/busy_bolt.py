"""A squall bolt that spends about 20 ms of CPU on each tuple (not wall time: a busy loop on
the process clock), so its CPU time, as /proc shows it, grows with the work it is given."""

import time

import squall


class BusyBolt(squall.Bolt):
    def process(self, tup):
        until = time.process_time() + 0.02
        x = 0
        while time.process_time() < until:
            x += 1


if __name__ == "__main__":
    BusyBolt().run()
