"""`squall ui` (Storm's `storm ui`) over a real cluster: `squall dev-cluster` with one
supervisor, Storm's test-words topology submitted to it, and the UI reading nimbus's Thrift API.
Each REST path answers with the same field names as `squall run --ui` (a local run of the same
topology, read side by side), an action reaches nimbus, the read-only mode refuses actions, and
a stopped or hung nimbus gives Storm's error JSON within the client's timeout."""

import json
import os
import re
import signal
import time

import pytest
import yaml

from conftest import DEADLINE_SECS, EXAMPLES, wait_until
from test_dev_cluster import (needs_zookeeper, nimbus_of, read_supervisors,  # noqa: F401
                              start_dev_cluster, stop_cleanly)
from test_cluster_submit import worker_logs
from test_ui import Ui, free_port

TEST_WORDS = os.path.join(EXAMPLES, "test_words.yaml")
# The UI's wait on nimbus: storm.thrift.socket.timeout.ms, below squall ui's cap of 5 s, so the
# hung-nimbus case below waits 2 s instead of 5.
NIMBUS_WAIT_SECS = 2


def start_cluster_ui(squall, conf, *extra):
    """`squall ui --config CONF -c ui.port=0 EXTRA`; a Ui once it prints the port it serves."""
    proc = squall.start("ui", "--config", conf, "-c", "ui.port=0", *extra)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        proc.kill()
        out, err = proc.communicate(timeout=30)
        raise AssertionError("squall ui did not say its port: {}{}\n{}".format(line, out, err))
    return Ui(proc, int(m.group(1)))


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except Exception:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    assert proc.returncode == 0


def keys(obj):
    return set(obj.keys())


def by(items, key, value):
    return next(i for i in items if i[key] == value)


def same_fields(cluster, local, what, only_local=()):
    """The cluster UI's object has exactly the local UI's fields (Storm's names), less the
    Squall additions that need the local process (`only_local`)."""
    assert keys(cluster) == keys(local) - set(only_local), (
        what, sorted(keys(cluster) ^ (keys(local) - set(only_local))))


