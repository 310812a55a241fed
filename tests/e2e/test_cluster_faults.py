"""The issue's faults on a real cluster whose two supervisors are two hosts: each runs in its own
network namespace (`ip netns`), joined to the root namespace by a veth pair on a bridge, with
its own address as `storm.local.hostname`, and both use the same slot ports, so nothing may
assume one host. ZooKeeper (Debian's, restartable on the same port and data) and two nimbuses
serve on the bridge's address in the root namespace.

The topology is a reliable spout with a durable source (squall.testing.LedgerSpout: every id
emitted, acked and failed is appended to a ledger file that survives kill -9; a spout started
again replays what was never acked) shuffling to a RecordingBolt with a task in each worker, one
worker per supervisor, so tuples cross hosts. One cluster takes the faults in turn:

1. kill -9 of a worker: its supervisor starts another;
2. kill -9 of a supervisor: its workers keep running, and restarted it adopts them;
3. ZooKeeper stopped and restarted: tuples keep flowing, the daemons reconnect;
4. kill -9 of a supervisor left dead: its worker runs on, orphaned (as Storm's do); after its
   session and nimbus.supervisor.timeout.secs nimbus moves the executors to the other
   supervisor; the supervisor started again at last stops the orphan;
5. that host, idle now, cut off the network past its ZooKeeper session: joined again, its
   supervisor registers anew on an expired session;
6. kill -9 of the leading nimbus: the other leads and answers `squall list`; workers unaffected.

For each the test prints the ids lost (must be 0), the ids acked more than once (must be 0),
the ids failed and replayed, and the time from the fault until every id emitted before the
repair is acked and newer ids are acked too (docs/PERFORMANCE.md has the figures). About a
minute with the ASan build. Runs as root (CI does): without `ip netns` it fails, saying so."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import wait_until
from test_dev_cluster import process_gone
from test_nimbus_thrift import gen  # noqa: F401
from zookeeper_server import ZooKeeperServer, free_port, missing_requirements

DEADLINE = 60          # a daemon's start on a loaded machine with the ASan build
MESSAGE_TIMEOUT = 3    # topology.message.timeout.secs: what a dead worker held is replayed after it
SUPERVISOR_TIMEOUT = 3  # nimbus.supervisor.timeout.secs
SESSION_MS = 4000      # storm.zookeeper.session.timeout: a dead supervisor's node goes after it
RECOVERY_DEADLINE = 45
SLOTS = [6700, 6701]   # the same on both hosts
DIGEST = "squall:netns-e2e-digest"
TOPOLOGY = """name: "ledger"
config:
  topology.workers: 2
  topology.message.timeout.secs: {timeout}
  topology.max.spout.pending: 100
spouts:
  - id: "ledger"
    className: "squall.testing.LedgerSpout"
    constructorArgs: ["{ledger}", 100]
bolts:
  - id: "sink"
    className: "squall.testing.RecordingBolt"
    parallelism: 2
streams:
  - {{from: "ledger", to: "sink", grouping: {{type: SHUFFLE}}}}
"""


def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("ip {}: {}".format(" ".join(args), r.stderr.strip()))
    return r.stdout


class Hosts:
    """A bridge in the root namespace (address .1) and one namespace per name (.2, .3, ...),
    each on a veth pair whose outer end is on the bridge. Names carry this process's id, so
    runs side by side do not meet; close() removes everything, processes first."""

    def __init__(self, names):
        pid = os.getpid()
        self.subnet = "10.{}.{}".format(200 + (pid >> 8) % 50, pid % 256)
        self.root_ip = self.subnet + ".1"
        self.bridge = "sqbr{}".format(pid)[:15]
        self.namespaces = {}
        self.addresses = {}
        self.outer = {}
        self.made = []
        try:
            self._make(names, pid)
        except BaseException:
            self.close()
            raise

    def _make(self, names, pid):
        ip("link", "add", self.bridge, "type", "bridge")
        self.made.append(("link", self.bridge))
        ip("addr", "add", self.root_ip + "/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for i, name in enumerate(names):
            ns = "sq{}{}".format(name, pid)
            outer = "sq{}{}".format(name.lower(), pid)[:15]
            ip("netns", "add", ns)
            self.made.append(("netns", ns))
            ip("link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns)
            self.made.append(("link", outer))
            ip("link", "set", outer, "master", self.bridge, "up")
            address = "{}.{}".format(self.subnet, i + 2)
            ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
            self.namespaces[name] = ns
            self.addresses[name] = address
            self.outer[name] = outer

    def link(self, name, state):
        """Cuts a host off the network ("down") or joins it again ("up")."""
        ip("link", "set", self.outer[name], state)

    def pids(self, name):
        out = ip("netns", "pids", self.namespaces[name])
        return [int(p) for p in out.split()]

    def kill_all(self, name):
        for pid in self.pids(name):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self):
        for kind, name in reversed(self.made):
            if kind == "netns":
                try:
                    for pid in [int(p) for p in ip("netns", "pids", name).split()]:
                        os.kill(pid, signal.SIGKILL)
                except (RuntimeError, ProcessLookupError):
                    pass
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
            else:
                subprocess.run(["ip", "link", "del", name], capture_output=True)


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def netns_unusable():
    """Why network namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "this test makes network namespaces and must run as root (CI does)"
    if not shutil.which("ip"):
        return "no `ip` command (Debian package iproute2; scripts/setup.sh test installs it)"
    return None


