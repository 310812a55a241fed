"""`squall nimbus` speaking Storm's Nimbus Thrift service, driven two ways: by the squall CLI
verbs (list, kill, activate, deactivate, rebalance) and by a Python client generated from the
same IDL with Debian's thrift compiler and python3-thrift, as Storm's own Python clients
(streamparse) talk to nimbus: upload, submit, query, kill. Malformed frames are sent on raw
sockets; the server must answer with an error or close that connection, and keep serving."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import ROOT, wait_for_output

IDL = os.path.join(ROOT, "src", "thrift", "storm.thrift")
DEADLINE = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gen():
    """The Python modules of storm.thrift, generated for this run."""
    if not shutil.which("thrift"):
        pytest.fail("thrift compiler not installed (scripts/setup.sh test installs it)")
    out = tempfile.mkdtemp(prefix="squall-thrift-py-")
    subprocess.run(["thrift", "--gen", "py", "-out", out, IDL], check=True)
    sys.path.insert(0, out)
    try:
        from squall_storm_thrift import Nimbus, ttypes  # noqa: generated
        # Python's generated structs are not hashable; GlobalStreamId is a map key.
        ttypes.GlobalStreamId.__hash__ = lambda s: hash((s.componentId, s.streamId))
        yield Nimbus, ttypes
    finally:
        sys.path.remove(out)
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def nimbus(squall, tmp_path):
    port = free_port()
    proc = squall.start("nimbus", "-c", "nimbus.thrift.port={}".format(port),
                        "-c", "storm.local.dir={}".format(tmp_path / "local"),
                        "-c", "nimbus.thrift.max_buffer_size=65536")
    try:
        wait_for_output(proc, "serving Storm's Nimbus Thrift service", DEADLINE)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read()


def client(gen, port):
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport
    Nimbus, _ = gen
    transport = TTransport.TFramedTransport(TSocket.TSocket("127.0.0.1", port))
    transport.open()
    return Nimbus.Client(TBinaryProtocol.TBinaryProtocol(transport)), transport


def cli(squall, port, verb, *args):
    # The -c options before the names, as `storm kill -c k=v NAME` is written.
    return squall.run(verb, "-c", "nimbus.seeds=[\"127.0.0.1\"]",
                      "-c", "nimbus.thrift.port={}".format(port), *args)


def wordcount(ttypes):
    """A shell spout and a registered Java-named bolt, as streamparse builds a topology."""
    spout = ttypes.SpoutSpec(
        spout_object=ttypes.ComponentObject(
            shell=ttypes.ShellComponent(execution_command="python3", script="words.py")),
        common=ttypes.ComponentCommon(
            inputs={}, streams={"default": ttypes.StreamInfo(output_fields=["word"], direct=False)},
            parallelism_hint=2, json_conf="{}"))
    count = ttypes.Bolt(
        bolt_object=ttypes.ComponentObject(java_object=ttypes.JavaObject(
            full_class_name="org.apache.storm.testing.TestWordCounter", args_list=[])),
        common=ttypes.ComponentCommon(
            inputs={ttypes.GlobalStreamId(componentId="words", streamId="default"):
                    ttypes.Grouping(fields=["word"])},
            streams={"default": ttypes.StreamInfo(output_fields=["word", "count"], direct=False)},
            parallelism_hint=3, json_conf=json.dumps({"topology.tasks": 3})))
    return ttypes.StormTopology(spouts={"words": spout}, bolts={"count": count}, state_spouts={})


def summaries(c):
    return {t.name: t for t in c.getClusterInfo().topologies}


def eventually(check, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("not within {} s: {}".format(DEADLINE, what))


def test_python_client_and_cli_verbs(squall, nimbus, gen):
    _, ttypes = gen
    c, transport = client(gen, nimbus)
    try:
        assert c.isTopologyNameAllowed("wordcount")
        assert not c.isTopologyNameAllowed("word.count")
        leader = c.getLeader()
        assert leader.isLeader and leader.port == nimbus

        # StormSubmitter's upload: begin, chunks, finish; then submit naming the location.
        location = c.beginFileUpload()
        for chunk in (b"PK\x03\x04", b"\x00" * 1000, b"end"):
            c.uploadChunk(location, chunk)
        c.finishFileUpload(location)
        conf = {"topology.workers": 2, "topology.submitter.user": "ann"}
        topology = wordcount(ttypes)
        c.submitTopologyWithOpts("wordcount", location, json.dumps(conf), topology,
                                 ttypes.SubmitOptions(initial_status=ttypes.TopologyInitialStatus.ACTIVE))
        with pytest.raises(ttypes.AlreadyAliveException):
            c.submitTopology("wordcount", location, "{}", topology)
        bad = wordcount(ttypes)
        bad.bolts["count"].bolt_object = ttypes.ComponentObject(serialized_java=b"\xac\xed\x00\x05")
        with pytest.raises(ttypes.InvalidTopologyException) as refused:
            c.submitTopology("java", "", "{}", bad)
        assert "bolt 'count'" in refused.value.msg and "serialized Java" in refused.value.msg

        s = summaries(c)["wordcount"]
        assert s.status == "ACTIVE" and s.num_workers == 2 and s.owner == "ann"
        assert s.id.startswith("wordcount-1-")
        assert c.getUserTopology(s.id) == topology
        assert "__acker" in c.getTopology(s.id).bolts
        assert json.loads(c.getTopologyConf(s.id))["topology.name"] == "wordcount"
        assert json.loads(c.getNimbusConf())["nimbus.thrift.port"] == nimbus
        info = c.getTopologyInfo(s.id)
        assert sorted({e.component_id for e in info.executors}) == ["__acker", "count", "words"]
        assert c.getTopologySummaryByName("wordcount").id == s.id

        # The CLI: Storm's list table, deactivate, activate, rebalance, kill.
        out = cli(squall, nimbus, "list")
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0].split() == ["Topology_name", "Status", "Num_tasks", "Num_workers",
                                    "Uptime_secs", "Topology_Id", "Owner"]
        assert lines[1] == "-" * 88
        row = lines[2].split()
        assert row[0] == "wordcount" and row[1] == "ACTIVE" and row[3] == "2"
        assert row[5] == s.id and row[6] == "ann"
        assert lines[2].startswith("wordcount" + " " * 12 + "ACTIVE")  # %-20s %-10s

        out = cli(squall, nimbus, "deactivate", "wordcount")
        assert out.returncode == 0 and "Deactivated topology: wordcount" in out.stdout, out.stderr
        assert summaries(c)["wordcount"].status == "INACTIVE"
        out = cli(squall, nimbus, "activate", "wordcount")
        assert out.returncode == 0, out.stderr
        assert summaries(c)["wordcount"].status == "ACTIVE"

        out = cli(squall, nimbus, "rebalance", "wordcount", "-w", "1", "-n", "3", "-e", "count=2")
        assert out.returncode == 0 and "Topology wordcount is rebalancing" in out.stdout, out.stderr
        eventually(lambda: summaries(c)["wordcount"].status == "ACTIVE", "rebalance done")
        assert summaries(c)["wordcount"].num_workers == 3
        executors = [e for e in c.getTopologyInfo(s.id).executors if e.component_id == "count"]
        assert len(executors) == 2
        out = cli(squall, nimbus, "rebalance", "wordcount", "-e", "ghost=2")
        assert out.returncode == 1 and "ghost" in out.stderr
        out = cli(squall, nimbus, "rebalance", "wordcount", "-e", "count")
        assert out.returncode == 2 and "<component>=<parallelism>" in out.stderr

        out = cli(squall, nimbus, "kill", "nope")
        assert out.returncode == 1 and "NotAliveException: nope is not alive" in out.stderr
        out = cli(squall, nimbus, "kill", "wordcount", "-w", "0")
        assert out.returncode == 0 and "Killed topology: wordcount" in out.stdout, out.stderr
        eventually(lambda: "wordcount" not in summaries(c), "the killed topology removed")

        # Storm's Python clients kill with options too.
        c.submitTopology("second", "", "{}", wordcount(ttypes))
        c.killTopologyWithOpts("second", ttypes.KillOptions(wait_secs=0))
        eventually(lambda: not c.getClusterInfo().topologies, "second removed")
        with pytest.raises(ttypes.NotAliveException):
            c.activate("second")
        out = cli(squall, nimbus, "list")
        assert out.returncode == 0 and out.stdout == "No topologies running.\n", out.stderr
    finally:
        transport.close()


def test_cli_without_nimbus_fails_clearly(squall):
    port = free_port()
    out = cli(squall, port, "list")
    assert out.returncode == 1
    assert "could not find leader nimbus from seed hosts [127.0.0.1]" in out.stderr
    out = squall.run("list", "--config", "/nonexistent/storm.yaml")
    assert out.returncode == 2 and "/nonexistent/storm.yaml" in out.stderr


def raw_exchange(port, data):
    """Sends `data`, half-closes, and returns what the server wrote before it closed the
    connection (it may close, even reset, before reading everything: that is an answer too)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, BrokenPipeError, OSError) as e:
            if isinstance(e, socket.timeout):
                raise
    return got


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def call(name, args=b"\x00", seq=1):
    # TBinaryProtocol strict message header: version | CALL, name, seqid; then the args struct.
    return struct.pack(">I", 0x80010001) + struct.pack(">i", len(name)) + name + \
        struct.pack(">i", seq) + args