def test_cluster_ui_serves_storms_rest_api_acts_through_nimbus_and_reports_nimbus_down(
        squall, tmp_path):
    cluster_dir = str(tmp_path / "c")
    started = []
    proc, printed = start_dev_cluster(squall, "--dir", cluster_dir, "--supervisors", "1")
    _, nimbus_pid = nimbus_of(printed["nimbus.1"])
    try:
        (supervisor_id, _, _, _), = read_supervisors(proc, 1)
        conf = printed["storm.yaml"]
        r = squall.run("submit", TEST_WORDS, "--config", conf)
        assert r.returncode == 0, r.stderr + r.stdout
        tid = re.search(r"Topology id: (\S+)", r.stdout).group(1)

        # The same topology run locally, for its field names.
        port = free_port()
        local_proc = squall.start("run", TEST_WORDS, "--ui", str(port), "--duration", "120",
                                  "--kill-wait", "0")
        started.append(local_proc)
        local = Ui(local_proc, port)
        wait_until(local.alive, "the local UI's port")
        ui = start_cluster_ui(squall, conf, "-c", "storm.thrift.socket.timeout.ms={}".format(
            NIMBUS_WAIT_SECS * 1000))
        started.append(ui.proc)
        read_only = start_cluster_ui(squall, conf, "-c", "ui.actions.enabled=false")
        started.append(read_only.proc)
        local_id = local.get("/api/v1/topology/summary")["topologies"][0]["id"]

        # Nimbus's configuration; a local run's is its topology's.
        nimbus_conf = ui.get("/api/v1/cluster/configuration")
        assert nimbus_conf["nimbus.thrift.port"] == nimbus_of(printed["nimbus.1"])[0]
        assert local.get("/api/v1/cluster/configuration")["topology.workers"] == 1
        # The cluster's ZooKeeper digest (daemons.yaml) is nimbus's, never the UI's to show.
        with open(os.path.join(cluster_dir, "daemons.yaml")) as f:
            secret = yaml.safe_load(f)["storm.zookeeper.auth.payload"]
        assert secret not in json.dumps(nimbus_conf)
        assert nimbus_conf.get("storm.zookeeper.auth.payload") in (None, "########")

        # Summaries: nimbus's supervisors, nimbuses and topologies.
        cluster = ui.get("/api/v1/cluster/summary")
        same_fields(cluster, local.get("/api/v1/cluster/summary"), "cluster summary")
        assert cluster["supervisors"] == 1 and cluster["topologies"] == 1
        assert cluster["slotsTotal"] >= 1 and cluster["executorsTotal"] >= 5
        nimbuses = ui.get("/api/v1/nimbus/summary")["nimbuses"]
        same_fields(nimbuses[0], local.get("/api/v1/nimbus/summary")["nimbuses"][0], "nimbus")
        assert [n["status"] for n in nimbuses] == ["Leader"]
        # The cluster summary's nimbusUptime (which `sparse stats` prints) is the leader's.
        assert abs(cluster["nimbusUptimeSeconds"] - nimbuses[0]["nimbusUpTimeSeconds"]) <= 2
        assert nimbuses[0]["port"] == nimbus_of(printed["nimbus.1"])[0]
        supervisors = ui.get("/api/v1/supervisor/summary")
        same_fields(supervisors, local.get("/api/v1/supervisor/summary"), "supervisor summary")
        same_fields(supervisors["supervisors"][0],
                    local.get("/api/v1/supervisor/summary")["supervisors"][0], "supervisor")
        assert [s["id"] for s in supervisors["supervisors"]] == [supervisor_id]
        topologies = ui.get("/api/v1/topology/summary")["topologies"]
        same_fields(topologies[0], local.get("/api/v1/topology/summary")["topologies"][0],
                    "topology summary")
        assert [(t["id"], t["name"], t["status"]) for t in topologies] == [
            (tid, "test-words", "ACTIVE")]

        # The topology page, once the scheduler has placed its executors on a worker.
        page = wait_until(
            lambda: (lambda p: p if p["workers"] else None)(ui.get("/api/v1/topology/" + tid)),
            "the topology's worker in its page", 90)
        local_page = local.get("/api/v1/topology/" + local_id)
        same_fields(page, local_page, "topology page")
        for kind, id_key in (("spouts", "spoutId"), ("bolts", "boltId")):
            same_fields(page[kind][0], local_page[kind][0], kind)
            assert {c[id_key] for c in page[kind]} == {c[id_key] for c in local_page[kind]}
        same_fields(page["topologyStats"][0], local_page["topologyStats"][0], "topologyStats")
        same_fields(page["workers"][0], local_page["workers"][0], "workers")
        assert [w["window"] for w in page["topologyStats"]] == ["600", "10800", "86400",
                                                                ":all-time"]
        assert page["name"] == "test-words" and page["status"] == "ACTIVE"
        assert page["workersTotal"] == 1 and page["workers"][0]["supervisorId"] == supervisor_id
        assert by(page["spouts"], "spoutId", "words")["executors"] == 2
        assert by(page["bolts"], "boltId", "count")["tasks"] == 2
        assert page["configuration"]["topology.workers"] == 1
        assert not any(b["boltId"] == "__acker" for b in page["bolts"])
        assert any(b["boltId"] == "__acker"
                   for b in ui.get("/api/v1/topology/{}?sys=1".format(tid))["bolts"])
        assert ui.get("/api/v1/topology/test-words?window=600")["window"] == "600"

        comp = ui.get("/api/v1/topology/{}/component/count".format(tid))
        local_comp = local.get("/api/v1/topology/{}/component/count".format(local_id))
        same_fields(comp, local_comp, "component page", only_local=("taskMetrics",))
        same_fields(comp["boltStats"][0], local_comp["boltStats"][0], "boltStats")
        assert comp["componentType"] == "bolt" and comp["topologyId"] == tid
        assert len(comp["executorStats"]) == 2
        same_fields(comp["executorStats"][0], local_comp["executorStats"][0], "executorStats")
        assert all(e["port"] > 0 for e in comp["executorStats"])
        assert [(s["component"], s["stream"]) for s in comp["inputStats"]] == [
            ("words", "default")]
        same_fields(comp["inputStats"][0], local_comp["inputStats"][0], "inputStats")
        assert [s["stream"] for s in comp["outputStats"]] == ["default"]
        same_fields(comp["outputStats"][0], local_comp["outputStats"][0], "outputStats")
        spout = ui.get("/api/v1/topology/{}/component/words".format(tid))
        same_fields(spout, local.get("/api/v1/topology/{}/component/words".format(local_id)),
                    "spout page", only_local=("taskMetrics",))
        status, body = ui.request("/api/v1/topology/{}/component/nope".format(tid))
        assert status == 404 and body["error"] == "404 Not Found"

        vis = ui.get("/api/v1/topology/{}/visualization".format(tid))
        local_vis = local.get("/api/v1/topology/{}/visualization".format(local_id))
        assert keys(vis) == keys(local_vis)
        same_fields(vis["count"], local_vis["count"], "visualization")
        assert vis["count"][":inputs"][0][":component"] == "words"
        assert vis["count"][":inputs"][0][":grouping"] == "fields"

        # The web UI's page and files.
        assert "<script src=\"/ui/squall.js\">" in ui.get("/")
        assert "renderTopology" in ui.get("/ui/squall.js")
        assert "squall_topology_active{topology=\"test-words\"" in ui.get("/metrics")

        # Unknown topology, read-only mode, then an action nimbus carries out.
        status, body = ui.post("/api/v1/topology/nope/deactivate")
        assert status == 404 and "nope" in body["errorMessage"]
        status, body = read_only.post("/api/v1/topology/{}/deactivate".format(tid))
        assert status == 403 and body["error"] == "403 Forbidden"
        assert "ui.actions.enabled" in body["errorMessage"]
        assert ui.get("/api/v1/topology/" + tid)["status"] == "ACTIVE"
        status, body = ui.post("/api/v1/topology/{}/deactivate".format(tid))
        assert status == 200, body
        assert body == {"topologyOperation": "deactivate", "topologyId": tid,
                        "status": "success"}
        listed = squall.run("list", "--config", conf)
        assert re.search(r"test-words\s+INACTIVE\s", listed.stdout), listed.stdout
        assert read_only.get("/api/v1/topology/" + tid)["status"] == "INACTIVE"
        status, body = ui.post("/api/v1/topology/test-words/activate")
        assert status == 200 and body["topologyId"] == tid
        assert ui.get("/api/v1/topology/summary")["topologies"][0]["status"] == "ACTIVE"

        # Log levels through nimbus's getLogConfig / setLogConfig, in a local run's fields.
        path = "/api/v1/topology/{}/logconfig".format(tid)
        assert ui.get(path) == {"namedLoggerLevels": {}}
        status, body = ui.request(path, "POST", json.dumps(
            {"namedLoggerLevels": {"count": {"target_level": "DEBUG", "timeout": 60}}}).encode())
        assert status == 200, body
        count_level = body["namedLoggerLevels"]["count"]
        local_level = local.request(
            "/api/v1/topology/{}/logconfig".format(local_id), "POST", json.dumps(
                {"namedLoggerLevels": {"count": {"target_level": "DEBUG", "timeout": 60}}}
            ).encode())[1]["namedLoggerLevels"]["count"]
        same_fields(count_level, local_level, "logconfig")
        assert count_level["target_level"] == "DEBUG" and count_level["timeout"] == 60
        assert count_level["timeout_epoch"] > time.time() * 1000
        assert read_only.get(path)["namedLoggerLevels"]["count"]["target_level"] == "DEBUG"
        status, body = read_only.request(path, "POST", b'{"namedLoggerLevels": {"count": {}}}')
        assert status == 403, body
        status, body = ui.request(path, "POST",
                                  b'{"namedLoggerLevels": {"count": {"target_level": "LOUD"}}}')
        assert status == 400 and "LOUD" in body["errorMessage"], body
        status, body = ui.request(path, "POST", b'{"namedLoggerLevels": {"count": {}}}')
        assert status == 200 and body == {"namedLoggerLevels": {}}, body

        # Debug sampling through nimbus's debug call: the pages show it, and the worker's
        # tracer logs the component's tuples.
        status, body = ui.post("/api/v1/topology/{}/component/count/debug/enable/100".format(tid))
        assert status == 200 and body["topologyOperation"] == "debug", body
        comp = ui.get("/api/v1/topology/{}/component/count".format(tid))
        assert comp["debug"] is True and comp["samplingPct"] == 100, comp
        assert ui.get("/api/v1/topology/" + tid)["debug"] is False
        wait_until(lambda: any(re.search(r"\[info\] Processing received message FOR \d+ ",
                                         open(p, errors="replace").read())
                               for p in worker_logs(cluster_dir, tid).values()),
                   "the tracer's lines in the worker's log after debug/enable", 30)
        status, body = ui.post("/api/v1/topology/{}/debug/enable/25".format(tid))
        assert status == 200, body
        page = ui.get("/api/v1/topology/" + tid)
        assert page["debug"] is True and page["samplingPct"] == 25, page
        status, body = ui.post("/api/v1/topology/{}/component/count/debug/disable/0".format(tid))
        assert status == 200, body
        assert ui.get("/api/v1/topology/{}/component/count".format(tid))["debug"] is False
        status, body = ui.post("/api/v1/topology/{}/component/nope/debug/enable/5".format(tid))
        assert status == 404 and "nope" in body["errorMessage"], body
        status, body = read_only.post("/api/v1/topology/{}/debug/enable/5".format(tid))
        assert status == 403, body

        # No Kafka spout: Storm's empty lag.
        assert ui.get("/api/v1/topology/{}/lag".format(tid)) == {}

        # A hung nimbus: an error within the client's timeout, not a hung page.
        os.kill(nimbus_pid, signal.SIGSTOP)
        try:
            asked = time.monotonic()
            status, body = ui.request("/api/v1/topology/summary")
            took = time.monotonic() - asked
        finally:
            os.kill(nimbus_pid, signal.SIGCONT)
        assert status == 500 and body["error"] == "500 Server Error", body
        assert "nimbus" in body["errorMessage"]
        assert took < NIMBUS_WAIT_SECS * 2 + 5, took
        assert ui.get("/api/v1/topology/summary")["topologies"][0]["id"] == tid

        status, body = read_only.post("/api/v1/topology/{}/kill/0".format(tid))
        assert status == 403
        status, body = ui.post("/api/v1/topology/{}/kill/0".format(tid))
        assert status == 200 and body["topologyOperation"] == "kill", body
        wait_until(lambda: ui.get("/api/v1/topology/summary")["topologies"] == [],
                   "the killed topology to leave the summary")
        status, body = ui.request("/api/v1/topology/" + tid)
        assert status == 404 and body["error"] == "404 Not Found"
    except BaseException:
        for p in started:
            p.kill()
            p.communicate(timeout=30)
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)

    # Nimbus gone: Storm's error JSON naming it, at once, and the UI still serves its page.
    for path in ("/api/v1/cluster/summary", "/api/v1/nimbus/summary",
                 "/api/v1/supervisor/summary", "/api/v1/topology/summary",
                 "/api/v1/topology/" + tid):
        status, body = ui.request(path)
        assert status == 500, (path, status, body)
        assert body["error"] == "500 Server Error"
        assert "nimbus is not reachable" in body["errorMessage"], body
    status, body = ui.post("/api/v1/topology/{}/kill/0".format(tid))
    assert status == 500 and "nimbus is not reachable" in body["errorMessage"]
    assert "<script src=\"/ui/squall.js\">" in ui.get("/")
    stop(ui.proc)
    stop(read_only.proc)
    local_proc.kill()
    local_proc.communicate(timeout=DEADLINE_SECS)


