"""Operating a running topology on `squall dev-cluster`: `rebalance -e COMPONENT=N` (Storm's
RebalanceOptions.num_executors, as `storm rebalance -e` sends it) changes a component's
executors while tuples keep flowing, `rebalance -n` changes the workers but not the acker tasks
fixed at submit, and `set_log_level` (Storm's setLogConfig) reaches a
Python bolt in its worker and expires on time."""

import os
import re
import signal
import time

import pytest
import yaml

from conftest import ROOT, wait_until
from test_cluster_submit import words_counted, worker_logs, worker_pids
from test_dev_cluster import (needs_zookeeper, process_gone, read_supervisors,  # noqa: F401
                              start_dev_cluster, stop_cleanly)
from test_nimbus_thrift import client, gen  # noqa: F401

WORDS = re.compile(r"after \d+ s: (\d+) words")


def executors(gen, port, topology_id, component):
    nimbus, transport = client(gen, port)
    try:
        info = nimbus.getTopologyInfo(topology_id)
    finally:
        transport.close()
    return sorted((e.executor_info.task_start, e.executor_info.task_end)
                  for e in info.executors if e.component_id == component), info.status


def text_since(offsets, directory, topology_id):
    """What the topology's worker logs got after `offsets` (their sizes then; new files whole)."""
    out = ""
    for path in worker_logs(directory, topology_id).values():
        with open(path, errors="replace") as f:
            f.seek(offsets.get(path, 0))
            out += f.read()
    return out


@pytest.fixture(scope="module")
def cluster(squall, tmp_path_factory):
    # One cluster for the module: each test submits its own topology (names and ids differ) and
    # kills it, waiting for its workers to stop, before the next one starts.
    directory = str(tmp_path_factory.mktemp("rebalance") / "c")
    proc, printed = start_dev_cluster(squall, "--dir", directory, "--supervisors", "2")
    try:
        read_supervisors(proc, 2)
        conf = printed["storm.yaml"]
        with open(conf) as f:
            port = yaml.safe_load(f)["nimbus.thrift.port"]
        yield directory, conf, port
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)


def test_rebalance_executors_of_a_running_topology(squall, multilang, gen, cluster):
    directory, conf, port = cluster
    r = squall.run("submit", os.path.join(ROOT, "examples", "wordcount.yaml"), "--config", conf,
                   "-c", "topology.workers=2", "-c", "topology.message.timeout.secs=5")
    assert r.returncode == 0, r.stderr + r.stdout
    topology_id = re.search(r"Topology id: (\S+)", r.stdout).group(1)
    wait_until(lambda: words_counted(directory, topology_id) > 0, "the first counted words", 90)
    count, _ = executors(gen, port, topology_id, "count")
    assert len(count) == 2, count
    first, last = count[0][0], count[-1][1]

    # More executors than tasks: refused with Storm's kind of error, nothing changed.
    r = squall.run("rebalance", "wordcount", "-e", "count=3", "--config", conf)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "InvalidTopologyException" in r.stderr and "more than its number of tasks (2)" \
        in r.stderr, r.stderr

    # What `storm rebalance wordcount -w 1 -e count=1` sends: RebalanceOptions 1 and 3.
    Nimbus, ttypes = gen
    pids = worker_pids(directory)
    logs = worker_logs(directory, topology_id)
    offsets = {path: os.path.getsize(path) for path in logs.values()}
    nimbus, transport = client(gen, port)
    try:
        nimbus.rebalance("wordcount", ttypes.RebalanceOptions(wait_secs=1,
                                                              num_executors={"count": 1}))
        assert nimbus.getTopologyInfo(topology_id).status == "REBALANCING"
    finally:
        transport.close()
    started = time.monotonic()
    wait_until(lambda: executors(gen, port, topology_id, "count") == ([(first, last)], "ACTIVE"),
               "count to have one executor of both its tasks", 60)
    # The workers run the new layout: each was restarted and says so.
    wait_until(lambda: all(worker_pids(directory).get(p) not in (None, pid)
                           for p, pid in pids.items()), "the workers to restart", 60)
    wait_until(lambda: "component 'count' runs 1 executor(s)" in text_since(offsets, directory, topology_id),
               "a worker following the new executor count", 60)

    # Tuples keep flowing: new totals after the change, growing.
    def totals():
        return [int(m.group(1)) for m in WORDS.finditer(text_since(offsets, directory, topology_id))]
    wait_until(lambda: any(n > 0 for n in totals()[-1:]), "words counted after the rebalance", 90)
    seen = max(totals())
    wait_until(lambda: max(totals()) > seen + 200, "counting to go on", 60)
    print("rebalance -e -> counting again: {:.2f} s".format(time.monotonic() - started))
    listed = squall.run("list", "--config", conf)
    assert re.search(r"wordcount\s+ACTIVE\s+\d+\s+2\s", listed.stdout), listed.stdout

    running = list(worker_pids(directory).values())
    assert squall.run("kill", "wordcount", "-w", "0", "--config", conf).returncode == 0
    for pid in running:
        wait_until(lambda: process_gone(pid), "the killed topology's workers to stop", 60)


