"""`squall run FILE --ui PORT`: Storm's UI REST API and Prometheus /metrics on a real run.

Each test starts the binary on a free loopback port, waits for the port with a deadline,
reads the endpoints with urllib, and stops the process it started."""

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.request

import pytest

from conftest import DEADLINE_SECS, wait_until, E2E, EXAMPLES

OPS = os.path.join(E2E, "ops", "ops.yaml")
TEST_WORDS = os.path.join(EXAMPLES, "test_words.yaml")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ui:
    def __init__(self, proc, port):
        self.proc = proc
        self.port = port
        self.base = "http://127.0.0.1:{}".format(port)

    def request(self, path, method="GET", body=None):
        """(status, parsed JSON or text) of one request."""
        req = urllib.request.Request(self.base + path, method=method, data=body)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        text = data.decode("utf-8")
        return status, json.loads(text) if ctype.startswith("application/json") else text

    def get(self, path):
        status, body = self.request(path)
        assert status == 200, (path, status, body)
        return body

    def post(self, path):
        return self.request(path, method="POST", body=b"")

    def alive(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            assert self.proc.poll() is None, "squall exited: " + self.proc.stderr.read()
            return False


@pytest.fixture
def run_ui(squall):
    started = []

    def start(path, *extra, duration=120, env_extra=None):
        port = free_port()
        proc = squall.start("run", path, "--ui", str(port), "--duration", str(duration),
                            "--kill-wait", "0", *extra, env=env_extra)
        started.append(proc)
        ui = Ui(proc, port)
        wait_until(ui.alive, "the UI port")
        return ui

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=DEADLINE_SECS)


def topology_id(ui):
    topologies = ui.get("/api/v1/topology/summary")["topologies"]
    assert len(topologies) == 1
    return topologies[0]["id"]


def component(page, kind, name):
    key = "spoutId" if kind == "spouts" else "boltId"
    return next(c for c in page[kind] if c[key] == name)


def test_summaries_topology_and_component_pages(squall, run_ui):
    ui = run_ui(TEST_WORDS)
    cluster = ui.get("/api/v1/cluster/summary")
    for key in ("stormVersion", "supervisors", "topologies", "slotsTotal", "slotsUsed",
                "slotsFree", "executorsTotal", "tasksTotal"):
        assert key in cluster, key
    assert cluster["topologies"] == 1
    nimbus = ui.get("/api/v1/nimbus/summary")["nimbuses"][0]
    assert nimbus["status"] == "Leader" and nimbus["port"] == ui.port
    assert ui.get("/api/v1/supervisor/summary")["supervisors"][0]["slotsUsed"] == 1
    topo = ui.get("/api/v1/topology/summary")["topologies"][0]
    assert topo["name"] == "test-words" and topo["status"] == "ACTIVE"
    tid = topo["id"]

    # emitted grows
    first = component(ui.get("/api/v1/topology/" + tid), "spouts", "words")["emitted"]
    later = wait_until(
        lambda: component(ui.get("/api/v1/topology/" + tid), "spouts", "words")["emitted"]
        > first, "the spout's emitted count to grow")
    assert later

    page = ui.get("/api/v1/topology/{}?window=600".format(tid))
    assert page["window"] == "600" and page["windowHint"] == "10m 0s"
    assert [w["window"] for w in page["topologyStats"]] == ["600", "10800", "86400", ":all-time"]
    words = component(page, "spouts", "words")
    for key in ("emitted", "transferred", "acked", "failed", "completeLatency", "lastError",
                "executors", "tasks"):
        assert key in words, key
    count = component(page, "bolts", "count")
    for key in ("emitted", "transferred", "acked", "failed", "executed", "executeLatency",
                "processLatency", "capacity", "lastError"):
        assert key in count, key
    assert count["executed"] > 0 and count["executors"] == 2
    assert 0.0 <= float(count["capacity"]) <= 1.5
    assert not any(b["boltId"] == "__acker" for b in page["bolts"])
    assert any(b["boltId"] == "__acker" for b in ui.get("/api/v1/topology/" + tid + "?sys=1")
               ["bolts"])

    comp = ui.get("/api/v1/topology/{}/component/count".format(tid))
    assert comp["componentType"] == "bolt" and comp["topologyId"] == tid
    assert len(comp["executorStats"]) == 2
    assert [s["window"] for s in comp["boltStats"]] == ["600", "10800", "86400", ":all-time"]
    inputs = {(s["component"], s["stream"]) for s in comp["inputStats"]}
    assert inputs == {("words", "default")}
    assert {s["stream"] for s in comp["outputStats"]} == {"default"}

    vis = ui.get("/api/v1/topology/{}/visualization".format(tid))
    assert vis["count"][":type"] == "bolt"
    assert vis["count"][":inputs"][0][":component"] == "words"
    assert vis["count"][":inputs"][0][":grouping"] == "fields"
    assert ui.get("/api/v1/topology/{}/lag".format(tid)) == {}


