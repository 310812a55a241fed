"""Storm's statistics and errors from a cluster, through nimbus's Thrift getTopologyInfo: the
ops topology (a reliable Python spout, a Python bolt that reports an error with its traceback,
a native sink) submitted to `squall dev-cluster` in two workers. Each worker reports its
executors' stats and its components' errors to its supervisor, which puts the stats in the
worker's heartbeat (/workerbeats) and the errors under /errors; nimbus answers them with
Storm's ExecutorStats and ErrorInfo."""

import os
import re
import signal

import pytest

from conftest import ROOT, wait_until
from test_dev_cluster import (needs_zookeeper, nimbus_of, read_supervisors,  # noqa: F401
                              start_dev_cluster, stop_cleanly)
from test_nimbus_thrift import client, gen  # noqa: F401 (gen is a fixture)

OPS = os.path.join(ROOT, "tests", "e2e", "ops", "ops.yaml")
WINDOWS = {"600", "10800", "86400", ":all-time"}


def topology_info(c, tid):
    info = c.getTopologyInfo(tid)
    by_component = {}
    for e in info.executors:
        by_component.setdefault(e.component_id, []).append(e)
    return info, by_component


def all_time(executors, pick):
    """The sum over `executors` of pick(stats) in the all-time window (0 without stats)."""
    return sum(pick(e.stats) for e in executors if e.stats is not None)


def spout_emitted(s):
    return s.emitted.get(":all-time", {}).get("default", 0)


def spout_acked(s):
    return s.specific.spout.acked.get(":all-time", {}).get("default", 0)


def check_executed(ttypes):
    numbers = ttypes.GlobalStreamId(componentId="numbers", streamId="default")
    return lambda s: s.specific.bolt.executed.get(":all-time", {}).get(numbers, 0)


def test_cluster_reports_executor_stats_and_python_tracebacks(squall, multilang, gen, tmp_path):
    _, ttypes = gen
    cluster = str(tmp_path / "c")
    proc, printed = start_dev_cluster(squall, "--dir", cluster, "--supervisors", "1")
    try:
        read_supervisors(proc, 1)
        conf = printed["storm.yaml"]
        port, _ = nimbus_of(printed["nimbus.1"])
        r = squall.run("submit", OPS, "--config", conf, "-c", "topology.workers=2")
        assert r.returncode == 0, r.stderr + r.stdout
        tid = re.search(r"Topology id: (\S+)", r.stdout).group(1)
        c, transport = client(gen, port)
        try:
            # Emitted and acked counts of the spout, and what the Python bolt executed, grow.
            def flowing():
                _, by = topology_info(c, tid)
                counts = (all_time(by.get("numbers", []), spout_emitted),
                          all_time(by.get("numbers", []), spout_acked),
                          all_time(by.get("check", []), check_executed(ttypes)))
                return counts if min(counts) > 0 else None
            first = wait_until(flowing, "stats of the running topology", 90)
            wait_until(lambda: all(b > a for a, b in zip(first, flowing())),
                       "the counts to grow", 60)

            info, by = topology_info(c, tid)
            assert info.id == tid and info.name == "ops" and info.status == "ACTIVE"
            assert info.replication_count == 1 and info.uptime_secs >= 0
            assert {"numbers", "check", "sink", "__acker"} <= set(by)
            spout = by["numbers"][0]
            assert spout.host == "127.0.0.1" and spout.port > 0 and spout.uptime_secs >= 0
            assert set(spout.stats.emitted) == WINDOWS and set(spout.stats.transferred) == WINDOWS
            assert spout.stats.specific.spout is not None and spout.stats.specific.bolt is None
            assert spout.stats.rate == pytest.approx(0.05)
            assert spout.stats.specific.spout.complete_ms_avg[":all-time"]["default"] >= 0
            sink = by["sink"][0].stats.specific.bolt
            check = ttypes.GlobalStreamId(componentId="check", streamId="default")
            assert sink.executed[":all-time"][check] > 0 and sink.acked[":all-time"][check] > 0
            assert sink.execute_ms_avg[":all-time"][check] >= 0
            assert by["__acker"][0].stats is not None

            # The Python bolt's error, its whole traceback, with the worker's host and port.
            def the_error():
                errors = c.getTopologyInfo(tid).errors
                return next((e for e in errors.get("check", [])
                             if "three is not allowed" in e.error), None)
            error = wait_until(the_error, "the Python bolt's error", 60)
            assert "Traceback (most recent call last)" in error.error and "in check" in error.error
            assert error.error.count("\n") >= 3
            assert error.host == "127.0.0.1"
            assert error.port in {e.port for e in by["check"]}
            assert error.error_time_secs > 0
            errors = c.getTopologyInfo(tid).errors
            assert set(errors) == set(by) and errors["sink"] == []
        finally:
            transport.close()

        # The clients' own output keeps Storm's columns.
        listed = squall.run("list", "--config", conf)
        assert listed.returncode == 0, listed.stderr
        assert re.search(r"ops\s+ACTIVE\s+\d+\s+2\s+\d+", listed.stdout), listed.stdout
        r = squall.run("kill", "ops", "-w", "1", "--config", conf)
        assert r.returncode == 0, r.stderr
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
