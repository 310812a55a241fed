"""Handshake, pid file, exit statuses and a mismatched serializer."""

import os

from fake_engine import CONTEXT, tuple_message

ECHO_BOLT = """
    from squall import Bolt

    class Echo(Bolt):
        def initialize(self, conf, context):
            self.log("init {} {} {} {}".format(
                self.topology_name, self.component_name, self.task_id, sorted(conf)))

        def process(self, tup):
            self.emit([tup.values.sentence])

    Echo().run()
"""


def test_handshake_creates_empty_pid_file_and_replies_pid(spawn):
    engine = spawn(ECHO_BOLT)
    engine.handshake()
    pid_file = os.path.join(engine.pid_dir, str(engine.proc.pid))
    assert os.path.isfile(pid_file)
    assert os.path.getsize(pid_file) == 0
    init_log = engine.expect_log()
    assert init_log["msg"].endswith("init wordcount split 4 ['topology.debug', 'topology.name']")


def test_component_name_falls_back_to_task_component_map(spawn):
    context = dict(CONTEXT)
    del context["componentid"]
    engine = spawn(ECHO_BOLT)
    engine.handshake(context=context)
    expected = "init wordcount split 4 ['topology.debug', 'topology.name']"
    assert engine.expect_log()["msg"].endswith(expected)


def test_pretty_printed_json_and_blank_lines_are_accepted(spawn):
    engine = spawn(ECHO_BOLT)
    engine.handshake(pretty=True)
    engine.expect_log()
    engine.send_raw(b"\n\n")
    engine.send(tuple_message("1", ["multi\nline"]), pretty=True)
    engine.send_raw(b'{"id": "2", "comp": "spout",\r\n "stream": "default",\r\n'
                    b' "task": 5, "tuple": ["crlf"]}\r\nend\r\n')
    assert engine.expect()["tuple"] == ["multi\nline"]
    assert engine.expect() == {"command": "ack", "id": "1"}
    assert engine.expect()["tuple"] == ["crlf"]
    assert engine.expect() == {"command": "ack", "id": "2"}


def test_eof_from_engine_exits_with_status_2(spawn):
    engine = spawn(ECHO_BOLT)
    engine.handshake()
    engine.expect_log()
    engine.close_stdin()
    assert engine.wait() == 2


def test_eof_before_handshake_exits_with_status_2(spawn):
    engine = spawn(ECHO_BOLT)
    engine.close_stdin()
    assert engine.wait() == 2


def test_msgpack_engine_against_json_component_fails_clearly(spawn):
    import pytest

    pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    engine = spawn(ECHO_BOLT, serializer="msgpack")  # engine speaks msgpack, child JSON
    engine.send({"conf": {}, "pidDir": engine.pid_dir, "context": CONTEXT})
    assert engine.wait() == 1
    assert "msgpack" in engine.stderr()
