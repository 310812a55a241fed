"""`squall run --workers N`: a topology in N worker processes over unix sockets (or TCP loopback).

Groupings, acking with failures, a worker killed with -9 (restarted on its port, or on another
when its port is taken: the others follow), Python components in every worker, a stray
connection without the topology's secret, and a C++ program that runs its own workers
(squall::runTopology, examples/two_workers.cpp). Every test runs until the sequence
spout reports that each of its ids was acked (exactly once), with a deadline.
"""

import collections
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import DEADLINE_SECS, ROOT, rel

WORKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers")

RECORD = re.compile(r"RECORD component=(\S+) task=(\d+) pid=(\d+) id=(\d+) key=\"?([^\"\s]+)\"?")
COMPLETE = re.compile(r"SEQUENCE COMPLETE task=\d+ acked=(\d+) duplicates=(\d+) replays=(\d+)")
STARTED = re.compile(r"worker (\d+) started \(pid (\d+)\) on ([\d.]+):(\d+)")


class Run:
    """A `squall run --workers N` whose merged output is read by a thread, so tests can wait
    for lines while the processes keep writing."""

    def __init__(self, squall, path, workers, *extra, argv=None):
        if argv is None:
            argv = [squall.binary, "run", rel(path), "--workers", str(workers), "--kill-wait",
                    "0", *extra]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, deadline_secs=DEADLINE_SECS, start=0):
        """Returns (index, match) of the first line from `start` matching `pattern`."""
        rx = re.compile(pattern)
        end = time.monotonic() + deadline_secs
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                    i += 1
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and i >= len(self.lines)):
                    raise AssertionError("'{}' did not appear within {} s; output:\n{}".format(
                        pattern, deadline_secs, "".join(self.lines[-80:])))
                self.cond.wait(min(left, 0.5))

    def text(self):
        with self.cond:
            return "".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.reader.join(timeout=10)
        return self.proc.returncode


@pytest.fixture
def runs():
    started = []
    yield lambda *a, **k: started.append(Run(*a, **k)) or started[-1]
    for r in started:
        r.stop()


def records(text):
    out = collections.defaultdict(list)
    for m in RECORD.finditer(text):
        out[m.group(1)].append((int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(5)))
    return out


def worker_pids(run, n):
    pids = {}
    run.wait_for(r"worker {} started".format(n - 1))
    for m in STARTED.finditer(run.text()):
        pids[int(m.group(1))] = (int(m.group(2)), m.group(3), int(m.group(4)))
    assert len(pids) == n, run.text()
    return pids


@pytest.mark.parametrize("workers", [2, 3])
def test_groupings_hold_across_workers(squall, runs, workers):
    run = runs(squall, os.path.join(WORKERS, "groupings.yaml"), workers)
    _, m = run.wait_for(COMPLETE.pattern)
    assert m.group(1) == "300" and m.group(2) == "0", m.group(0)
    assert run.stop() == 0, run.text()[-3000:]
    rec = records(run.text())
    # fields: every key to exactly one task, every id seen once, tasks in several workers
    by_key = collections.defaultdict(set)
    for task, pid, ident, key in rec["byfield"]:
        by_key[key].add(task)
    assert len(by_key) == 12 and all(len(t) == 1 for t in by_key.values()), by_key
    assert {ident for _, _, ident, _ in rec["byfield"]} == set(range(300))
    assert len({pid for _, pid, _, _ in rec["byfield"]}) >= 2
    # all: both tasks (in different workers) see every id
    per_task = collections.defaultdict(set)
    for task, pid, ident, key in rec["toall"]:
        per_task[task].add(ident)
    assert len(per_task) == 2 and all(ids == set(range(300)) for ids in per_task.values())
    # global: one task, the lowest, sees everything
    assert {task for task, _, _, _ in rec["toone"]} == {min(t for t, _, _, _ in rec["toone"])}
    assert {ident for _, _, ident, _ in rec["toone"]} == set(range(300))
    # local or shuffle: the tasks in the spout's worker when it has one, else any
    _, start = run.wait_for(r"SEQUENCE START task=\d+ pid=(\d+)")
    nearby_pids = {pid for _, pid, _, _ in rec["nearby"]}
    assert {ident for _, _, ident, _ in rec["nearby"]} == set(range(300))
    if int(start.group(1)) in nearby_pids:
        assert nearby_pids == {int(start.group(1))}, nearby_pids


