"""Logs: `squall run` writes worker.log in Storm's layout (storm.log.dir/workers-artifacts/
ID/local), with a Python bolt's `log` commands and stderr tagged with its component and task;
`squall logs` prints them, one component's alone, and follows them across rotation; a level
change over the UI's REST API reaches the Python bolt's lines; each `squall worker` writes its
own worker.log in its port's folder.

Each test runs the real binary with storm.log.dir in its own temporary folder, waits on
conditions with deadlines, and stops every process it starts."""

import glob
import json
import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import DEADLINE_SECS, E2E, EXAMPLES, ROOT, wait_until

LOGS_YAML = os.path.join(E2E, "logs", "logs.yaml")
ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Started:
    """Processes started with their output in files (never a pipe nobody reads)."""

    def __init__(self, squall, tmp_path):
        self.squall = squall
        self.tmp = tmp_path
        self.procs = []

    def start(self, name, *args):
        out = open(os.path.join(self.tmp, name + ".out"), "w")
        err = open(os.path.join(self.tmp, name + ".err"), "w")
        proc = subprocess.Popen([self.squall.binary, *args], cwd=ROOT, stdout=out, stderr=err)
        proc.out_path, proc.err_path = out.name, err.name
        out.close()
        err.close()
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=DEADLINE_SECS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def started(squall, tmp_path):
    s = Started(squall, str(tmp_path))
    yield s
    s.stop_all()


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def worker_logs(log_dir, port="local"):
    return glob.glob(os.path.join(log_dir, "workers-artifacts", "*", port, "worker.log"))


def logged(log_dir, port, *needles):
    """Whether the worker logs under `log_dir` for `port` hold every needle."""
    text = "".join(read(f) for f in worker_logs(log_dir, port))
    return all(n in text for n in needles)


def run_once(squall, log_dir, *extra, secs="4"):
    # Until the bolt's INFO line and its stderr line are in the worker log: then Ctrl-C.
    r = squall.run_until("run", LOGS_YAML, "--duration", secs, "--kill-wait", "0",
                         "-c", "storm.log.dir=" + log_dir, *extra,
                         done=lambda _: logged(log_dir, "local", "info line 1", "stderr line 1"))
    assert r.returncode == 0, r.stderr + r.stdout
    return r


def test_run_writes_worker_log_in_storms_layout(squall, multilang, tmp_path):
    log_dir = str(tmp_path / "logs")
    r = run_once(squall, log_dir)
    found = worker_logs(log_dir)
    assert len(found) == 1, found
    port_dir = os.path.dirname(found[0])
    topology_id = os.path.basename(os.path.dirname(port_dir))
    assert re.match(r"^logs-1-\d+$", topology_id), topology_id
    text = read(found[0])
    # The console's lines are in the file too.
    assert "running topology 'logs'" in r.stdout
    assert re.search(r" - \[info\] running topology 'logs'", text), text[:2000]
    # The Python bolt's INFO `log` commands and its stderr, tagged with component and task;
    # its DEBUG ones are below the default level.
    assert re.search(r" chatty:\d+ \[info\] ShellLog pid:\d+, name:chatty task \d+ info line 1$",
                     text, re.M), text[:2000]
    assert re.search(r" chatty:\d+ \[info\] \[ShellBolt 'chatty' task \d+ pid \d+\] stderr line 1$",
                     text, re.M), text[:2000]
    assert "debug line" not in text
    # The spout's executor tags its lines too (its child's launch).
    assert re.search(r" numbers:\d+ \[info\] ", text)
    worker_yaml = read(os.path.join(port_dir, "worker.yaml"))
    assert 'topology-id: "{}"'.format(topology_id) in worker_yaml
    assert 'topology-name: "logs"' in worker_yaml
    assert "port:" in worker_yaml


