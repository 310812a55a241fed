"""A real ZooKeeper server for end-to-end tests: Debian's (package `zookeeper`, Java), with a
private config and data directory, on 127.0.0.1 and a free port. Never a stand-in.

    from zookeeper_server import zookeeper   # a module-scoped pytest fixture

    def test_something(zookeeper):
        zookeeper.address            # "127.0.0.1:PORT"
        zookeeper.restart()          # same port and data: sessions survive, as with a real restart

Start waits (with a deadline) until the `srvr` four-letter word says the server serves; stop
sends SIGTERM, then SIGKILL; the fixture always stops it. Java takes a second or more to start,
so the fixture is shared by the tests of a module. Skips, saying why, when Java or the
ZooKeeper jar is missing (scripts/setup.sh test installs both).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

JAR = "/usr/share/java/zookeeper.jar"
SLF4J_SIMPLE = "/usr/share/java/slf4j-simple.jar"
START_DEADLINE_SECS = 60


def four_letter_word(port, word, timeout=1.0, host="127.0.0.1"):
    """The server's answer to `word` ("srvr", "ruok", ...), or "" when none came."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                data = s.recv(4096)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def missing_requirements():
    """Why a server cannot start here, or None."""
    java = os.environ.get("SQUALL_JAVA") or shutil.which("java")
    if not java:
        return "no java on PATH (scripts/setup.sh test installs a headless JRE)"
    if not os.environ.get("SQUALL_ZOOKEEPER_CLASSPATH") and not os.path.exists(JAR):
        return "no {} (Debian package zookeeper; scripts/setup.sh test)".format(JAR)
    return None


class ZooKeeperServer:
    def __init__(self, directory=None, tick_ms=200, host="127.0.0.1"):
        self.host = host  # the address it serves on (another than loopback for network namespaces)
        self.owned = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="squall-zk-e2e-")
        self.tick_ms = tick_ms
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "zookeeper.log")

    @property
    def address(self):
        return "{}:{}".format(self.host, self.port)

    def _write_config(self):
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        cfg = os.path.join(self.dir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("tickTime={}\n".format(self.tick_ms))
            f.write("dataDir={}\n".format(os.path.join(self.dir, "data")))
            f.write("clientPort={}\n".format(self.port))
            f.write("clientPortAddress={}\n".format(self.host))
            f.write("maxClientCnxns=0\n")
            f.write("admin.enableServer=false\n")  # else a web server on 8080, all interfaces
            f.write("4lw.commands.whitelist=srvr,ruok,stat,mntr,cons\n")
        return cfg

    def start(self):
        if self.proc is not None:
            return
        if self.port is None:
            self.port = free_port(self.host)
        classpath = os.environ.get("SQUALL_ZOOKEEPER_CLASSPATH")
        if not classpath:
            classpath = JAR + (":" + SLF4J_SIMPLE if os.path.exists(SLF4J_SIMPLE) else "")
        java = os.environ.get("SQUALL_JAVA") or shutil.which("java")
        cmd = [java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
               "-Dzookeeper.admin.enableServer=false", "-cp", classpath,
               "org.apache.zookeeper.server.quorum.QuorumPeerMain", self._write_config()]
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + START_DEADLINE_SECS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            # Before it serves, srvr answers "not currently serving requests" without Mode:.
            if "Mode:" in four_letter_word(self.port, "srvr", 0.5, self.host):
                return
            time.sleep(0.05)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError("ZooKeeper on {} did not start; the end of {}:\n{}".format(
            self.address, self.log_path, tail))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def serving(self):
        return "Mode:" in four_letter_word(self.port, "srvr", host=self.host)

    def log_tail(self, size=2000):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        self.stop()
        if self.owned:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def zookeeper():
    why = missing_requirements()
    if why:
        pytest.skip(why)
    server = ZooKeeperServer()
    try:
        server.start()
        yield server
    finally:
        server.close()