@pytest.mark.parametrize("workers", [2, 3])
def test_acking_with_failures_across_workers(squall, runs, workers):
    run = runs(squall, os.path.join(WORKERS, "failing.yaml"), workers)
    _, m = run.wait_for(COMPLETE.pattern)
    acked, duplicates, replays = map(int, m.groups())
    assert acked == 500 and duplicates == 0, m.group(0)
    assert replays > 0, "10% failures must have caused replays"
    assert run.stop() == 0


def test_killed_worker_is_restarted_and_its_tuples_replayed(squall, runs):
    run = runs(squall, os.path.join(WORKERS, "steady.yaml"), 2)
    _, start = run.wait_for(r"SEQUENCE START task=\d+ pid=(\d+)")
    spout_pid = int(start.group(1))
    pids = worker_pids(run, 2)
    victim_index, (victim, _, _) = next((i, p) for i, p in pids.items() if p[0] != spout_pid)
    # Mid-stream: the victim's bolts have processed some tuples.
    first, _ = run.wait_for(r"RECORD component=\S+ task=\d+ pid={} ".format(victim))
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    killed_line = len(run.lines)
    i, m = run.wait_for(r"worker {} restarted \(pid (\d+)\)".format(victim_index),
                        start=killed_line)
    new_pid = int(m.group(1))
    run.wait_for(r"RECORD component=\S+ task=\d+ pid={} ".format(new_pid), start=i)
    recovered = time.monotonic() - killed_at
    print("\nworker {} killed with -9: tuples flowing through its restart after {:.2f} s".format(
        victim_index, recovered))
    _, m = run.wait_for(COMPLETE.pattern, start=0)
    assert m.group(1) == "1500" and m.group(2) == "0", m.group(0)
    assert run.stop() == 0


def test_python_components_in_every_worker(squall, multilang, runs):
    run = runs(squall, os.path.join(WORKERS, "python.yaml"), 2)
    _, m = run.wait_for(COMPLETE.pattern)
    assert m.group(1) == "200" and m.group(2) == "0"
    pids = worker_pids(run, 2)
    assert run.stop() == 0
    parents = {int(p) for p in re.findall(r"PYRELAY pid=\d+ worker_pid=(\d+)", run.text())}
    assert parents == {pid for pid, _, _ in pids.values()}, run.text()[-3000:]


def test_stray_connection_without_the_secret_is_refused(squall, runs):
    run = runs(squall, os.path.join(WORKERS, "steady.yaml"), 2)
    pids = worker_pids(run, 2)
    _, host, port = pids[1]
    run.wait_for(r"worker 1 running")
    for payload in (b"GET / HTTP/1.0\r\n\r\n",
                    # A well-formed hello with a made-up proof.
                    None):
        with socket.create_connection((host, port), timeout=10) as s:
            challenge = s.recv(64)
            assert len(challenge) >= 4
            if payload is None:
                body = struct.pack("<IH", 0x4C515153, 1) + bytes([3]) + b"xyz" + bytes([0, 1])
                body += b"\0" * 8 + b"\0" * 16 + b"\1" * 32
                payload = struct.pack("<IB", len(body) + 1, 2) + body
            s.sendall(payload)
            s.settimeout(10)
            try:
                rest = s.recv(64)
            except ConnectionResetError:
                rest = b""
            assert rest == b"", "the worker must close a connection that fails the handshake"
    run.wait_for(r"worker 1: refused connection from 127\.0\.0\.1:\d+: (unknown frame type|frame of)")
    run.wait_for(r"worker 1: refused connection from 127\.0\.0\.1:\d+: (hello for topology|bad proof)")
    _, m = run.wait_for(COMPLETE.pattern)
    assert m.group(2) == "0"
    assert run.stop() == 0


def unix_listeners(port):
    """Abstract unix sockets of this network namespace named for a worker on `port`."""
    with open("/proc/net/unix") as f:
        names = [line.split()[-1] for line in f.read().splitlines()[1:] if len(line.split()) >= 8]
    return sorted({n for n in names if n.startswith("@squall/") and n.endswith(":%d" % port)})