def test_cluster_ui_reads_kafka_lag_from_the_spouts_brokers(squall, tmp_path):
    """/lag over a cluster, as Storm's UI computes it: the KafkaSpout's brokers and group from
    the topology nimbus holds, their end and committed offsets; brokers gone: errorInfo."""
    import shutil
    import subprocess

    from test_kafka_e2e import DevKafka, dev_kafka_command
    from test_ui import KAFKA_TOPOLOGY

    dev_cmd, kcat = dev_kafka_command(squall.binary), shutil.which("kcat")
    if not dev_cmd or not kcat:
        pytest.skip("needs the dev Kafka cluster (src/kafka) and kcat")
    if "org.apache.storm.kafka.spout.KafkaSpout" not in squall.classes():
        pytest.skip("this squall was built without Kafka")
    dev = DevKafka(dev_cmd, tmp_path, ["in:2"])
    started = []
    proc = None
    try:
        subprocess.run([kcat, "-b", dev.bootstrap, "-P", "-t", "in", "-K:"], check=True,
                       input="".join("k{}:v{}\n".format(i, i) for i in range(40)), text=True,
                       timeout=60)
        topo = tmp_path / "kafka.yaml"
        topo.write_text(KAFKA_TOPOLOGY.format(bootstrap=dev.bootstrap))
        proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path / "c"),
                                          "--supervisors", "1")
        conf = printed["storm.yaml"]
        r = squall.run("submit", str(topo), "--config", conf)
        assert r.returncode == 0, r.stderr + r.stdout
        tid = re.search(r"Topology id: (\S+)", r.stdout).group(1)
        ui = start_cluster_ui(squall, conf)
        started.append(ui.proc)

        def caught_up():
            lag = ui.get("/api/v1/topology/{}/lag".format(tid))
            parts = lag.get("kafka", {}).get("spoutLagResult", {}).get("in", {})
            if sorted(parts) != ["0", "1"] or any(p["lag"] != 0 for p in parts.values()):
                return None
            return lag
        lag = wait_until(caught_up, "the cluster's spout to commit both partitions to their end",
                         90)
        assert list(lag) == ["kafka"]
        assert lag["kafka"]["spoutId"] == "kafka" and lag["kafka"]["spoutType"] == "KAFKA"
        parts = lag["kafka"]["spoutLagResult"]["in"]
        assert set(parts["0"]) == {"consumerCommittedOffset", "logHeadOffset", "lag"}
        assert sum(p["logHeadOffset"] for p in parts.values()) == 40
        assert all(p["consumerCommittedOffset"] == p["logHeadOffset"] for p in parts.values())

        # The brokers gone: the spout's errorInfo within the UI's wait, not a hung page.
        dev.stop()
        asked = time.monotonic()
        lag = ui.get("/api/v1/topology/{}/lag".format(tid))
        assert time.monotonic() - asked < NIMBUS_WAIT_SECS * 3 + 5
        assert "spoutLagResult" not in lag["kafka"], lag
        assert "kafka" in lag["kafka"]["errorInfo"], lag
        stop(ui.proc)
    except BaseException:
        for p in started:
            p.kill()
            p.communicate(timeout=30)
        if proc:
            proc.kill()
            proc.communicate(timeout=30)
        raise
    finally:
        dev.stop()
    stop_cleanly(proc, signal.SIGTERM)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
