"""A cluster on one machine, as the README shows it: `squall dev-cluster --supervisors 2` (real
ZooKeeper, nimbus, two supervisors), `squall submit` of the Python word count with two workers
(one per supervisor, the Python code travelling in the jar), words counted, a worker killed
with -9 and restarted by its supervisor, then `squall kill` stopping every worker."""

import glob
import os
import re
import signal
import time

import pytest

from conftest import ROOT, wait_until
from test_dev_cluster import (needs_zookeeper, process_gone, read_supervisors,  # noqa: F401
                              start_dev_cluster, stop_cleanly)

WORDS = re.compile(r"after \d+ s: (\d+) words")


def worker_logs(cluster_dir, topology_id):
    """Each worker's worker.log, by (supervisor folder, port)."""
    pattern = os.path.join(cluster_dir, "supervisor-*", "logs", "workers-artifacts", topology_id,
                           "*", "worker.log")
    return {(p.split(os.sep)[-6], p.split(os.sep)[-2]): p for p in glob.glob(pattern)}


def words_counted(cluster_dir, topology_id):
    """The latest word total the topology's LogInfoBolt logged, in any worker; 0 before one."""
    best = 0
    for path in worker_logs(cluster_dir, topology_id).values():
        with open(path, errors="replace") as f:
            for m in WORDS.finditer(f.read()):
                best = max(best, int(m.group(1)))
    return best


def worker_pids(cluster_dir):
    """{port: pid} of the workers the supervisors recorded (storm.local.dir/workers/PORT/pid)."""
    pids = {}
    for path in glob.glob(os.path.join(cluster_dir, "supervisor-*", "local", "workers", "*",
                                       "pid")):
        with open(path) as f:
            pids[int(path.split(os.sep)[-2])] = int(f.read().split()[0])
    return pids


def unix_sockets_of(topology_id):
    """The abstract unix sockets (listeners and accepted connections) named for the topology."""
    with open("/proc/net/unix") as f:
        names = [line.split()[-1] for line in f.read().splitlines()[1:] if len(line.split()) >= 8]
    return [n for n in names if n.startswith("@squall/%s/" % topology_id)]


def test_submit_to_dev_cluster_runs_python_across_supervisors_and_survives_kill_9(
        squall, multilang, tmp_path):
    cluster = str(tmp_path / "c")
    proc, printed = start_dev_cluster(squall, "--dir", cluster, "--supervisors", "2")
    try:
        read_supervisors(proc, 2)
        conf = printed["storm.yaml"]
        started = time.monotonic()
        r = squall.run("submit", os.path.join(ROOT, "examples", "wordcount.yaml"), "--config",
                       conf, "-c", "topology.workers=2",
                       # Tuples lost with a killed worker are replayed after this timeout.
                       "-c", "topology.message.timeout.secs=5")
        assert r.returncode == 0, r.stderr + r.stdout
        topology_id = re.search(r"Topology id: (\S+)", r.stdout).group(1)

        wait_until(lambda: words_counted(cluster, topology_id) > 0, "the first counted words", 90)
        print("submit -> first words counted: {:.2f} s".format(time.monotonic() - started))
        logs = worker_logs(cluster, topology_id)
        assert len(logs) == 2, logs
        assert len({sup for sup, _ in logs}) == 2, "one worker on each supervisor"
        # Both supervisors are on this host: their workers connect over a unix socket (the
        # accepted connection carries the listener's name, beside the two listeners).
        wait_until(lambda: len(unix_sockets_of(topology_id)) >= 3,
                   "the workers to connect over a unix socket", 30)
        listed = squall.run("list", "--config", conf)
        assert re.search(r"wordcount\s+ACTIVE\s+\d+\s+2\s", listed.stdout), listed.stdout

        # kill -9 of a worker: its supervisor starts another, and counting goes on.
        pids = worker_pids(cluster)
        assert len(pids) == 2, pids
        port, victim = sorted(pids.items())[0]
        before = words_counted(cluster, topology_id)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: worker_pids(cluster).get(port, victim) != victim,
                   "the supervisor to restart the killed worker", 60)
        wait_until(lambda: words_counted(cluster, topology_id) > before + 500,
                   "words counted after the restart", 90)
        print("worker kill -9 -> counting again: {:.2f} s".format(time.monotonic() - killed))

        running = list(worker_pids(cluster).values())
        assert len(running) == 2
        r = squall.run("kill", "wordcount", "-w", "1", "--config", conf)
        assert r.returncode == 0, r.stderr
        for pid in running:
            wait_until(lambda: process_gone(pid), "the killed topology's workers to stop", 60)
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