def test_workers_of_one_host_connect_over_unix_sockets(squall, runs):
    # squall.worker.local.sockets (default true): each worker also listens on an abstract unix
    # socket, which its peers on this host connect to instead of TCP loopback. A stray
    # connection there gets the same handshake as on TCP.
    run = runs(squall, os.path.join(WORKERS, "steady.yaml"), 2)
    pids = worker_pids(run, 2)
    run.wait_for(r"worker 1 running")
    for index in (0, 1):
        run.wait_for(r"worker {} listening on \S+ \(and a unix socket for workers on this host\)"
                     .format(index))
    names = unix_listeners(pids[1][2])
    assert len(names) == 1, names
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect("\0" + names[0][1:])
        assert len(s.recv(64)) >= 4  # the challenge
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        try:
            rest = s.recv(64)
        except ConnectionResetError:
            rest = b""
        assert rest == b"", "the worker must close a connection that fails the handshake"
    _, m = run.wait_for(COMPLETE.pattern)
    assert m.group(1) == "1500" and m.group(2) == "0", m.group(0)
    assert run.stop() == 0


def test_workers_keep_tcp_when_local_sockets_are_off(squall, runs):
    run = runs(squall, os.path.join(WORKERS, "steady.yaml"), 2, "-c",
               "squall.worker.local.sockets=false")
    pids = worker_pids(run, 2)
    _, m = run.wait_for(r"worker 1 listening on (.*)")
    assert "unix socket" not in m.group(1), m.group(0)
    assert unix_listeners(pids[1][2]) == []
    _, m = run.wait_for(COMPLETE.pattern)
    assert m.group(1) == "1500" and m.group(2) == "0", m.group(0)
    assert run.stop() == 0


def test_restarted_worker_moves_when_its_port_is_taken_and_the_others_follow(squall, runs):
    run = runs(squall, os.path.join(WORKERS, "steady.yaml"), 2)
    pids = worker_pids(run, 2)
    victim, host, port = pids[1]  # worker 0 connects to it: it must learn the new port
    run.wait_for(r"RECORD component=\S+ task=\d+ pid={} ".format(victim))
    os.kill(victim, signal.SIGKILL)
    killed_line = len(run.lines)
    # Take its port as soon as the kernel frees it (the launcher waits 0.1 s to restart it).
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        end = time.monotonic() + 10
        while True:
            try:
                holder.bind((host, port))
                holder.listen(1)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.001)
        _, m = run.wait_for(r"worker 1: port {} is taken; moving it to (\d+)".format(port),
                            start=killed_line)
        new_port = int(m.group(1))
        run.wait_for(r"worker 0: worker 1 moved from [\d.]+:{} to [\d.]+:{}".format(
            port, new_port), start=killed_line)
        i, m = run.wait_for(r"worker 1 restarted \(pid (\d+)\)", start=killed_line)
        run.wait_for(r"RECORD component=\S+ task=\d+ pid={} ".format(m.group(1)), start=i)
        _, m = run.wait_for(COMPLETE.pattern)
        assert m.group(1) == "1500" and m.group(2) == "0", m.group(0)
        assert run.stop() == 0
    finally:
        holder.close()


def example_binary(squall, name):
    """An example program built beside this squall (build/PRESET/examples/NAME)."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(squall.binary))))
    path = os.path.join(build, "examples", name)
    if not os.access(path, os.X_OK):
        pytest.skip("{} is not built".format(path))
    return path


def test_cpp_program_runs_its_own_workers(squall, runs):
    workers = 2
    binary = example_binary(squall, "two_workers")
    run = runs(None, None, workers, argv=[binary, "--sentences", "300", "--fail-percent", "10",
                                          "--workers", str(workers), "--kill-wait", "0"])
    _, m = run.wait_for(r"ALL ACKED sentences=(\d+) duplicates=(\d+) replays=(\d+)")
    sentences, duplicates, replays = map(int, m.groups())
    assert sentences == 300 and duplicates == 0, m.group(0)
    assert replays > 0, "10% of the sentences fail once: they must have been replayed"
    pids = worker_pids(run, workers)
    # The workers are copies of the program itself.
    for pid, _, _ in pids.values():
        assert os.path.realpath("/proc/{}/exe".format(pid)) == os.path.realpath(binary)
    assert run.stop() == 0, run.text()[-3000:]
    counts = re.findall(r"COUNT task=(\d+) pid=(\d+) word=(\S+)", run.text())
    by_word = collections.defaultdict(set)
    for task, pid, word in counts:
        by_word[word].add(task)
    # Fields grouping across the workers: each word counted by one task, the tasks in both.
    assert len(by_word) == 27 and all(len(t) == 1 for t in by_word.values()), by_word
    assert {int(pid) for _, pid, _ in counts} == {pid for pid, _, _ in pids.values()}