def test_logs_prints_a_topology_and_one_component(squall, multilang, tmp_path):
    log_dir = str(tmp_path / "logs")
    run_once(squall, log_dir, secs="3")
    conf = ["-c", "storm.log.dir=" + log_dir]

    everything = squall.run("logs", "logs", *conf)
    assert everything.returncode == 0, everything.stderr
    assert "running topology 'logs'" in everything.stdout
    assert "info line 1" in everything.stdout

    chatty = squall.run("logs", "logs", "chatty", *conf)
    assert chatty.returncode == 0, chatty.stderr
    entries = [l for l in chatty.stdout.splitlines() if ENTRY.match(l)]
    assert entries and all(re.match(r"^\S+ \S+ chatty:\d+ ", l) for l in entries), entries[:5]
    assert "info line 1" in chatty.stdout and "stderr line 1" in chatty.stdout
    assert "running topology" not in chatty.stdout

    # By id as well as by name.
    topology_id = os.path.basename(os.path.dirname(os.path.dirname(worker_logs(log_dir)[0])))
    assert squall.run("logs", topology_id, "numbers", *conf).returncode == 0

    # Nothing matches: say what there is.
    missing = squall.run("logs", "nosuch", *conf)
    assert missing.returncode == 1
    assert "nosuch" in missing.stderr and topology_id in missing.stderr, missing.stderr
    nocomp = squall.run("logs", "logs", "nosuch", *conf)
    assert nocomp.returncode == 1
    assert "chatty" in nocomp.stderr and "numbers" in nocomp.stderr, nocomp.stderr
    empty = squall.run("logs", "logs", "-c", "storm.log.dir=" + str(tmp_path / "none"))
    assert empty.returncode == 1 and "storm.log.dir" in empty.stderr, empty.stderr


def test_logs_follow_across_rotation(squall, multilang, started, tmp_path):
    log_dir = str(tmp_path / "logs")
    run = started.start("run", "run", LOGS_YAML, "--duration", "120", "--kill-wait", "0",
                        "-c", "storm.log.dir=" + log_dir,
                        "-c", "worker.log.rotation.size.mb=0.02")
    wait_until(lambda: worker_logs(log_dir) or run.poll() is not None, "worker.log")
    assert run.poll() is None, read(run.err_path)
    follow = started.start("follow", "logs", "logs", "chatty", "-f",
                           "-c", "storm.log.dir=" + log_dir)
    port_dir = os.path.dirname(worker_logs(log_dir)[0])

    def followed_numbers():
        return [int(n) for n in re.findall(r"info line (\d+)$", read(follow.out_path), re.M)]

    # Wait until the file has rotated twice since the follower started, and the follower has
    # printed lines written after that.
    def newest_in_file():
        found = re.findall(r"info line (\d+)$", read(os.path.join(port_dir, "worker.log")), re.M)
        return max(int(n) for n in found) if found else None

    wait_until(lambda: os.path.exists(os.path.join(port_dir, "worker.log.2")), "two rotations")
    # The file may have just rotated: wait for a line in the new one.
    wait_until(lambda: newest_in_file() is not None, "a line in worker.log after the rotations")
    last = newest_in_file()
    wait_until(lambda: followed_numbers() and max(followed_numbers()) >= last,
               "the follower to print lines after the rotations")
    seen = followed_numbers()
    # Every line from the first the follower printed on, with no gap across the rotations.
    assert seen == list(range(seen[0], seen[0] + len(seen))), seen
    assert follow.poll() is None  # still following
    assert "==> " in read(follow.out_path)
    assert all(" chatty:" in l for l in read(follow.out_path).splitlines() if ENTRY.match(l))