def test_bad_paths_ids_and_hostile_requests(squall, run_ui):
    ui = run_ui(TEST_WORDS)
    tid = topology_id(ui)
    for path, status in [("/api/v1/topology/no-such-id", 404),
                         ("/api/v1/topology/{}/component/nope".format(tid), 404),
                         ("/api/v1/no/such/path", 404),
                         ("/api/v1/topology/{}?window=5".format(tid), 400),
                         ("/api/v1/topology/%zz", 400),
                         ("/api/v1/topology/{}/kill/0".format(tid), 405)]:
        got, body = ui.request(path)
        assert got == status, (path, got, body)
        assert body["error"].startswith(str(status)), body
        assert body["errorMessage"], body
    got, body = ui.post("/api/v1/topology/{}/kill/forever".format(tid))
    assert got == 400 and "errorMessage" in body
    got, body = ui.post("/api/v1/topology/{}/rebalance/0".format(tid))
    assert got == 500 and body["error"] == "500 Server Error"

    # A path longer than the HTTP layer accepts, a long one it accepts, huge headers: each
    # is refused or answered, and the server keeps serving.
    got, _ = ui.request("/api/v1/topology/" + "x" * 100000)
    assert got == 414
    got, body = ui.request("/api/v1/topology/" + "%41" * 2500)
    assert got == 404 and body["errorMessage"].endswith("is not alive")
    got, body = ui.post("/api/v1/topology/" + "y" * 8000 + "/activate")
    assert got == 404
    conn = http.client.HTTPConnection("127.0.0.1", ui.port, timeout=10)
    conn.putrequest("GET", "/api/v1/cluster/summary")
    conn.putheader("X-Big", "z" * 100000)
    try:
        conn.endheaders()
        status = conn.getresponse().status
    except (ConnectionError, http.client.HTTPException):
        status = None  # the server may close the connection instead of answering
    conn.close()
    assert status in (None, 400, 431)

    # Endless header lines: the server stops reading after a bounded amount (it answers 400
    # and closes) instead of keeping them all.
    sent = 0
    with socket.create_connection(("127.0.0.1", ui.port), timeout=10) as s:
        s.sendall(b"GET /api/v1/cluster/summary HTTP/1.1\r\nHost: x\r\n")
        line = b"X-H: " + b"a" * 4000 + b"\r\n"
        try:
            while sent < 64 * 1024 * 1024:
                s.sendall(line * 16)
                sent += 16 * len(line)
        except OSError:
            pass
    assert sent < 64 * 1024 * 1024, "the server kept reading header lines"
    assert ui.get("/api/v1/cluster/summary")["topologies"] == 1


