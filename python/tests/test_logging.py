"""Logging through the protocol, stray output, and error reports."""

from fake_engine import CONF, tuple_message

LOGGING_BOLT = """
    import logging, os, sys
    from squall import Bolt, TRACE

    helper_log = logging.getLogger("user.helper")

    class Logs(Bolt):
        def initialize(self, conf, context):
            print("printed during initialize")

        def process(self, tup):
            what = tup.values[0]
            if what == "levels":
                self.logger.log(TRACE, "t")
                self.logger.debug("d")
                self.logger.info("i")
                self.logger.warning("w")
                self.logger.error("e")
                self.logger.critical("c")
                helper_log.info("from a user module")
            elif what == "direct":
                self.log("explicit warn", "warn")
                self.log("explicit number", 4)
                self.log("default")
            elif what == "print":
                print("hello", "world")
                print("partial", end="")
                sys.stdout.flush()
                sys.stdout.buffer.write(b"bytes line\\n")
                os.write(1, b"raw fd write\\n")  # goes to stderr, not the protocol
            self.emit(["done"])

    Logs().run()
"""


def start(spawn, level=None):
    conf = dict(CONF)
    if level:
        conf["pystorm.log.level"] = level
    engine = spawn(LOGGING_BOLT)
    engine.handshake(conf=conf)
    return engine


def run_tuple(engine, value):
    engine.send(tuple_message("1", [value]))
    assert engine.expect()["tuple"] == ["done"]
    assert engine.expect() == {"command": "ack", "id": "1"}
    logs = engine.logs[:]
    del engine.logs[:]
    return logs


def test_logging_module_levels_map_to_storm_levels(spawn):
    engine = start(spawn, level="trace")
    logs = run_tuple(engine, "levels")
    assert [(m["msg"].split(" - ")[-1], m["level"]) for m in logs[1:]] == [
        ("t", 0), ("d", 1), ("i", 2), ("w", 3), ("e", 4), ("c", 4), ("from a user module", 2),
    ]
    assert logs[1]["msg"] == "squall.component.split - t"


def test_default_level_info_filters_debug_in_python(spawn):
    engine = start(spawn)
    logs = run_tuple(engine, "levels")
    assert [m["level"] for m in logs[1:]] == [2, 3, 4, 4, 2]


def test_topology_debug_forces_debug(spawn):
    engine = spawn(LOGGING_BOLT)
    engine.handshake(conf=dict(CONF, **{"topology.debug": True, "squall.log.level": "error"}))
    logs = run_tuple(engine, "levels")
    assert [m["level"] for m in logs[1:]] == [1, 2, 3, 4, 4, 2]


def test_component_log_sends_unfiltered_with_named_levels(spawn):
    engine = start(spawn, level="error")
    logs = run_tuple(engine, "direct")
    assert [(m["msg"], m["level"]) for m in logs] == [
        ("explicit warn", 3), ("explicit number", 4), ("default", 2),
    ]


def test_prints_become_log_messages_and_fd1_goes_to_stderr(spawn):
    engine = start(spawn)
    assert engine.expect_log()["msg"].endswith("printed during initialize")
    logs = run_tuple(engine, "print")
    assert [(m["msg"].split(" - ")[-1], m["level"]) for m in logs] == [
        ("hello world", 2), ("partial", 2), ("bytes line", 2),
    ]
    engine.close_stdin()
    assert engine.wait() == 2
    assert "raw fd write" in engine.stderr()


def test_log_file_instead_of_engine_when_path_is_set(spawn, tmp_path):
    conf = dict(CONF, **{"squall.log.path": str(tmp_path), "squall.log.file": "c_{task_id}.log"})
    engine = spawn(LOGGING_BOLT)
    engine.handshake(conf=conf)
    assert run_tuple(engine, "levels") == []
    engine.close_stdin()
    assert engine.wait() == 2
    text = (tmp_path / "c_4.log").read_text()
    assert "printed during initialize" in text
    assert "squall.component.split - WARNING - w" in text
    assert " - d" not in text


def test_exception_in_process_reports_traceback_fails_tuple_and_exits_1(spawn):
    engine = spawn("""
        from squall import Bolt

        def parse(value):
            return int(value)

        class Strict(Bolt):
            def process(self, tup):
                self.emit([parse(tup.values[0])])

        Strict().run()
    """)
    engine.handshake()
    engine.send(tuple_message("1", ["12"]))
    assert engine.expect()["tuple"] == [12]
    assert engine.expect() == {"command": "ack", "id": "1"}
    engine.send(tuple_message("2", ["twelve"]))
    error = engine.expect()
    assert error["command"] == "error"
    msg = error["msg"]
    assert msg.startswith("Python ValueError raised while processing Tuple Tuple(id='2'")
    assert "Traceback (most recent call last)" in msg
    assert "in parse" in msg and "invalid literal for int()" in msg
    assert engine.expect() == {"command": "sync"}
    assert engine.expect() == {"command": "fail", "id": "2"}
    assert engine.wait() == 1
    assert engine.logs[0]["level"] == 4 and "Traceback" in engine.logs[0]["msg"]


def test_exit_on_exception_false_keeps_serving(spawn):
    engine = spawn("""
        from squall import Bolt

        class Forgiving(Bolt):
            exit_on_exception = False
            auto_fail = False

            def process(self, tup):
                if tup.values[0] == "bad":
                    raise KeyError("bad")
                self.emit(["ok"])

        Forgiving().run()
    """)
    engine.handshake()
    engine.send(tuple_message("1", ["bad"]))
    assert engine.expect()["command"] == "error"
    assert engine.expect() == {"command": "sync"}
    engine.send(tuple_message("2", ["good"]))
    assert engine.expect()["tuple"] == ["ok"]  # no fail for "1" before it
    assert engine.expect() == {"command": "ack", "id": "2"}


def test_exception_in_initialize_is_reported(spawn):
    engine = spawn("""
        from squall import Bolt

        class NoInit(Bolt):
            def initialize(self, conf, context):
                raise RuntimeError("cannot connect to the database")

        NoInit().run()
    """)
    engine.handshake()
    error = engine.expect()
    assert "cannot connect to the database" in error["msg"]
    assert "Traceback" in error["msg"]
    assert engine.expect() == {"command": "sync"}
    assert engine.wait() == 1