def post(port, path, body):
    req = urllib.request.Request("http://127.0.0.1:{}{}".format(port, path), data=body,
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:{}{}".format(port, path), timeout=10) as r:
        return json.loads(r.read())


def test_level_change_over_rest_reaches_a_python_bolt(squall, multilang, started, tmp_path):
    log_dir = str(tmp_path / "logs")
    port = free_port()
    run = started.start("run", "run", LOGS_YAML, "--ui", str(port), "--duration", "120",
                        "--kill-wait", "0", "-c", "storm.log.dir=" + log_dir)

    def logged(needle):
        files = worker_logs(log_dir)
        assert run.poll() is None, read(run.err_path)
        return files and needle in read(files[0])

    wait_until(lambda: logged("info line 5"), "the bolt's INFO lines")
    assert not logged("debug line")
    topology_id = get(port, "/api/v1/topology/summary")["topologies"][0]["id"]
    path = "/api/v1/topology/{}/logconfig".format(topology_id)
    assert get(port, path) == {"namedLoggerLevels": {}}

    status, body = post(port, path, json.dumps(
        {"namedLoggerLevels": {"chatty": {"target_level": "DEBUG", "timeout": 0}}}).encode())
    assert status == 200, body
    chatty = body["namedLoggerLevels"]["chatty"]
    assert chatty["target_level"] == "DEBUG" and chatty["reset_level"] == "INFO", body
    assert chatty["timeout"] == 0
    wait_until(lambda: logged("ShellLog"), "ShellLog")
    wait_until(lambda: re.search(r" chatty:\d+ \[debug\] ShellLog pid:\d+, name:chatty task \d+ "
                                 r"debug line \d+$", read(worker_logs(log_dir)[0]), re.M),
               "the bolt's DEBUG lines after the change")
    assert get(port, path)["namedLoggerLevels"]["chatty"]["target_level"] == "DEBUG"

    # Bad input is refused, naming what is wrong, and changes nothing.
    status, body = post(port, path, b'{"namedLoggerLevels": {"chatty": {"target_level": "LOUD"}}}')
    assert status == 400 and "LOUD" in body["errorMessage"], body
    status, body = post(port, path, b"not json")
    assert status == 400, body
    assert get(port, path)["namedLoggerLevels"]["chatty"]["target_level"] == "DEBUG"

    # topology.debug switched on while running: the tracer's lines appear, for one component.
    status, body = post(port, "/api/v1/topology/{}/component/chatty/debug/enable/100".format(
        topology_id), b"")
    assert status == 200 and body["topologyOperation"] == "debug", body
    component = get(port, "/api/v1/topology/{}/component/chatty".format(topology_id))
    assert component["debug"] is True and component["samplingPct"] == 100, component
    wait_until(lambda: re.search(r" chatty:\d+ \[info\] Processing received message FOR \d+ ",
                                 read(worker_logs(log_dir)[0])),
               "the tracer's lines after debug/enable")
    status, body = post(port, "/api/v1/topology/{}/debug/enable/101".format(topology_id), b"")
    assert status == 400, body
    status, body = post(port, "/api/v1/topology/{}/component/chatty/debug/disable/0".format(
        topology_id), b"")
    assert status == 200, body
    assert get(port, "/api/v1/topology/{}/component/chatty".format(topology_id))["debug"] is False

    # Clearing the logger (no target_level) puts it back.
    status, body = post(port, path, b'{"namedLoggerLevels": {"chatty": {}}}')
    assert status == 200 and body == {"namedLoggerLevels": {}}, body


def test_each_worker_writes_its_own_log(squall, multilang, tmp_path):
    log_dir = str(tmp_path / "logs")
    r = squall.run_until("run", LOGS_YAML, "--workers", "2", "--duration", "4", "--kill-wait", "0",
                         "-c", "storm.log.dir=" + log_dir,
                         done=lambda _: len(worker_logs(log_dir, "*")) == 2
                         and logged(log_dir, "*", "info line"))
    assert r.returncode == 0, r.stderr + r.stdout
    found = sorted(glob.glob(os.path.join(log_dir, "workers-artifacts", "*", "*", "worker.log")))
    assert len(found) == 2, found
    ports = [os.path.basename(os.path.dirname(f)) for f in found]
    assert all(p.isdigit() for p in ports), ports
    texts = [read(f) for f in found]
    assert any("info line" in t for t in texts)
    listing = squall.run("logs", "logs", "-c", "storm.log.dir=" + log_dir)
    assert listing.returncode == 0, listing.stderr
    for f in found:
        assert "==> {} <==".format(f) in listing.stdout