class Daemon:
    """A `squall nimbus` or `squall supervisor`, in a namespace or not, its output (the log) in
    a file: a pipe nobody reads would block it."""

    def __init__(self, squall, verb, conf, log_path, ready, namespace=None):
        self.log_path = log_path
        prefix = ["ip", "netns", "exec", namespace] if namespace else []
        with open(log_path, "w") as log:
            # ip netns exec execs the command: the pid is the daemon's.
            self.proc = subprocess.Popen([*prefix, squall.binary, verb, "--config", conf],
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: ready in self.log_text() or self.proc.poll() is not None,
                       verb + " to start", DEADLINE)
            assert self.proc.poll() is None
        except AssertionError:
            self.kill()
            raise AssertionError("{} did not start; its log:\n{}".format(verb, self.log_text()))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class Ledger:
    """The spout's ledger files: ids emitted, acked (with how many times) and failed."""

    def __init__(self, directory):
        self.dir = directory

    def read(self):
        emitted, acked, failed = set(), {}, 0
        for path in glob.glob(os.path.join(self.dir, "ledger-*.log")):
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) != 2 or not line.endswith("\n"):
                        continue  # a line being written
                    kind, id_ = parts[0], int(parts[1])
                    if kind == "E":
                        emitted.add(id_)
                    elif kind == "A":
                        acked[id_] = acked.get(id_, 0) + 1
                    elif kind == "F":
                        failed += 1
        return emitted, acked, failed

    def acked_count(self):
        return len(self.read()[1])


def conf_file(path, zk, hosts, nimbus_ports, local, hostname, extra=()):
    lines = {
        "storm.zookeeper.servers": [hosts.root_ip],
        "storm.zookeeper.port": zk.port,
        "storm.zookeeper.root": "/faults",
        "storm.zookeeper.session.timeout": SESSION_MS,
        "storm.zookeeper.auth.scheme": "digest",
        "storm.zookeeper.auth.payload": DIGEST,
        # Two nimbuses on one address: seeds as host:port, a form Squall's clients take.
        "nimbus.seeds": ["{}:{}".format(hosts.root_ip, p) for p in nimbus_ports],
        "nimbus.thrift.port": nimbus_ports[0],
        "storm.local.dir": str(local / "local"),
        "storm.log.dir": str(local / "logs"),
        "storm.local.hostname": hostname,
    }
    lines.update(dict(extra))
    with open(path, "w") as f:
        for key, value in lines.items():
            f.write("{}: {}\n".format(key, json.dumps(value)))
    return str(path)


