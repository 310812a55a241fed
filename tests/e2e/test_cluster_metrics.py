"""Prometheus /metrics on every process of a cluster: `squall dev-cluster` (one nimbus, one
supervisor) serves nimbus's and the supervisor's on free ports (nimbus.metrics.port and
supervisor.metrics.port 0, printed as nimbus.1.metrics= and supervisor.0.metrics=) and each
worker's on its slot port + 1000 (worker.metrics.port.offset). Each scrape is parsed by
Prometheus' own parser (Debian's python3-prometheus-client) and its values checked: nimbus
leads and sees the topology, the supervisor counts its worker, the worker's emitted counts grow
under local mode's names and labels, and a worker killed with SIGKILL is counted as a restart
and serves again."""

import os
import re
import signal
import time
import urllib.request

import pytest

from conftest import EXAMPLES, wait_until
from test_dev_cluster import needs_zookeeper, start_dev_cluster, stop_cleanly  # noqa: F401

TEST_WORDS = os.path.join(EXAMPLES, "test_words.yaml")
WORKER_METRICS_OFFSET = 1000  # dev-cluster's worker.metrics.port.offset
START_SECS = 90  # a worker of the sanitized build on a loaded machine


def scrape(url):
    """{sample name: [(labels, value)]} of the endpoint's text, through prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return samples


def try_scrape(url):
    try:
        return scrape(url)
    except OSError:
        return None


def value(samples, name, **labels):
    """The one sample of `name` whose labels include `labels`; None when there is none."""
    found = [v for l, v in samples.get(name, []) if all(l.get(k) == x for k, x in labels.items())]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def total(samples, name, **labels):
    return sum(v for l, v in samples.get(name, [])
               if all(l.get(k) == x for k, x in labels.items()))


def read_supervisor(proc):
    """(metrics URL, local dir) of supervisor 0, from the lines dev-cluster prints."""
    url = None
    deadline = time.monotonic() + START_SECS
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip()
        if not line:
            break
        m = re.match(r"^supervisor\.0\.metrics=(\S+)$", line)
        if m:
            url = m.group(1)
        m = re.match(r"^supervisor\.0=\S+ pid=\d+ slots=[\d,]+ dir=(.*)$", line)
        if m:
            assert url, "no supervisor.0.metrics= line before " + line
            return url, m.group(1)
    raise AssertionError("dev-cluster printed no supervisor")


def test_nimbus_supervisor_and_worker_serve_prometheus_metrics(squall, tmp_path):
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path / "c"), "--supervisors", "1")
    try:
        nimbus_url = printed["nimbus.1.metrics"]
        assert re.match(r"^http://127\.0\.0\.1:\d+/metrics$", nimbus_url), nimbus_url
        supervisor_url, supervisor_dir = read_supervisor(proc)
        conf = printed["storm.yaml"]
        r = squall.run("submit", TEST_WORDS, "--config", conf)
        assert r.returncode == 0, r.stderr + r.stdout
        tid = re.search(r"Topology id: (\S+)", r.stdout).group(1)

        # Nimbus: its process, leadership, ZooKeeper, and the cluster as `squall ui` shows it.
        def nimbus_sees_it():
            s = scrape(nimbus_url)
            return s if value(s, "squall_topology_workers", id=tid) == 1 else None
        n = wait_until(nimbus_sees_it, "nimbus's /metrics to show the topology's worker", START_SECS)
        assert value(n, "squall_nimbus_leader") == 1
        assert value(n, "squall_zookeeper_connected") == 1
        assert value(n, "squall_nimbus_cluster_readable") == 1
        assert value(n, "squall_nimbus_topologies") == 1
        assert value(n, "squall_cluster_supervisors") == 1
        assert value(n, "squall_cluster_slots") == 4
        assert value(n, "squall_topology_active", topology="test-words", id=tid) == 1
        assert value(n, "process_resident_memory_bytes") > 1 << 20
        assert value(n, "process_cpu_seconds_total") > 0
        assert 0 < value(n, "squall_nimbus_uptime_seconds") < 3600

        # The supervisor: its worker, found by the slot port the worker runs on.
        def supervisor_runs_it():
            s = scrape(supervisor_url)
            up = [l for l, v in s.get("squall_worker_up", []) if l["id"] == tid and v == 1]
            return (s, int(up[0]["port"])) if up else None
        s, port = wait_until(supervisor_runs_it, "the supervisor's /metrics to show its worker",
                             START_SECS)
        assert value(s, "squall_supervisor_slots") == 4
        assert value(s, "squall_supervisor_slots_used") == 1
        assert value(s, "squall_supervisor_workers_running") == 1
        assert value(s, "squall_supervisor_worker_restarts_total") == 0
        assert value(s, "squall_zookeeper_connected") == 1
        assert value(s, "process_resident_memory_bytes") > 1 << 20

        # The worker: local mode's names and labels, on its slot port + the offset.
        worker_url = "http://127.0.0.1:{}/metrics".format(port + WORKER_METRICS_OFFSET)

        def emitted():
            w = try_scrape(worker_url)
            n = total(w, "squall_emitted_total", topology="test-words", component="words",
                      stream="default") if w else 0
            return (w, n) if n > 0 else None
        w, first = wait_until(emitted, "the worker's /metrics to count emitted words", START_SECS)

        # A later scrape: the counts grow, and the bolt's executions show (each executor
        # publishes its counts on its own, so the first scrape may have the spout's alone).
        def grown():
            got = emitted()
            executed = total(got[0], "squall_executed_total", component="count",
                             source_component="words") if got else 0
            return got if got and got[1] > first and executed > 0 else None
        w, _ = wait_until(grown, "the worker's emitted count to grow and count's executions")
        assert {l["task"] for l, _ in w["squall_emitted_total"]
                if l["component"] == "words"} == {"5", "6"}  # __acker, count 2-3, log 4
        assert total(w, "squall_executed_total", component="count", source_component="words") > 0
        assert value(w, "squall_receive_queue_capacity", component="count",
                     executor="[2-2]") == 32768
        assert value(w, "squall_topology_active", topology="test-words", id=tid) == 1
        assert value(w, "process_resident_memory_bytes") > 1 << 20
        assert "squall_send_queue_depth" not in w  # one worker: nothing to send elsewhere

        # kill -9: the supervisor counts the restart, and the new worker serves again.
        started = value(w, "process_start_time_seconds")
        pid_file = os.path.join(supervisor_dir, "local", "workers", str(port), "pid")
        with open(pid_file) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, signal.SIGKILL)

        def restarted():
            s = scrape(supervisor_url)
            return s if value(s, "squall_worker_restarts_total", id=tid, port=str(port)) == 1 \
                else None
        s = wait_until(restarted, "the supervisor to count the worker's restart")
        assert value(s, "squall_supervisor_worker_restarts_total") == 1
        assert value(s, "squall_supervisor_worker_launches_total") == 2

        def serving_again():
            w = try_scrape(worker_url)
            return w if w and value(w, "process_start_time_seconds") > started and emitted() \
                else None
        wait_until(serving_again, "the restarted worker's /metrics", START_SECS)

        r = squall.run("kill", "test-words", "-w", "0", "--config", conf)
        assert r.returncode == 0, r.stderr
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