def test_actions_reliable_drain_errors_and_metrics(squall, multilang, run_ui):
    ui = run_ui(OPS)
    tid = topology_id(ui)
    page = lambda: ui.get("/api/v1/topology/" + tid)
    wait_until(lambda: component(page(), "bolts", "sink")["executed"] >= 100, "tuples to flow")

    # The Python bolt's error, with its whole traceback, on the component page.
    def traceback():
        errors = ui.get("/api/v1/topology/{}/component/check".format(tid))["componentErrors"]
        return next((e["error"] for e in errors if "three is not allowed" in e["error"]), None)
    text = wait_until(traceback, "the bolt's error")
    assert "Traceback (most recent call last)" in text and "in check" in text
    assert text.count("\n") >= 3
    assert "three is not allowed" in component(page(), "bolts", "check")["lastError"]

    # The multilang `metrics` command reaches /metrics, parsed by Prometheus' own parser.
    from prometheus_client.parser import text_string_to_metric_families

    def families():
        status, text = ui.request("/metrics")
        assert status == 200
        return {f.name: f for f in text_string_to_metric_families(text)}
    fams = wait_until(lambda: (lambda f: f if "squall_task_metric" in f else None)(families()),
                      "the bolt's metric")
    seen = [s for s in fams["squall_task_metric"].samples
            if s.labels["component"] == "check" and s.labels["name"] == "seen"]
    assert seen and all(s.value >= 1 for s in seen)
    emitted = [s for s in fams["squall_emitted"].samples
               if s.labels["component"] == "numbers" and s.labels["stream"] == "default"]
    assert emitted and emitted[0].value > 0
    assert "squall_execute_latency_seconds" in fams and "squall_capacity" in fams

    # Deactivate: the spout stops emitting and, drained, every tree it emitted is acked.
    status, body = ui.post("/api/v1/topology/{}/deactivate".format(tid))
    assert status == 200 and body == {"topologyOperation": "deactivate", "topologyId": tid,
                                      "status": "success"}
    assert ui.get("/api/v1/topology/summary")["topologies"][0]["status"] == "INACTIVE"

    def drained():
        s = component(page(), "spouts", "numbers")
        return s if s["emitted"] > 0 and s["acked"] + s["failed"] == s["emitted"] else None
    before = wait_until(drained, "the spout's trees to finish")
    assert before["acked"] == before["emitted"] and before["failed"] == 0
    time.sleep(0.5)  # a stopped spout stays stopped: nothing more is emitted meanwhile
    assert component(page(), "spouts", "numbers")["emitted"] == before["emitted"]

    status, _ = ui.post("/api/v1/topology/{}/activate".format(tid))
    assert status == 200
    wait_until(lambda: component(page(), "spouts", "numbers")["emitted"] > before["emitted"],
               "the spout to emit again")

    status, body = ui.post("/api/v1/topology/{}/kill/0".format(tid))
    assert status == 200 and body["topologyOperation"] == "kill"
    assert ui.proc.wait(timeout=DEADLINE_SECS) == 0


def test_read_only_refuses_actions(squall, run_ui):
    ui = run_ui(TEST_WORDS, "-c", "ui.actions.enabled=false")
    tid = topology_id(ui)
    for action in ("deactivate", "activate", "kill/0", "rebalance/0"):
        status, body = ui.post("/api/v1/topology/{}/{}".format(tid, action))
        assert status == 403, (action, body)
        assert body["error"] == "403 Forbidden"
    assert ui.get("/api/v1/topology/summary")["topologies"][0]["status"] == "ACTIVE"
    assert ui.proc.poll() is None


def test_ui_with_workers_is_refused(squall):
    r = squall.run("run", TEST_WORDS, "--workers", "2", "--ui", "0", "--duration", "1")
    assert r.returncode == 2 and "--ui" in r.stderr
    assert "squall ui" in r.stderr and "worker.metrics.port.offset" in r.stderr


def test_ui_port_zero_logs_the_port_it_chose(squall):
    import re
    import selectors

    proc = squall.start("run", TEST_WORDS, "--ui", "0", "--duration", "60", "--kill-wait", "0")
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + DEADLINE_SECS
        port = None
        while port is None:
            assert time.monotonic() < deadline, "no UI log line"
            for key, _ in sel.select(timeout=1):
                line = key.fileobj.readline()
                m = re.search(r"UI: Storm's REST API at http://127\.0\.0\.1:(\d+)/api/v1/", line)
                if m:
                    port = int(m.group(1))
            assert proc.poll() is None, "squall exited"
        ui = Ui(proc, port)
        assert ui.get("/api/v1/topology/summary")["topologies"][0]["name"] == "test-words"

        # The first scrape can come before the spout's first counts are published.
        def counted():
            status, text = ui.request("/metrics")
            return (status, text) if "squall_emitted_total{" in text else None
        status, text = wait_until(counted, "the first emits in /metrics")
        assert status == 200 and "squall_emitted_total{" in text
    finally:
        proc.kill()
        proc.communicate(timeout=DEADLINE_SECS)