class Cluster:
    def __init__(self, squall, tmp_path, hosts, zk):
        self.squall = squall
        self.tmp = tmp_path
        self.hosts = hosts
        self.zk = zk
        ports = [free_port(hosts.root_ip), free_port(hosts.root_ip)]
        self.supervisors = {}
        self.starts = 0
        self.confs = {}
        self.nimbuses = {}
        for i, port in enumerate(ports):
            d = tmp_path / "nimbus-{}".format(i + 1)
            d.mkdir()
            conf = conf_file(
                d / "storm.yaml", zk, hosts, [port] + [p for p in ports if p != port], d,
                hosts.root_ip,
                [("nimbus.thrift.bind.host", hosts.root_ip),
                 ("nimbus.supervisor.timeout.secs", SUPERVISOR_TIMEOUT),
                 ("nimbus.monitor.freq.secs", 1)])
            if i == 0:
                self.client_conf = conf  # the first leads: it starts first
            self.nimbuses[port] = Daemon(squall, "nimbus", conf, str(d / "nimbus.log"),
                                         "serving Storm's Nimbus Thrift service")
        self.nimbus_port = ports[0]
        for name in hosts.namespaces:
            d = tmp_path / "supervisor-{}".format(name)
            d.mkdir()
            self.confs[name] = conf_file(
                d / "storm.yaml", zk, hosts, ports, d, hosts.addresses[name],
                [("supervisor.slots.ports", SLOTS),
                 ("supervisor.heartbeat.frequency.secs", 1),
                 ("supervisor.monitor.frequency.secs", 1)])
            self.start_supervisor(name)

    def start_supervisor(self, name):
        d = self.tmp / "supervisor-{}".format(name)
        self.starts += 1
        self.supervisors[name] = Daemon(self.squall, "supervisor", self.confs[name],
                                        str(d / "supervisor-{}.log".format(self.starts)),
                                        " running on ",
                                        self.hosts.namespaces[name])

    def workers(self):
        """{(host name, port): pid} that the supervisors recorded, live ones only."""
        found = {}
        for name in self.hosts.namespaces:
            for path in glob.glob(str(self.tmp / "supervisor-{}".format(name) / "local" /
                                      "workers" / "*" / "pid")):
                try:
                    with open(path) as f:
                        pid = int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                if not process_gone(pid):
                    found[(name, int(path.split(os.sep)[-2]))] = pid
        return found

    def worker_logs(self):
        return glob.glob(str(self.tmp / "supervisor-*" / "logs" / "workers-artifacts" / "*" /
                             "*" / "worker.log"))

    def spout_pid(self):
        """The pid of the live spout's worker (its last LEDGER START line), or None."""
        for path in self.worker_logs():
            with open(path, errors="replace") as f:
                pids = re.findall(r"LEDGER START task=\d+ pid=(\d+)", f.read())
            for pid in reversed(pids):
                if not process_gone(int(pid)):
                    return int(pid)
        return None

    def stop(self):
        # Nothing is left to check: the hosts' processes go with their namespaces.
        for s in self.supervisors.values():
            s.kill()
        for n in self.nimbuses.values():
            n.stop()


def cluster_info(thrift_gen, host, port):
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport
    Nimbus, _ = thrift_gen
    sock = TSocket.TSocket(host, port)
    sock.setTimeout(5000)  # a nimbus waiting on ZooKeeper must not hang the test
    transport = TTransport.TFramedTransport(sock)
    transport.open()
    try:
        return Nimbus.Client(TBinaryProtocol.TBinaryProtocol(transport)).getClusterInfo()
    finally:
        transport.close()


def supervisor_uptimes(thrift_gen, cluster):
    """{host: uptime_secs} as nimbus reads the supervisors' nodes from ZooKeeper."""
    info = cluster_info(thrift_gen, cluster.hosts.root_ip, cluster.nimbus_port)
    return {s.host: s.uptime_secs for s in info.supervisors}


class Fault:
    """One fault's figures from the ledger: starts when made, ends once every id emitted
    before the repair (the worker restarted, the supervisor back...) is acked."""

    def __init__(self, ledger, what):
        self.ledger = ledger
        self.what = what
        self.failed_before = ledger.read()[2]
        self.at = time.monotonic()

    def recovered(self):
        """Waits until every id emitted so far is acked and a newer one too; prints and checks
        the ids lost and acked twice, and returns the seconds from the fault."""
        repaired = self.ledger.read()[0]
        deadline = time.monotonic() + RECOVERY_DEADLINE
        while True:
            emitted, acked, failed = self.ledger.read()
            missing = repaired - acked.keys()
            fresh = any(i not in repaired for i in acked)
            if (not missing and fresh) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        took = time.monotonic() - self.at
        duplicates = sum(1 for n in acked.values() if n > 1)
        print("{}: {} ids emitted so far, lost {}, acked twice {}, failed and replayed {}; "
              "every id acked and new ones flowing {:.2f} s after the fault".format(
                  self.what, len(repaired), len(missing), duplicates,
                  failed - self.failed_before, took))
        assert not missing, "{}: ids never acked: {}".format(self.what, sorted(missing)[:20])
        assert fresh, "{}: no new id acked".format(self.what)
        assert duplicates == 0, self.what
        return took


