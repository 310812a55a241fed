"""End-to-end tests of the `squall` binary: real processes, real files, deadlines.

The binary is $SQUALL_BIN, else build/release/src/cli/squall, else build/debug/src/cli/squall.
Run: /usr/bin/python3 -m pytest -q tests/e2e
"""

import os
import signal
import subprocess
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
E2E = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(ROOT, "examples")
BAD = os.path.join(E2E, "bad")
GOOD = os.path.join(E2E, "good")
FAILING = os.path.join(E2E, "failing")

# Generous: a debug (ASan) build is slow to start Python children.
DEADLINE_SECS = 60


def find_binary():
    explicit = os.environ.get("SQUALL_BIN")
    if explicit:
        return explicit
    for preset in ("release", "debug"):
        path = os.path.join(ROOT, "build", preset, "src", "cli", "squall")
        if os.access(path, os.X_OK):
            return path
    return None


def merged_env(extra):
    env = dict(os.environ)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Squall:
    def __init__(self, binary):
        self.binary = binary

    def run(self, *args, timeout=DEADLINE_SECS, env=None):
        """Runs `squall ARGS` from the repository root; a CompletedProcess with text output.
        `env` entries are added to the environment (None removes a variable)."""
        full_env = merged_env(env)
        return subprocess.run([self.binary, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env=full_env)

    def start(self, *args, env=None, cwd=ROOT):
        full_env = merged_env(env)
        return subprocess.Popen([self.binary, *args], cwd=cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=full_env)

    def run_until(self, *args, done, timeout=DEADLINE_SECS, env=None, cwd=ROOT):
        """Runs `squall ARGS` like run(), but ends it with Ctrl-C as soon as `done(output)` holds
        for its stdout and stderr so far, instead of waiting out a fixed --duration. ARGS keep
        their --duration as the upper bound: if `done` never holds, the run ends by itself and
        the caller's assertions report what was missing."""
        proc = self.start(*args, env=env, cwd=cwd)
        out, err = [], []
        # The pumps tell the waiter of each new line and of each stream's end, so it wakes on
        # output rather than on a clock.
        changed = threading.Condition()
        ended = []

        def pump(stream, into):
            for line in stream:
                with changed:
                    into.append(line)
                    changed.notify_all()
            with changed:
                ended.append(stream)
                changed.notify_all()

        def seen():
            return "".join(out) + "".join(err)

        pumps = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
                 threading.Thread(target=pump, args=(proc.stderr, err), daemon=True)]
        for t in pumps:
            t.start()
        deadline = time.monotonic() + timeout
        try:
            with changed:
                finished = changed.wait_for(lambda: len(ended) == len(pumps) or done(seen()),
                                            timeout=timeout)
                assert finished, "squall run did not end: " + seen()[-4000:]
                if len(ended) < len(pumps) and proc.poll() is None:
                    interrupt(proc)
            proc.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for t in pumps:
            t.join(timeout=10)
        return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(out), "".join(err))

    def classes(self):
        return self.run("classes").stdout.split()


@pytest.fixture(scope="session")
def squall():
    binary = find_binary()
    if not binary:
        pytest.fail("no squall binary: build it (cmake --build build/release --target "
                    "squall_cli) or set SQUALL_BIN")
    return Squall(binary)


@pytest.fixture(scope="session")
def multilang(squall):
    """Skips the test unless this squall has the multilang engine (shell components)."""
    if "squall.ShellBolt" not in squall.classes():
        pytest.skip("this squall was built without the multilang engine")
    return True


def rel(path):
    return os.path.relpath(path, ROOT)


def wait_until(cond, what, timeout=DEADLINE_SECS):
    """Polls `cond` until it returns something true (which is returned), failing the test with
    "timed out waiting for WHAT" after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


def wait_for_output(proc, needle, deadline_secs):
    """Reads proc.stdout line by line until `needle` appears; returns the lines read."""
    lines = []
    end = time.monotonic() + deadline_secs
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError("'{}' did not appear within {} s; got:\n{}".format(
        needle, deadline_secs, "".join(lines)))


def interrupt(proc):
    proc.send_signal(signal.SIGINT)
