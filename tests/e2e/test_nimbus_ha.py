"""Nimbus HA on a real ZooKeeper: two `squall nimbus` processes elect a leader; a topology is
uploaded and submitted through the Python Thrift client (as Storm's Python clients do) and
scheduled at once onto a supervisor's slots (/assignments); the other nimbus refuses changes as
Storm's non-leader does and copies the topology's blobs; after kill -9 of the leader the other
leads within a bound (the time printed), `squall list` answers through it, and the assignment
is unchanged. The supervisor is registered in /supervisors with ZooKeeper's own CLI (a
persistent node standing for what `squall supervisor` publishes), so only nimbus is tested."""

import hashlib
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import wait_for_output, wait_until
from test_nimbus_thrift import client, free_port, gen, wordcount  # noqa: F401
from zookeeper_server import zookeeper  # noqa: F401

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
DEADLINE = 60
DIGEST = "squall:e2e-cluster-digest"
JAR = b"PK\x03\x04" + b"\x01" * 5000
JAR_SHA256 = hashlib.sha256(JAR).hexdigest()


def zk_create(zookeeper, path, data):
    """Creates a node with ZooKeeper's Java CLI (Debian's zookeeper package)."""
    out = subprocess.run([ZKCLI, "-server", zookeeper.address, "create", path, data],
                         capture_output=True, text=True, timeout=DEADLINE)
    assert "Created " + path in out.stdout + out.stderr, out.stdout + out.stderr


class Nimbus:
    def __init__(self, squall, zookeeper, tmp_path, index):
        self.port = free_port()
        self.local = tmp_path / "nimbus-{}".format(index)
        self.local.mkdir()
        self.log = open(self.local / "nimbus.log", "w")
        args = ["nimbus",
                "-c", "storm.zookeeper.servers=[\"127.0.0.1\"]",
                "-c", "storm.zookeeper.port={}".format(zookeeper.port),
                "-c", "storm.zookeeper.root=/ha-e2e",
                "-c", "storm.zookeeper.session.timeout=2000",
                "-c", "storm.zookeeper.auth.scheme=digest",
                "-c", "storm.zookeeper.auth.payload={}".format(DIGEST),
                "-c", "nimbus.thrift.port={}".format(self.port),
                "-c", "storm.local.dir={}".format(self.local)]
        # stderr (the log) to a file: a pipe nobody reads would block the daemon.
        self.proc = subprocess.Popen([squall.binary, *args], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        wait_for_output(self.proc, "serving Storm's Nimbus Thrift service", DEADLINE)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_text(self):
        self.log.flush()
        return (self.local / "nimbus.log").read_text()


def leader_port(gen, nimbus):
    try:
        c, transport = client(gen, nimbus.port)
    except Exception:
        return None
    try:
        return c.getLeader().port
    except Exception:
        return None
    finally:
        transport.close()


def test_leader_killed_other_leads_and_serves(squall, zookeeper, gen, tmp_path):
    if not os.path.exists(ZKCLI):
        pytest.skip("ZooKeeper's CLI is not installed (Debian package zookeeper)")
    _, ttypes = gen
    nimbuses = [Nimbus(squall, zookeeper, tmp_path, 1)]
    try:
        wait_until(lambda: leader_port(gen, nimbuses[0]) == nimbuses[0].port, "the first leads")
        nimbuses.append(Nimbus(squall, zookeeper, tmp_path, 2))
        leader, other = nimbuses
        supervisor = {"time_secs": int(time.time()), "hostname": "sup-host", "used_ports": [],
                      "meta": [6700, 6701], "uptime_secs": 1, "version": "e2e"}
        zk_create(zookeeper, "/ha-e2e/supervisors/sup-e2e", json.dumps(supervisor))

        c, transport = client(gen, leader.port)
        try:
            location = c.beginFileUpload()
            c.uploadChunk(location, JAR)
            c.finishFileUpload(location)
            submitted = time.monotonic()
            c.submitTopology("words", location, json.dumps({"topology.workers": 2}),
                             wordcount(ttypes))
            # Scheduled before submit returns (Storm waits for its 10 s timer).
            print("submit with its assignment written: {:.0f} ms".format(
                (time.monotonic() - submitted) * 1000))
            # 3 workers would need 3 slots; the supervisor has 2, one of them free... none now.
            with pytest.raises(ttypes.InvalidTopologyException) as refused:
                c.submitTopology("big", "", json.dumps({"topology.workers": 3}),
                                 wordcount(ttypes))
            assert "needs 3 worker slot(s) but the cluster has 0 free" in refused.value.msg
            # The digest guarding the topologies' secrets is not served to Thrift clients.
            conf = json.loads(c.getNimbusConf())
            assert conf["storm.zookeeper.auth.payload"] == "########"
            assert DIGEST not in c.getNimbusConf()
            summary = c.getClusterInfo()
            [topology] = summary.topologies
            assert topology.num_workers == 2
            assert [(s.supervisor_id, s.num_workers, s.num_used_workers)
                    for s in summary.supervisors] == [("sup-e2e", 2, 2)]
            assert sorted(n.port for n in summary.nimbuses) == sorted(n.port for n in nimbuses)
            before = c.getTopologyInfo(topology.id)
            slots = {(e.host, e.port) for e in before.executors}
            assert slots == {("sup-host", 6700), ("sup-host", 6701)}
        finally:
            transport.close()

        # The other refuses as Storm's non-leader does and names the leader.
        c2, t2 = client(gen, other.port)
        try:
            with pytest.raises(Exception) as refused:
                c2.killTopology("words")
            assert ("not a leader, current leader is NimbusInfo{{host='127.0.0.1', port={}, "
                    "isLeader=true}}".format(leader.port)) in str(refused.value)
        finally:
            t2.close()
        # It holds a copy of the three blobs (the jar checked against its SHA-256).
        blobs = other.local / "nimbus" / "blobs"
        wait_until(lambda: (blobs / (topology.id + "-stormcode.ser")).exists()
                   and (blobs / (topology.id + "-stormconf.ser")).exists()
                   # by its final name: a copy in flight is named SHA.download
                   and (other.local / "nimbus" / "artifacts" / JAR_SHA256).exists(),
                   "the blobs copied to the other nimbus")

        killed = time.monotonic()
        leader.proc.send_signal(signal.SIGKILL)
        leader.proc.wait()
        wait_until(lambda: leader_port(gen, other) == other.port, "the other nimbus leads",
                   timeout=DEADLINE)
        print("new leader {:.2f} s after kill -9 of the leader".format(time.monotonic() - killed))

        seeds = "nimbus.seeds=[\"127.0.0.1:{}\", \"127.0.0.1:{}\"]".format(leader.port, other.port)
        out = squall.run("list", "-c", seeds)
        assert out.returncode == 0, out.stderr
        assert topology.id in out.stdout and "ACTIVE" in out.stdout
        c, transport = client(gen, other.port)
        try:
            after = c.getTopologyInfo(topology.id)
            assert {(e.executor_info.task_start, e.host, e.port) for e in after.executors} == \
                {(e.executor_info.task_start, e.host, e.port) for e in before.executors}
            jar = c.beginBlobDownload(topology.id + "-stormjar.jar")
            assert jar.data_size == 5004
        finally:
            transport.close()
        out = squall.run("kill", "-c", seeds, "words", "-w", "0")
        assert out.returncode == 0 and "Killed topology: words" in out.stdout, out.stderr
        wait_until(lambda: squall.run("list", "-c", seeds).stdout == "No topologies running.\n",
                   "the topology removed by the new leader")
    finally:
        for n in nimbuses:
            n.stop()
