"""Kafka end to end: a YAML topology KafkaSpout -> Python bolt -> KafkaBolt run by the `squall`
CLI against the development cluster (squall-dev-kafka: librdkafka's mock brokers in their own
process), records produced and read back with kcat. Every record must reach the output topic
at least once and the spout's committed offsets must reach the end of the input topic.

Skips, saying why, when the squall binary, the dev cluster, kcat or the Kafka classes in the
CLI are missing. Set SQUALL_BIN / SQUALL_DEV_KAFKA to point at specific binaries.
"""

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 200


def _first_existing(paths):
    for p in paths:
        if p and Path(p).is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


def find_squall():
    return _first_existing(
        [os.environ.get("SQUALL_BIN")]
        + sorted(str(p) for p in ROOT.glob("build/*/src/cli/squall"))
        + [shutil.which("squall")]
    )


def dev_kafka_command(squall):
    """How to start the dev cluster: SQUALL_DEV_KAFKA, `squall dev-kafka`, or the standalone
    squall-dev-kafka built next to the CLI."""
    if os.environ.get("SQUALL_DEV_KAFKA"):
        return [os.environ["SQUALL_DEV_KAFKA"]]
    if squall:
        r = subprocess.run([squall, "dev-kafka", "--help"], capture_output=True, timeout=30)
        if r.returncode == 0:
            return [squall, "dev-kafka"]
    sibling = Path(squall).parents[1] / "kafka" / "squall-dev-kafka" if squall else None
    standalone = _first_existing(
        [sibling]
        + sorted(str(p) for p in ROOT.glob("build/*/src/kafka/squall-dev-kafka"))
        + [shutil.which("squall-dev-kafka")]
    )
    return [standalone] if standalone else None


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class DevKafka:
    """The dev cluster as a child process, with its control FIFO and its stdout lines."""

    def __init__(self, cmd, tmp, topics):
        self.bootstrap_file = tmp / "bootstrap"
        self.fifo = tmp / "control"
        args = cmd + ["--bootstrap-file", str(self.bootstrap_file), "--control", str(self.fifo)]
        for t in topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: self.bootstrap_file.exists() or self.proc.poll() is not None, 20,
                 "the dev cluster to start")
        if self.proc.poll() is not None:
            raise AssertionError(f"dev cluster exited: {self.proc.stderr.read()}")
        self.bootstrap = self.bootstrap_file.read_text().strip()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def command(self, line, timeout=10):
        with open(self.fifo, "w") as f:
            f.write(line + "\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                out = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if out.startswith(f"dev-kafka: {line}:"):
                return out.split(":", 2)[2].strip()
        raise AssertionError(f"no answer to '{line}'")

    def committed_at_end(self, group, topic):
        answer = self.command(f"offsets {group} {topic}")
        if not answer.startswith("ok "):
            return False
        pairs = [p.split("=")[1].split("/") for p in answer[3:].split()]
        # A partition that never held a record has nothing to commit (Storm's spout commits
        # only offsets it emitted); kcat's sticky partitioner may leave one empty.
        return all(c == end or (c == "none" and end == "0") for c, end in pairs)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def tools():
    squall = find_squall()
    dev = dev_kafka_command(squall)
    kcat = shutil.which("kcat")
    return squall, dev, kcat


def test_dev_cluster_serves_kcat(tools, tmp_path):
    _, dev_cmd, kcat = tools
    if not dev_cmd:
        pytest.skip("no squall-dev-kafka (build src/kafka) and no `squall dev-kafka`")
    if not kcat:
        pytest.skip("kcat is not installed (Debian package kcat; scripts/setup.sh installs it)")
    dev = DevKafka(dev_cmd, tmp_path, ["t:3"])
    try:
        listing = subprocess.run([kcat, "-b", dev.bootstrap, "-L", "-t", "t"], capture_output=True,
                                 text=True, timeout=30)
        assert 'topic "t" with 3 partitions' in listing.stdout, listing.stdout + listing.stderr
        subprocess.run([kcat, "-b", dev.bootstrap, "-P", "-t", "t", "-K:"], input="a:1\nb:2\n",
                       text=True, check=True, timeout=30)
        got = subprocess.run([kcat, "-b", dev.bootstrap, "-C", "-t", "t", "-o", "beginning", "-e",
                              "-q", "-f", "%k=%s\\n"], capture_output=True, text=True, timeout=30)
        assert sorted(got.stdout.split()) == ["a=1", "b=2"]
        assert dev.command("down 1") == "ok"
        assert dev.command("up 1") == "ok"
        assert dev.command("bogus").startswith("error")
    finally:
        dev.stop()


UPPER_BOLT = '''\
import storm


class Upper(storm.BasicBolt):
    def process(self, tup):
        # KafkaSpout's default fields: topic, partition, offset, key, value
        storm.emit([tup.values[3], tup.values[4].upper()])


Upper().run()
'''

TOPOLOGY = '''\
name: "kafka-e2e"
config:
  topology.message.timeout.secs: 30
spouts:
  - id: "kafka"
    className: "org.apache.storm.kafka.spout.KafkaSpout"
    constructorArgs:
      - bootstrap.servers: "{bootstrap}"
        topics: ["in"]
        group.id: "e2e"
        first.poll.offset.strategy: "UNCOMMITTED_EARLIEST"
        offset.commit.period.ms: 200
        kafka:
          fetch.wait.max.ms: 10
    parallelism: 1
bolts:
  - id: "upper"
    className: "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"
    constructorArgs:
      - ["python3", "upper_bolt.py"]
      - ["key", "message"]
    parallelism: 2
  - id: "to-kafka"
    className: "org.apache.storm.kafka.bolt.KafkaBolt"
    constructorArgs:
      - bootstrap.servers: "{bootstrap}"
        topic: "out"
    parallelism: 1
streams:
  - from: "kafka"
    to: "upper"
    grouping:
      type: SHUFFLE
  - from: "upper"
    to: "to-kafka"
    grouping:
      type: SHUFFLE
'''


def test_kafka_to_python_to_kafka(tools, tmp_path):
    squall, dev_cmd, kcat = tools
    if not squall:
        pytest.skip("no squall binary (build src/cli, or set SQUALL_BIN)")
    if not dev_cmd:
        pytest.skip("no squall-dev-kafka (build src/kafka) and no `squall dev-kafka`")
    if not kcat:
        pytest.skip("kcat is not installed (Debian package kcat; scripts/setup.sh installs it)")
    classes = subprocess.run([squall, "classes"], capture_output=True, text=True, timeout=30).stdout
    for cls in ("org.apache.storm.kafka.spout.KafkaSpout",
                "org.apache.storm.flux.wrappers.bolts.FluxShellBolt"):
        if cls not in classes:
            pytest.skip(f"this squall binary does not know {cls} "
                        "(the CLI must link squall_kafka and squall_multilang)")

    dev = DevKafka(dev_cmd, tmp_path, ["in:2", "out:2"])
    run = None
    try:
        lines = "".join(f"k{i}:v{i}\n" for i in range(RECORDS))
        subprocess.run([kcat, "-b", dev.bootstrap, "-P", "-t", "in", "-K:"], input=lines, text=True,
                       check=True, timeout=60)
        (tmp_path / "resources").mkdir()
        (tmp_path / "resources" / "upper_bolt.py").write_text(UPPER_BOLT)
        topo = tmp_path / "kafka.yaml"
        topo.write_text(TOPOLOGY.format(bootstrap=dev.bootstrap))
        log = open(tmp_path / "squall.log", "w")
        run = subprocess.Popen([squall, "run", str(topo), "--duration", "120"], stdout=log,
                               stderr=subprocess.STDOUT)

        seen = {}

        def all_out():
            got = subprocess.run([kcat, "-b", dev.bootstrap, "-C", "-t", "out", "-o", "beginning",
                                  "-e", "-q", "-f", "%k=%s\\n"],
                                 capture_output=True, text=True, timeout=30)
            for line in got.stdout.split():
                k, _, v = line.partition("=")
                seen[k] = v
            assert run.poll() is None, (tmp_path / "squall.log").read_text()
            return len(seen) >= RECORDS

        wait_for(all_out, 90, "every record in the output topic")
        for i in range(RECORDS):
            assert seen.get(f"k{i}") == f"V{i}", f"k{i} -> {seen.get(f'k{i}')}"
        wait_for(lambda: dev.committed_at_end("e2e", "in"), 30,
                 "the spout's committed offsets to reach the end of 'in'")
    finally:
        if run and run.poll() is None:
            run.send_signal(signal.SIGINT)
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                run.kill()
                run.wait()
        dev.stop()


DSL_TOPOLOGY = '''
from squall.dsl import JavaBolt, JavaSpout, Topology


class KafkaCopy(Topology):
    orders = JavaSpout.spec(
        full_class_name="org.apache.storm.kafka.spout.KafkaSpout",
        args_list=[{"bootstrap.servers": "localhost:9092", "topics": ["orders"],
                    "group.id": "copy"}])
    log = JavaBolt.spec(full_class_name="org.apache.storm.flux.wrappers.bolts.LogInfoBolt",
                        inputs=[orders])
'''


def test_the_python_dsl_reaches_the_kafka_spout(squall, tmp_path):
    if "org.apache.storm.kafka.spout.KafkaSpout" not in squall.classes():
        pytest.skip("this squall binary was built without the Kafka components")
    topo = tmp_path / "kafka_copy.py"
    topo.write_text(DSL_TOPOLOGY)
    described = squall.run("describe", str(topo))
    assert described.returncode == 0, described.stdout + described.stderr
    line = next(l for l in described.stdout.splitlines() if l.strip().startswith("orders"))
    assert "org.apache.storm.kafka.spout.KafkaSpout" in line
    assert "[topic, partition, offset, key, value]" in line
    # A bad argument is caught when the topology is checked, and named.
    topo.write_text(DSL_TOPOLOGY.replace('"group.id"', '"group.idd"'))
    bad = squall.run("validate", str(topo))
    assert bad.returncode != 0
    assert "group.idd" in bad.stdout + bad.stderr