def test_web_ui_is_served_and_renders_the_api(squall, run_ui, tmp_path):
    """The page and its assets come from the binary (no other origin), and its render
    functions, run in Node on this run's own API replies, draw every component."""
    import shutil
    import subprocess

    ui = run_ui(TEST_WORDS)
    tid = topology_id(ui)
    page = ui.get("/")
    assert "<script src=\"/ui/squall.js\">" in page
    js, css = ui.get("/ui/squall.js"), ui.get("/ui/squall.css")
    for text in (page, js, css):
        assert "http://" not in text and "https://" not in text, "an asset from elsewhere"
    status, body = ui.request("/ui/nope.js")
    assert status == 404 and body["error"] == "404 Not Found"
    node = shutil.which("node")
    if not node:
        pytest.skip("no node to run the page's script")
    (tmp_path / "squall.js").write_text(js)
    for name, path in [("cluster", "/api/v1/cluster/summary"),
                       ("topologies", "/api/v1/topology/summary"),
                       ("topology", "/api/v1/topology/" + tid),
                       ("vis", "/api/v1/topology/{}/visualization".format(tid)),
                       ("component", "/api/v1/topology/{}/component/count".format(tid))]:
        (tmp_path / (name + ".json")).write_text(json.dumps(ui.get(path)))
    script = """
const ui = require('./squall.js');
const read = (n) => JSON.parse(require('fs').readFileSync(n + '.json', 'utf8'));
process.stdout.write(JSON.stringify({
  cluster: ui.renderCluster(read('cluster'), read('topologies')),
  topology: ui.renderTopology(read('topology'), read('vis')),
  component: ui.renderComponent(read('component')),
  escaped: ui.esc('<b>"x"</b>'),
  summary: ui.errorSummary('Traceback (most recent call last):\\n  File "b.py", line 9\\nValueError: x\\n'),
}));
"""
    (tmp_path / "check.js").write_text(script)
    out = subprocess.run([node, "check.js"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=DEADLINE_SECS)
    assert out.returncode == 0, out.stderr
    html = json.loads(out.stdout)
    assert 'href="#/topology/' + tid + '"' in html["cluster"]
    for name in ("words", "count", "log"):
        assert ">" + name + "<" in html["topology"], name
    assert "<svg" in html["topology"] and "<line" in html["topology"]
    assert 'data-action="deactivate"' in html["topology"]
    assert "Input stats" in html["component"] and "[" in html["component"]
    assert html["escaped"] == "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"
    assert html["summary"] == "ValueError: x"
    assert "<h2>Errors</h2><p>None.</p>" in html["topology"]


KAFKA_TOPOLOGY = '''\
name: "kafka-lag"
spouts:
  - id: "kafka"
    className: "org.apache.storm.kafka.spout.KafkaSpout"
    constructorArgs:
      - bootstrap.servers: "{bootstrap}"
        topics: ["in"]
        group.id: "lag"
        first.poll.offset.strategy: "UNCOMMITTED_EARLIEST"
        offset.commit.period.ms: 200
bolts:
  - id: "log"
    className: "org.apache.storm.flux.wrappers.bolts.LogInfoBolt"
streams:
  - {{from: "kafka", to: "log", grouping: {{type: SHUFFLE}}}}
'''


def test_kafka_lag_per_partition(squall, run_ui, tmp_path):
    import shutil
    import subprocess

    from test_kafka_e2e import DevKafka, dev_kafka_command

    dev_cmd, kcat = dev_kafka_command(squall.binary), shutil.which("kcat")
    if not dev_cmd or not kcat:
        pytest.skip("needs the dev Kafka cluster (src/kafka) and kcat")
    if "org.apache.storm.kafka.spout.KafkaSpout" not in squall.classes():
        pytest.skip("this squall was built without Kafka")
    dev = DevKafka(dev_cmd, tmp_path, ["in:2"])
    try:
        subprocess.run([kcat, "-b", dev.bootstrap, "-P", "-t", "in", "-K:"], check=True,
                       input="".join("k{}:v{}\n".format(i, i) for i in range(40)), text=True,
                       timeout=60)
        topo = tmp_path / "kafka.yaml"
        topo.write_text(KAFKA_TOPOLOGY.format(bootstrap=dev.bootstrap))
        ui = run_ui(str(topo))
        tid = topology_id(ui)

        def caught_up():
            lag = ui.get("/api/v1/topology/{}/lag".format(tid))
            parts = lag.get("kafka", {}).get("spoutLagResult", {}).get("in", {})
            if sorted(parts) != ["0", "1"]:
                return None
            if any(p["lag"] != 0 for p in parts.values()):
                return None
            return lag
        lag = wait_until(caught_up, "both partitions committed to their end")
        parts = lag["kafka"]["spoutLagResult"]["in"]
        assert lag["kafka"]["spoutType"] == "KAFKA"
        assert sum(p["consumerCommittedOffset"] for p in parts.values()) == 40
        assert all(p["logHeadOffset"] == p["consumerCommittedOffset"] for p in parts.values())
        status, text = ui.request("/metrics")
        assert status == 200 and 'squall_kafka_lag{' in text and 'topic="in"' in text
    finally:
        dev.stop()


# The columns streamparse's `sparse stats` prints from each page (streamparse/cli/stats.py):
# a key it does not find prints as MISSING, so every one must be there, in every row.
SPARSE_STATS_COLUMNS = {
    "cluster": ["stormVersion", "nimbusUptime", "supervisors", "slotsTotal", "slotsUsed",
                "slotsFree", "executorsTotal", "tasksTotal"],
    "topologies": ["name", "id", "status", "uptime", "workersTotal", "executorsTotal",
                   "tasksTotal"],
    "supervisors": ["id", "host", "uptime", "slotsTotal", "slotsUsed"],
    "topologyStats": ["windowPretty", "emitted", "transferred", "completeLatency", "acked",
                      "failed"],
    "spouts": ["spoutId", "emitted", "transferred", "completeLatency", "acked", "failed"],
    "bolts": ["boltId", "executors", "tasks", "emitted", "transferred", "capacity",
              "executeLatency", "executed", "processLatency", "acked", "failed", "lastError"],
    "component": ["id", "name", "executors", "tasks"],
    "boltStats": ["windowPretty", "emitted", "transferred", "executeLatency", "executed",
                  "processLatency", "acked", "failed"],
    "inputStats": ["component", "stream", "executeLatency", "processLatency", "executed",
                   "acked", "failed"],
    "boltOutputStats": ["stream", "emitted", "transferred"],
    "spoutSummary": ["windowPretty", "emitted", "transferred", "completeLatency", "acked",
                     "failed"],
    "spoutOutputStats": ["stream", "emitted", "transferred", "completeLatency", "acked",
                         "failed"],
    "executorStats": ["id", "uptime", "host", "port", "emitted", "transferred",
                      "completeLatency", "acked", "failed"],
}


def assert_columns(what, rows, may_be_empty=False):
    rows = rows if isinstance(rows, list) else [rows]
    assert rows or may_be_empty, what + ": no rows"
    for row in rows:
        missing = [c for c in SPARSE_STATS_COLUMNS[what] if c not in row]
        assert not missing, (what, missing, row)


def test_every_column_sparse_stats_prints_is_there(squall, run_ui):
    ui = run_ui(TEST_WORDS)
    tid = topology_id(ui)
    wait_until(lambda: component(ui.get("/api/v1/topology/" + tid), "bolts", "count")
               ["executed"] > 0, "the counter to execute")
    assert_columns("cluster", ui.get("/api/v1/cluster/summary"))
    assert_columns("topologies", ui.get("/api/v1/topology/summary")["topologies"])
    assert_columns("supervisors", ui.get("/api/v1/supervisor/summary")["supervisors"])
    page = ui.get("/api/v1/topology/" + tid)
    assert_columns("topologies", page)
    for what in ("topologyStats", "spouts", "bolts"):
        assert_columns(what, page[what])
    # `sparse stats --all` asks for each component by its id from the topology page.
    for spout in page["spouts"]:
        comp = ui.get("/api/v1/topology/{}/component/{}".format(tid, spout["spoutId"]))
        assert comp["componentType"] == "spout"
        assert_columns("component", comp)
        assert_columns("spoutSummary", comp["spoutSummary"][-1])
        assert_columns("spoutOutputStats", comp["outputStats"])
        assert_columns("executorStats", comp["executorStats"])
    for bolt in page["bolts"]:
        comp = ui.get("/api/v1/topology/{}/component/{}".format(tid, bolt["boltId"]))
        assert comp["componentType"] == "bolt"
        assert_columns("component", comp)
        assert_columns("boltStats", comp["boltStats"])
        assert_columns("inputStats", comp["inputStats"])
        # A bolt that emits nothing has none: `sparse stats` then skips the table.
        assert_columns("boltOutputStats", comp["outputStats"], may_be_empty=True)
        # `sparse slot_usage` counts each component's executors by their host and port.
        assert comp["executorStats"] and all("host" in e and "port" in e
                                             for e in comp["executorStats"])