def test_malformed_frames_leave_the_server_serving(squall, nimbus, gen):
    _, ttypes = gen
    # Garbage (an HTTP request), a frame length past nimbus.thrift.max_buffer_size, a negative
    # length, a call whose argument struct is cut short, and one with a field of no Thrift type
    # (123): each closes its connection.
    submit = call(b"submitTopology", b"\x0b\x00\x01\x00\x00\x00\x05wor")
    bad_type = call(b"getTopologyInfo", b"\x7b\x00\x01\x00")
    for data in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", struct.pack(">i", 1 << 30) + b"x" * 100,
                 struct.pack(">i", -5), frame(submit), frame(bad_type), frame(b"\x80\x01"),
                 frame(b"")):
        raw_exchange(nimbus, data)
    # A call the service does not have gets Storm's error reply: TApplicationException.
    reply = raw_exchange(nimbus, frame(call(b"getTopologyPageInfo")))
    assert len(reply) > 8
    length, = struct.unpack(">i", reply[:4])
    assert length == len(reply) - 4
    version, = struct.unpack(">I", reply[4:8])
    assert version & 0xff == 3  # EXCEPTION
    assert b"getTopologyPageInfo" in reply
    # Still serving.
    c, transport = client(gen, nimbus)
    try:
        assert c.getLeader().isLeader
        assert c.getClusterInfo().topologies == []
    finally:
        transport.close()
