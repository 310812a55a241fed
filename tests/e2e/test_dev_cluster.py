"""`squall dev-cluster`: a real ZooKeeper server on loopback and its nimbus processes, their
addresses and storm.yaml printed, stopped cleanly on SIGTERM/Ctrl-C with no Java or nimbus left
behind, even when squall is killed; and the ZooKeeper fixture other e2e tests use
(zookeeper_server.py)."""

import os
import re
import signal
import subprocess
import time

import pytest
import yaml

from zookeeper_server import four_letter_word, missing_requirements, zookeeper  # noqa: F401

START_DEADLINE_SECS = 90  # Java under a loaded machine, and an ASan build of squall


@pytest.fixture(autouse=True)
def needs_zookeeper():
    why = missing_requirements()
    if why:
        pytest.skip(why)


def process_gone(pid):
    """True when pid no longer runs (a zombie counts as gone: it runs nothing)."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_until(cond, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("{} within {} s".format(what, secs))


def start_dev_cluster(squall, *args):
    """Starts `squall dev-cluster ARGS`; returns (process, printed settings) once its storm.yaml
    is printed (its last line: the nimbus port, or the ZooKeeper root without a nimbus)."""
    no_nimbus = any(a == "--nimbuses" and b == "0" for a, b in zip(args, args[1:]))
    last_line = "storm.zookeeper.root:" if no_nimbus else "nimbus.thrift.port:"
    proc = squall.start("dev-cluster", *args)
    printed = {}
    deadline = time.monotonic() + START_DEADLINE_SECS
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.match(r"^(zookeeper|zookeeper\.pid|storm\.yaml|nimbus\.\d+(?:\.metrics)?)=(.*)$",
                     line.strip())
        if m:
            printed[m.group(1)] = m.group(2)
        if line.startswith(last_line):
            return proc, printed
    proc.kill()
    out, err = proc.communicate(timeout=30)
    raise AssertionError("dev-cluster did not print its storm.yaml; stdout:\n{}{}\nstderr:\n{}".format(
        "".join(lines), out, err))


def nimbus_of(line):
    """(thrift port, pid) of a printed `nimbus.I=127.0.0.1:PORT pid PID [(leader)]`."""
    m = re.match(r"^127\.0\.0\.1:(\d+) pid (\d+)", line)
    assert m, line
    return int(m.group(1)), int(m.group(2))


def stop_cleanly(proc, sig):
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, err
    assert "dev-cluster: stopped" in err
    return err


def test_dev_cluster_serves_prints_storm_yaml_and_stops_on_sigterm(squall, tmp_path):
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path))
    try:
        host, port = printed["zookeeper"].rsplit(":", 1)
        assert host == "127.0.0.1"
        port = int(port)
        java = int(printed["zookeeper.pid"])
        srvr = four_letter_word(port, "srvr")
        assert "Mode: standalone" in srvr
        # Storm's layout was made under /storm: the root and its eight subtrees at least.
        nodes = int(re.search(r"Node count: (\d+)", srvr).group(1))
        assert nodes >= 9, srvr

        assert printed["storm.yaml"] == str(tmp_path / "storm.yaml")
        conf = yaml.safe_load((tmp_path / "storm.yaml").read_text())
        nimbus_port, nimbus_pid = nimbus_of(printed["nimbus.1"])
        assert conf == {"storm.zookeeper.servers": ["127.0.0.1"],
                        "storm.zookeeper.port": port, "storm.zookeeper.root": "/storm",
                        "nimbus.seeds": ["127.0.0.1"], "nimbus.thrift.port": nimbus_port}
        # The nimbus answers a client with only that storm.yaml; the cluster's digest is in
        # daemons.yaml, readable by this user alone, never in the client's file.
        r = squall.run("list", "--config", str(tmp_path / "storm.yaml"))
        assert r.returncode == 0 and r.stdout == "No topologies running.\n", r.stderr
        daemons = tmp_path / "daemons.yaml"
        assert os.stat(daemons).st_mode & 0o777 == 0o600
        assert "storm.zookeeper.auth.payload" in daemons.read_text()
        assert "auth" not in (tmp_path / "storm.yaml").read_text()
        cfg = (tmp_path / "zookeeper" / "zoo.cfg").read_text()
        assert "clientPortAddress=127.0.0.1" in cfg
        assert "admin.enableServer=false" in cfg
        assert (tmp_path / "zookeeper" / "data" / "version-2").is_dir()
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)
    wait_until(lambda: process_gone(java), 30, "the ZooKeeper server did not stop")
    assert process_gone(nimbus_pid)
    assert four_letter_word(port, "srvr") == ""
    # --dir is kept for the next run.
    assert (tmp_path / "zookeeper" / "data").is_dir()


def test_dev_cluster_ctrl_c_removes_its_temporary_directory(squall):
    proc, printed = start_dev_cluster(squall)
    directory = os.path.dirname(printed["storm.yaml"])
    java = int(printed["zookeeper.pid"])
    assert os.path.isdir(directory)
    stop_cleanly(proc, signal.SIGINT)
    wait_until(lambda: process_gone(java), 30, "the ZooKeeper server did not stop")
    assert not os.path.exists(directory)


def test_killed_dev_cluster_leaves_no_java(squall, tmp_path):
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path))
    java = int(printed["zookeeper.pid"])
    _, nimbus = nimbus_of(printed["nimbus.1"])
    assert not process_gone(java) and not process_gone(nimbus)
    proc.kill()
    proc.communicate(timeout=30)
    wait_until(lambda: process_gone(java), 30, "the ZooKeeper server outlived a killed squall")
    wait_until(lambda: process_gone(nimbus), 30, "the nimbus outlived a killed squall")


def test_dev_cluster_with_two_nimbuses_one_leads(squall, tmp_path):
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path), "--nimbuses", "2")
    try:
        nimbuses = [printed["nimbus.1"], printed["nimbus.2"]]
        assert sum("(leader)" in n for n in nimbuses) == 1
        conf = yaml.safe_load((tmp_path / "storm.yaml").read_text())
        ports = [nimbus_of(n)[0] for n in nimbuses]
        assert conf["nimbus.seeds"] == ["127.0.0.1:{}".format(p) for p in ports]
        r = squall.run("list", "--config", str(tmp_path / "storm.yaml"))
        assert r.returncode == 0 and r.stdout == "No topologies running.\n", r.stderr
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGINT)
    for n in nimbuses:
        assert process_gone(nimbus_of(n)[1])


def read_supervisors(proc, count):
    """The supervisor.I=ID pid=P slots=... dir=... lines dev-cluster prints after its
    storm.yaml, as (id, slots, dir, pid)."""
    found = {}
    deadline = time.monotonic() + START_DEADLINE_SECS
    while len(found) < count and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.match(r"^supervisor\.(\d+)=(\S+) pid=(\d+) slots=([\d,]+) dir=(.*)$",
                     line.strip())
        if m:
            found[int(m.group(1))] = (m.group(2), [int(p) for p in m.group(4).split(",")],
                                      m.group(5), int(m.group(3)))
    assert len(found) == count, found
    return [found[i] for i in range(count)]


def test_dev_cluster_runs_supervisors_that_keep_their_ids(squall, tmp_path):
    # No nimbus, so that the supervisors' nodes are the cluster's only ephemeral ones.
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path), "--supervisors", "2",
                                      "--nimbuses", "0")
    try:
        port = int(printed["zookeeper"].rsplit(":", 1)[1])
        sups = read_supervisors(proc, 2)
        ids = [s[0] for s in sups]
        assert len(set(ids)) == 2
        assert not set(sups[0][1]) & set(sups[1][1]), "each supervisor has its own slots"
        assert all(len(s[1]) == 4 for s in sups)
        # Each publishes its ephemeral /supervisors/ID (the only ephemerals of this cluster).
        wait_until(lambda: re.search(r"zk_ephemerals_count\s+2\b", four_letter_word(port, "mntr")),
                   30, "the supervisors did not register")
        pids = [s[3] for s in sups]
        assert all(not process_gone(pid) for pid in pids)
    except BaseException:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    stop_cleanly(proc, signal.SIGTERM)
    for pid in pids:
        wait_until(lambda: process_gone(pid), 30, "a supervisor outlived dev-cluster")

    # The same --dir: the same supervisors (their ids are kept in their storm.local.dir).
    proc, printed = start_dev_cluster(squall, "--dir", str(tmp_path), "--supervisors", "2",
                                      "--nimbuses", "0")
    try:
        again = read_supervisors(proc, 2)
    finally:
        stop_cleanly(proc, signal.SIGTERM)
    assert [s[0] for s in again] == ids


def test_dev_cluster_usage_errors(squall):
    r = squall.run("dev-cluster", "--supervisors-please")
    assert r.returncode == 2
    assert "unknown option --supervisors-please" in r.stderr
    assert "usage: squall dev-cluster" in r.stderr
    r = squall.run("dev-cluster", "--zookeeper-port", "70000")
    assert r.returncode == 2
    assert "--zookeeper-port" in r.stderr


def test_zookeeper_fixture_restarts_on_the_same_port(zookeeper):  # noqa: F811
    assert four_letter_word(zookeeper.port, "ruok") == "imok"
    port = zookeeper.port
    zookeeper.stop()
    assert four_letter_word(port, "srvr") == ""
    zookeeper.start()
    assert zookeeper.port == port
    assert zookeeper.serving()
