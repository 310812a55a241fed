"""The engine's side of the multilang protocol, for driving real child processes.

Every read waits with a deadline (a background thread parses the child's stdout
into a queue), so a hung child fails the test quickly instead of hanging it.
"""

import json
import os
import queue
import subprocess
import sys
import threading

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READ_TIMEOUT = 5.0

CONF = {"topology.name": "wordcount", "topology.debug": False}
CONTEXT = {
    "taskid": 4,
    "componentid": "split",
    "task->component": {"1": "__acker", "2": "count", "3": "count", "4": "split", "5": "spout"},
    "streams": ["default"],
    "stream->outputfields": {"default": ["word"]},
    "stream->target->grouping": {"default": {"count": {"type": "FIELDS", "fields": ["word"]}}},
    "source->stream->grouping": {"spout": {"default": {"type": "SHUFFLE"}}},
    "source->stream->fields": {"spout": {"default": ["sentence"]}},
}


def tuple_message(tuple_id, values, comp="spout", stream="default", task=5):
    return {"id": tuple_id, "comp": comp, "stream": stream, "task": task, "tuple": values}


def heartbeat_message(tuple_id="-77"):
    return {"id": tuple_id, "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}


def tick_message(tuple_id="-99", secs=1):
    return {"id": tuple_id, "comp": "__system", "stream": "__tick", "task": -1, "tuple": [secs]}


class _Eof:
    def __repr__(self):
        return "<EOF>"


EOF_MARK = _Eof()


class FakeEngine:
    """Starts ``argv`` with pipes and speaks ``serializer`` ("json"/"msgpack") to it."""

    def __init__(self, argv, work_dir, serializer="json", env=None):
        self.serializer = serializer
        self.pid_dir = os.path.join(str(work_dir), "pids")
        os.makedirs(self.pid_dir, exist_ok=True)
        full_env = dict(os.environ)
        full_env.pop("SQUALL_SERIALIZER", None)
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (PYTHON_DIR, full_env.get("PYTHONPATH")) if p
        )
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=full_env, cwd=str(work_dir),
        )
        self.logs = []  # log commands skipped by expect()
        self._messages = queue.Queue()
        self._stderr = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # ----- writing

    def send(self, message, pretty=False):
        if self.serializer == "msgpack":
            import msgpack

            data = msgpack.packb(message, use_bin_type=True)
        else:
            text = json.dumps(message, indent=2 if pretty else None)
            data = (text + "\nend\n").encode("utf-8")
        self.send_raw(data)

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    # ----- reading

    def read(self, timeout=READ_TIMEOUT):
        """The next message of any kind (EOF_MARK once the child closed stdout)."""
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                "no message from the child within {}s; stderr:\n{}".format(timeout, self.stderr())
            ) from None
        if isinstance(message, Exception):
            raise AssertionError("child wrote garbage: {}".format(message))
        return message

    def expect(self, timeout=READ_TIMEOUT):
        """The next message that is not a ``log`` command (logs are kept in self.logs)."""
        while True:
            message = self.read(timeout)
            if isinstance(message, dict) and message.get("command") == "log":
                self.logs.append(message)
                continue
            if message is EOF_MARK:
                raise AssertionError("child closed stdout; stderr:\n" + self.stderr())
            return message

    def expect_log(self, timeout=READ_TIMEOUT):
        """The next ``log`` command, failing on anything else."""
        message = self.read(timeout)
        assert isinstance(message, dict) and message.get("command") == "log", message
        return message

    def handshake(self, conf=None, context=None, pretty=False):
        self.send(
            {"conf": CONF if conf is None else conf, "pidDir": self.pid_dir,
             "context": CONTEXT if context is None else context},
            pretty=pretty,
        )
        reply = self.expect()
        assert reply == {"pid": self.proc.pid}, reply
        return reply

    def wait(self, timeout=READ_TIMEOUT):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("child did not exit; stderr:\n" + self.stderr()) from None

    def stderr(self):
        return b"".join(self._stderr).decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    # ----- background readers

    def _read_stdout(self):
        try:
            if self.serializer == "msgpack":
                self._read_msgpack()
            else:
                self._read_json()
        except Exception as exc:  # surfaced to the test by read()
            self._messages.put(exc)
        self._messages.put(EOF_MARK)

    def _read_json(self):
        lines = []
        for line in iter(self.proc.stdout.readline, b""):
            line = line.rstrip(b"\n")
            if line == b"end":
                self._messages.put(json.loads(b"\n".join(lines).decode("utf-8")))
                lines = []
            else:
                lines.append(line)
        if lines:
            raise ValueError("unterminated message: {!r}".format(lines))

    def _read_msgpack(self):
        import msgpack

        unpacker = msgpack.Unpacker(raw=False)
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            unpacker.feed(chunk)
            for message in unpacker:
                self._messages.put(message)

    def _read_stderr(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self._stderr.append(chunk)


# Children run with the test's interpreter unless SQUALL_TEST_PYTHON names another
# (e.g. an older Python, to check compatibility).
CHILD_PYTHON = os.environ.get("SQUALL_TEST_PYTHON") or sys.executable


def child_has_msgpack():
    """Whether the child interpreter can import msgpack (it may differ from ours)."""
    probe = subprocess.run([CHILD_PYTHON, "-c", "import msgpack"], capture_output=True)
    return probe.returncode == 0


def python_argv(code=None, script=None):
    """argv that runs ``code`` (a source string) or ``script`` as a child process."""
    if script is not None:
        return [CHILD_PYTHON, script]
    return [CHILD_PYTHON, "-c", code]
