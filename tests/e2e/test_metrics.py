"""A Python bolt's metric (multilang `metrics`, squall's report_metric as pystorm's) reaches
every reporter of one `squall run --ui`: Prometheus /metrics (parsed by prometheus_client), the
statsd reporter (a UDP socket in the test receives its packets), the REST API's component page,
and Storm's LoggingMetricsConsumer's metrics.log. /metrics also has the bolt's Python
children's CPU, memory and restarts, and each executor's backpressure flag."""

import os
import re
import select
import socket

from conftest import DEADLINE_SECS, E2E, wait_until
from test_ui import component, run_ui, topology_id  # noqa: F401 (run_ui is a fixture)

METRICS = os.path.join(E2E, "ops", "metrics.yaml")


class StatsdListener:
    """A UDP socket on a free loopback port; keeps every line it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.lines = []

    def poll(self):
        while select.select([self.sock], [], [], 0.05)[0]:
            data = self.sock.recv(65536)
            assert len(data) <= 1432, "a statsd datagram must fit a typical MTU"
            self.lines.extend(data.decode("utf-8").split("\n"))
        return self.lines

    def close(self):
        self.sock.close()


def test_python_bolt_metric_reaches_prometheus_statsd_ui_and_consumer(squall, multilang,
                                                                       run_ui, tmp_path):
    statsd = StatsdListener()
    try:
        ui = run_ui(METRICS, "-e", env_extra={"SQUALL_TEST_STATSD_PORT": str(statsd.port),
                                              "SQUALL_TEST_LOG_DIR": str(tmp_path)})
        tid = topology_id(ui)

        # The REST API's component page lists the bolt's tasks' metrics.
        def ui_seen():
            page = ui.get("/api/v1/topology/{}/component/check".format(tid))
            return [m for m in page["taskMetrics"] if m["name"] == "seen"] or None
        seen = wait_until(ui_seen, "the bolt's metric on the component page")
        assert all(m["type"] == "reported" and m["value"] >= 1 for m in seen)

        # Prometheus, through Prometheus' own parser.
        from prometheus_client.parser import text_string_to_metric_families

        def prometheus_seen():
            status, text = ui.request("/metrics")
            assert status == 200
            fams = {f.name: f for f in text_string_to_metric_families(text)}
            fam = fams.get("squall_task_metric")
            samples = [s for s in fam.samples if s.labels["name"] == "seen"
                       and s.labels["component"] == "check"] if fam else []
            return samples or None
        samples = wait_until(prometheus_seen, "the bolt's metric in /metrics")
        assert all(s.labels["topology"] == "ops-metrics" and s.value >= 1 for s in samples)

        # The Python bolt's children, read from /proc at the scrape, and each executor's
        # backpressure flag. The parser names a counter's family without `_total`.
        status, text = ui.request("/metrics")
        fams = {f.name: f for f in text_string_to_metric_families(text)}

        def child(family):
            return [s for s in fams[family].samples if s.labels["component"] == "check"]
        rss = child("squall_multilang_child_resident_memory_bytes")
        assert rss and all(s.value > 1 << 20 for s in rss), rss
        assert all(s.value >= 0 for s in child("squall_multilang_child_cpu_seconds"))
        assert child("squall_multilang_child_restarts") and child("squall_multilang_child_up")
        flags = fams["squall_executor_backpressure"].samples
        assert {s.labels["component"] for s in flags} >= {"check"}
        assert all(s.value in (0, 1) for s in flags)

        # statsd: squall.<topology>.<component>.<task>.<name>:<value>|g
        pattern = re.compile(r"^squall\.ops-metrics\.check\.(\d+)\.seen:(\d+)\|g$")

        def statsd_seen():
            found = [pattern.match(l) for l in statsd.poll()]
            return [m for m in found if m] or None
        lines = wait_until(statsd_seen, "the bolt's metric over statsd")
        # What statsd had came from the registry, which the page reads now.
        assert {int(m.group(1)) for m in lines} <= {m["task"] for m in ui_seen()}
        assert all(int(m.group(2)) >= 1 for m in lines)

        # Storm's LoggingMetricsConsumer, fed by the __metrics stream every second.
        log = tmp_path / "metrics.log"

        def consumer_seen():
            if not log.exists():
                return None
            return [l for l in log.read_text().splitlines()
                    if re.search(r"\t +\d+:check +\tseen +\t\d+$", l)] or None
        logged = wait_until(consumer_seen, "the bolt's metric in metrics.log")
        assert logged

        # The consumer is Storm's system bolt, shown with ?sys=1.
        page = ui.get("/api/v1/topology/{}?sys=1".format(tid))
        assert any(b["boltId"] == "__metricsorg.apache.storm.metric.LoggingMetricsConsumer"
                   for b in page["bolts"])
    finally:
        statsd.close()
