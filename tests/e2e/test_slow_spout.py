"""Slow multilang spouts (issue: a spout whose nextTuple takes 0.1 s or more, like Storm's
tester_spout.py or storm-starter's randomsentence.js): each tuple must reach the bolt at once,
acks must reach the spout between `next` calls, and the topology must stop promptly.

The spouts in slow/resources speak Storm's multilang protocol themselves (no squall package):
slow_spout.py sleeps, then emits; slow_spout.js emits, then waits before it syncs. The bolt
logs how long each tuple took to arrive. Before the fix, a spout published after 64 `next`
rounds: nothing arrived and nothing was acked for 64 x 0.15 s = 9.6 s, and a stop waited for
the burst to end."""

import os
import queue
import re
import shutil
import threading
import time

import pytest

from conftest import E2E, interrupt, rel

SLOW = os.path.join(E2E, "slow")
GOT = re.compile(r"latency bolt got (\d+) after ([0-9.]+) ms")
ACKED = re.compile(r"slow spout acked (\d+)")


class Lines:
    """Reads a process's stdout and stderr on threads, so the test can wait with deadlines;
    each line comes with the monotonic time it was read."""

    def __init__(self, proc):
        self.proc = proc
        self.queue = queue.Queue()
        self.seen = []
        self.threads = [threading.Thread(target=self._pump, args=(f,), daemon=True)
                        for f in (proc.stdout, proc.stderr)]
        for t in self.threads:
            t.start()

    def _pump(self, stream):
        for line in stream:
            self.queue.put((time.monotonic(), line))

    def until(self, predicate, deadline_secs, what):
        """Consumes lines until predicate(line) is true; returns the time that line was read."""
        end = time.monotonic() + deadline_secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("{} did not happen within {} s; output:\n{}".format(
                    what, deadline_secs, "".join(self.seen[-60:])))
            try:
                at, line = self.queue.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            self.seen.append(line)
            if predicate(line):
                return at

    def text(self):
        while not self.queue.empty():
            self.seen.append(self.queue.get()[1])
        return "".join(self.seen)


def run_slow(squall, yaml_name, *args, env=None):
    proc = squall.start("run", rel(os.path.join(SLOW, yaml_name)), *args, env=env)
    return proc, Lines(proc)


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def check_slow_spout(squall, yaml_name):
    proc, lines = run_slow(squall, yaml_name, "--kill-wait", "1")
    try:
        ready = lines.until(lambda l: "slow spout activate" in l, 60, "the spout's activation")
        first = lines.until(lambda l: GOT.search(l), 5, "the first tuple at the bolt")
        # One round is 0.15 s; before the fix the first tuple waited 64 rounds.
        assert first - ready < 2.0, lines.text()
        acked = set()

        def count_ack(line):
            m = ACKED.search(line)
            if m:
                acked.add(m.group(1))
            return len(acked) >= 5

        lines.until(count_ack, 5, "five acks at the spout")
        delays = [float(m.group(2)) for m in GOT.finditer(lines.text())]
        assert delays, lines.text()
        # The bolt's own measure: emit (in the child) to execute (in the other child).
        assert max(delays) < 200, delays

        interrupt(proc)
        asked = time.monotonic()
        proc.wait(timeout=30)
        # --kill-wait 1, then at most one round and the children's exit.
        assert time.monotonic() - asked < 4.0, lines.text()
        assert proc.returncode == 0, lines.text()
        assert "killed" in lines.text()
    finally:
        stop(proc)


def test_slow_python_spout(squall, multilang):
    check_slow_spout(squall, "slow_python.yaml")


def test_slow_node_spout(squall, multilang):
    if not shutil.which("node"):
        pytest.skip("node is not installed (Debian package nodejs): cannot run the Node spout")
    check_slow_spout(squall, "slow_node.yaml")


def test_duration_bounds_the_run_of_a_slow_spout(squall, multilang):
    # The case: `squall run --duration 4` on a spout that sleeps in nextTuple took
    # 33.7 s. The run must take about the duration plus the kill wait.
    proc, lines = run_slow(squall, "slow_python.yaml", "--duration", "3", "--kill-wait", "1")
    try:
        running = lines.until(lambda l: "running topology" in l, 60, "the start")
        proc.wait(timeout=60)
        assert time.monotonic() - running < 3 + 1 + 2.5, lines.text()
        assert proc.returncode == 0, lines.text()
        assert len(set(ACKED.findall(lines.text()))) >= 5, lines.text()
    finally:
        stop(proc)


def test_stop_does_not_wait_for_a_long_next(squall, multilang):
    # Each nextTuple sleeps 30 s: the kill must end the child's `next` instead of waiting.
    proc, lines = run_slow(squall, "slow_python.yaml", "--kill-wait", "0",
                           env={"SLOW_SPOUT_SLEEP": "30"})
    try:
        lines.until(lambda l: "slow spout activate" in l, 60, "the spout's activation")
        interrupt(proc)
        asked = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - asked < 3.0, lines.text()
        assert proc.returncode == 0, lines.text()
        assert "stopping the child inside 'next'" in lines.text()
    finally:
        stop(proc)