def test_rebalance_workers_keeps_the_acker_tasks(squall, multilang, gen, cluster):
    directory, conf, port = cluster
    r = squall.run("submit", os.path.join(ROOT, "examples", "wordcount.yaml"), "--config", conf,
                   "-c", "topology.workers=2", "-c", "topology.message.timeout.secs=5")
    assert r.returncode == 0, r.stderr + r.stdout
    topology_id = re.search(r"Topology id: (\S+)", r.stdout).group(1)
    # Storm's normalized conf: one acker per worker at submit, written down.
    ackers, _ = executors(gen, port, topology_id, "__acker")
    assert len(ackers) == 2, ackers
    wait_until(lambda: words_counted(directory, topology_id) > 0, "the first counted words", 90)

    logs = worker_logs(directory, topology_id)
    offsets = {path: os.path.getsize(path) for path in logs.values()}
    r = squall.run("rebalance", "wordcount", "-w", "1", "-n", "3", "--config", conf)
    assert r.returncode == 0, r.stdout + r.stderr
    started = time.monotonic()
    wait_until(lambda: executors(gen, port, topology_id, "__acker")[1] == "ACTIVE",
               "the rebalance to be carried out", 60)
    assert executors(gen, port, topology_id, "__acker")[0] == ackers
    wait_until(lambda: len(worker_pids(directory)) == 3, "three workers", 60)
    listed = squall.run("list", "--config", conf)
    assert re.search(r"wordcount\s+ACTIVE\s+\d+\s+3\s", listed.stdout), listed.stdout

    # The workers plan the same tasks as nimbus: counting goes on.
    def totals():
        return [int(m.group(1)) for m in WORDS.finditer(text_since(offsets, directory, topology_id))]
    wait_until(lambda: any(n > 0 for n in totals()[-1:]), "words counted after the rebalance", 90)
    seen = max(totals())
    wait_until(lambda: max(totals()) > seen + 200, "counting to go on", 60)
    print("rebalance -n 3 -> counting again: {:.2f} s".format(time.monotonic() - started))

    running = list(worker_pids(directory).values())
    assert squall.run("kill", "wordcount", "-w", "0", "--config", conf).returncode == 0
    for pid in running:
        wait_until(lambda: process_gone(pid), "the killed topology's workers to stop", 60)


def test_set_log_level_reaches_a_python_bolt_and_expires(squall, multilang, gen, cluster):
    directory, conf, port = cluster
    r = squall.run("submit", os.path.join(ROOT, "tests", "e2e", "logs", "logs.yaml"), "--config",
                   conf)
    assert r.returncode == 0, r.stderr + r.stdout
    topology_id = re.search(r"Topology id: (\S+)", r.stdout).group(1)

    def log():
        files = list(worker_logs(directory, topology_id).values())
        if not files:
            return ""
        with open(files[0], errors="replace") as f:
            return f.read()
    debug = re.compile(r" chatty:\d+ \[debug\] ShellLog .*debug line \d+$", re.M)
    wait_until(lambda: "info line 5" in log(), "the bolt's INFO lines", 90)
    assert not debug.search(log())

    # Refused before anything is sent: Storm's syntax, with the bad part named.
    r = squall.run("set_log_level", "logs", "-l", "chatty=LOUD", "--config", conf)
    assert r.returncode == 2 and "'LOUD' is not a level" in r.stderr, r.stderr

    r = squall.run("set_log_level", "logs", "-l", "chatty=DEBUG:6", "--config", conf)
    assert r.returncode == 0, r.stdout + r.stderr
    nimbus, transport = client(gen, port)
    try:
        level = nimbus.getLogConfig(topology_id).named_logger_level["chatty"]
    finally:
        transport.close()
    assert level.target_log_level == "DEBUG" and level.reset_log_level_timeout_secs == 6
    assert level.reset_log_level_timeout_epoch > 0
    wait_until(lambda: debug.search(log()), "the bolt's DEBUG lines after set_log_level", 60)
    # After the timeout the worker resets the level, and the DEBUG lines stop.
    wait_until(lambda: "log level of chatty back to INFO" in log(), "the level's expiry", 60)
    text = log()
    reset_at = text.index("log level of chatty back to INFO")
    lines_then = text.count("info line")
    wait_until(lambda: log().count("info line") > lines_then + 20, "more INFO lines", 60)
    assert not debug.search(log()[reset_at + 200:])

    r = squall.run("set_log_level", "logs", "-r", "chatty", "--config", conf)
    assert r.returncode == 0, r.stderr
    running = list(worker_pids(directory).values())
    assert squall.run("kill", "logs", "-w", "0", "--config", conf).returncode == 0
    for pid in running:
        wait_until(lambda: process_gone(pid), "the killed topology's workers to stop", 60)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