def test_faults_across_two_hosts(squall, gen, tmp_path):  # noqa: F811
    why = missing_requirements()
    if why:
        pytest.skip(why)
    why = netns_unusable()
    if why:
        pytest.fail(why)
    started = time.monotonic()
    try:
        hosts = Hosts(["A", "B"])
    except RuntimeError as e:
        pytest.fail("cannot make network namespaces (root with CAP_NET_ADMIN and CAP_SYS_ADMIN "
                    "is needed; CI has both): {}".format(e))
    zk = cluster = None
    try:
        zk = ZooKeeperServer(host=hosts.root_ip)
        zk.start()
        cluster = Cluster(squall, tmp_path, hosts, zk)
        ledger_dir = tmp_path / "ledger"
        ledger_dir.mkdir()
        ledger = Ledger(str(ledger_dir))
        # In a folder of its own: submit packs the topology's folder as its resources.
        (tmp_path / "topology").mkdir()
        topology = tmp_path / "topology" / "ledger.yaml"
        topology.write_text(TOPOLOGY.format(timeout=MESSAGE_TIMEOUT, ledger=ledger_dir))
        r = squall.run("submit", str(topology), "--config", cluster.client_conf)
        assert r.returncode == 0, r.stderr + r.stdout
        wait_until(lambda: ledger.acked_count() >= 50, "the first acked ids", DEADLINE)
        workers = cluster.workers()
        assert sorted(h for h, _ in workers) == ["A", "B"], workers
        spout = wait_until(cluster.spout_pid, "the spout's worker")
        spout_host = next(h for (h, _), pid in workers.items() if pid == spout)
        other = "B" if spout_host == "A" else "A"
        # Tuples cross hosts: the sink has a task in each worker, and each recorded some.
        for path in cluster.worker_logs():
            wait_until(lambda: "RECORD component=sink" in read_text(path),
                       "tuples recorded by the sink in " + path)
        print("setup and first acks: {:.1f} s".format(time.monotonic() - started))

        # 1. kill -9 of the worker without the spout: its supervisor starts another; what the
        # dead worker held, or was sent before its successor listened, is replayed after the
        # message timeout.
        (_, port), victim = next((k, p) for k, p in workers.items() if k[0] == other)
        fault = Fault(ledger, "worker kill -9")
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: cluster.workers().get((other, port), victim) != victim,
                   "the supervisor to restart its killed worker", DEADLINE)
        fault.recovered()

        # 2. kill -9 of the spout's supervisor: its worker keeps running, and the supervisor,
        # started again, adopts it (same pid).
        workers = cluster.workers()
        fault = Fault(ledger, "supervisor kill -9, restarted")
        cluster.supervisors[spout_host].kill()
        cluster.start_supervisor(spout_host)
        wait_until(lambda: "adopted worker pid {}".format(spout) in
                   cluster.supervisors[spout_host].log_text(),
                   "the restarted supervisor to adopt the spout's worker", DEADLINE)
        fault.recovered()
        assert cluster.workers() == workers, "the workers kept running, adopted"

        # 3. ZooKeeper stopped mid-run: tuples keep flowing between the workers; restarted, the
        # daemons reconnect: nimbus leads and answers from ZooKeeper again, and each supervisor
        # heartbeats again (its uptime, written by itself, moves past the outage).
        uptimes = supervisor_uptimes(gen, cluster)
        assert sorted(uptimes) == sorted(hosts.addresses.values()), uptimes
        acked = ledger.acked_count()
        fault = Fault(ledger, "ZooKeeper stopped and restarted")
        zk.stop()
        wait_until(lambda: ledger.acked_count() > acked + 100, "acks while ZooKeeper is down")
        # The outage lasts past two heartbeats of every daemon (1 s each here).
        wait_until(lambda: time.monotonic() > fault.at + 2.5, "the outage")
        zk.start()
        serving = time.monotonic()
        outage = serving - fault.at

        def reconnected():
            try:
                now = supervisor_uptimes(gen, cluster)
            except Exception:
                return False  # not leading again yet
            return len(now) == 2 and all(now[h] >= uptimes[h] + outage for h in now)
        wait_until(reconnected, "nimbus and both supervisors to reconnect", RECOVERY_DEADLINE)
        print("ZooKeeper: down {:.2f} s with {} ids acked meanwhile; nimbus and both supervisors "
              "back {:.2f} s after it served again".format(
                  outage, ledger.acked_count() - acked, time.monotonic() - serving))
        fault.recovered()
        assert cluster.workers() == workers, "no worker restarted for a ZooKeeper outage"

        # 4. kill -9 of the other supervisor, left dead: its worker runs on, orphaned, as
        # Storm's do. After its session and nimbus.supervisor.timeout.secs nimbus moves that
        # worker's executors to the spout's host. Started again at last, the supervisor stops
        # the orphan, which is no longer assigned to it. The spout host's worker, whose
        # executors stay, runs on (as Storm's): only its peer moved.
        workers = cluster.workers()
        (_, port), orphan = next((k, p) for k, p in workers.items() if k[0] == other)
        survivors = {k: p for k, p in workers.items() if k[0] == spout_host}
        fault = Fault(ledger, "supervisor kill -9, left dead")
        cluster.supervisors[other].kill()
        wait_until(lambda: sorted(h for h, _ in cluster.workers()) == sorted(
            [spout_host, spout_host, other]), "nimbus to move the dead supervisor's worker",
            RECOVERY_DEADLINE)
        fault.recovered()
        assert not process_gone(orphan)
        now = cluster.workers()
        assert all(now.get(k) == p for k, p in survivors.items()), (survivors, now)
        restarted = time.monotonic()
        cluster.start_supervisor(other)
        wait_until(lambda: process_gone(orphan), "the restarted supervisor to stop the orphan",
                   RECOVERY_DEADLINE)
        print("dead supervisor started again: its orphaned worker stopped in {:.2f} s".format(
            time.monotonic() - restarted))

        # 5. That host, now without workers, cut off the network past its ZooKeeper session:
        # nimbus sees it gone; joined again, the supervisor finds its session expired and
        # registers anew.
        fault = Fault(ledger, "idle host cut off past its session")
        hosts.link(other, "down")
        wait_until(lambda: len(supervisor_uptimes(gen, cluster)) == 1,
                   "the cut-off supervisor's session to expire", RECOVERY_DEADLINE)
        expired = time.monotonic()
        hosts.link(other, "up")
        wait_until(lambda: len(supervisor_uptimes(gen, cluster)) == 2,
                   "the cut-off supervisor to register again", RECOVERY_DEADLINE)
        print("cut-off supervisor gone from nimbus's list {:.2f} s after the cut, registered "
              "again {:.2f} s after it joined".format(expired - fault.at,
                                                      time.monotonic() - expired))
        fault.recovered()
        assert "session expired" in cluster.supervisors[other].log_text()

        # 6. kill -9 of the leading nimbus: the other leads, `squall list` answers through it,
        # and the workers never notice.
        workers = cluster.workers()
        leader = cluster.nimbus_port
        fault = Fault(ledger, "leading nimbus kill -9")
        cluster.nimbuses[leader].kill()
        cluster.nimbus_port = next(p for p in cluster.nimbuses if p != leader)

        def listed():
            r = squall.run("list", "--config", cluster.client_conf)
            return r.returncode == 0 and re.search(r"ledger\s+ACTIVE\s+\d+\s+2\s", r.stdout)
        wait_until(listed, "`squall list` through the new leader", RECOVERY_DEADLINE)
        print("leading nimbus killed: `squall list` answered by the other {:.2f} s later".format(
            time.monotonic() - fault.at))
        fault.recovered()
        assert cluster.workers() == workers

        # The end: no new ids; every id ever emitted is acked exactly once.
        (ledger_dir / "stop").write_text("")

        def drained():
            emitted, acked, _ = ledger.read()
            return (emitted, acked) if emitted == set(acked) else None
        emitted, acked = wait_until(drained, "every id emitted to be acked", RECOVERY_DEADLINE)
        assert all(n == 1 for n in acked.values())
        print("{} ids, each acked once; whole test {:.1f} s".format(
            len(emitted), time.monotonic() - started))
    finally:
        if cluster:
            cluster.stop()
        if zk:
            zk.close()
        hosts.close()


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
