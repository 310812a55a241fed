"""The msgpack wire format: back-to-back msgpack objects, no "end" lines."""

import pytest

from fake_engine import CHILD_PYTHON, child_has_msgpack, heartbeat_message, tuple_message

msgpack = pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
if not child_has_msgpack():
    pytest.skip("the child interpreter {} has no msgpack".format(CHILD_PYTHON),
                allow_module_level=True)

BOLT_USING_ENV = """
    from squall import Bolt

    class Echo(Bolt):
        def process(self, tup):
            if tup.values[0] == "ids":
                self.emit(["got", self.emit(["x"], need_task_ids=True)])
            else:
                self.emit([tup.values[0], "ünïcode", b"\\x00\\xff"])

    Echo().run()
"""


def exercise(engine):
    engine.handshake()
    engine.send(tuple_message("1", ["hi"]))
    assert engine.expect() == {"command": "emit", "tuple": ["hi", "ünïcode", b"\x00\xff"],
                               "anchors": ["1"], "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "1"}
    engine.send(tuple_message("2", ["ids"]))
    assert engine.expect() == {"command": "emit", "tuple": ["x"], "anchors": ["2"]}
    engine.send(heartbeat_message())
    engine.send([3])
    assert engine.expect()["tuple"] == ["got", [3]]
    assert engine.expect() == {"command": "ack", "id": "2"}
    assert engine.expect() == {"command": "sync"}


def test_env_var_selects_msgpack(spawn):
    engine = spawn(BOLT_USING_ENV, serializer="msgpack", env={"SQUALL_SERIALIZER": "msgpack"})
    exercise(engine)


def with_class_serializer(name):
    return BOLT_USING_ENV.replace(
        "class Echo(Bolt):", "class Echo(Bolt):\n        serializer = {!r}".format(name)
    )


def test_class_attribute_selects_msgpack(spawn):
    exercise(spawn(with_class_serializer("msgpack"), serializer="msgpack"))


def test_env_var_overrides_class_attribute_and_warns(spawn):
    engine = spawn(with_class_serializer("json"), serializer="msgpack",
                   env={"SQUALL_SERIALIZER": "msgpack"})
    engine.handshake()
    warning = engine.expect_log()
    assert warning["level"] == 3 and "SQUALL_SERIALIZER" in warning["msg"]


def test_messages_split_across_writes_and_packed_together(spawn):
    engine = spawn(BOLT_USING_ENV, serializer="msgpack", env={"SQUALL_SERIALIZER": "msgpack"})
    engine.handshake()
    data = b"".join(msgpack.packb(tuple_message(str(n), [str(n)])) for n in range(3))
    engine.send_raw(data[:7])
    engine.send_raw(data[7:])
    for n in range(3):
        assert engine.expect()["tuple"][0] == str(n)
        assert engine.expect() == {"command": "ack", "id": str(n)}


def test_json_engine_against_msgpack_component_fails_clearly(spawn):
    engine = spawn(BOLT_USING_ENV, serializer="json", env={"SQUALL_SERIALIZER": "msgpack"})
    engine.send({"conf": {}, "pidDir": engine.pid_dir, "context": {}})
    assert engine.wait() == 1
    assert "same serializer" in engine.stderr()


def test_constructor_serializer_is_kept_and_a_mismatch_is_one_clear_error(spawn):
    # pystorm's serializer= argument is the component's choice; the engine's differs.
    code = BOLT_USING_ENV.replace("Echo().run()", "Echo(serializer='msgpack').run()")
    engine = spawn(code, serializer="json", env={"SQUALL_SERIALIZER": "json"})
    assert engine.wait() == 1
    err = engine.stderr()
    assert "serializer mismatch: this component speaks msgpack" in err, err
    assert "the engine speaks json" in err, err


def test_constructor_serializer_matching_the_engine_runs(spawn):
    code = BOLT_USING_ENV.replace("Echo().run()", "Echo(serializer='msgpack').run()")
    exercise(spawn(code, serializer="msgpack", env={"SQUALL_SERIALIZER": "msgpack"}))


def test_no_serializer_asked_means_no_warning_under_msgpack(spawn):
    # The component asks for nothing; the engine says msgpack: nothing to warn about.
    engine = spawn(BOLT_USING_ENV, serializer="msgpack", env={"SQUALL_SERIALIZER": "msgpack"})
    exercise(engine)
    assert not [log for log in engine.logs if "SQUALL_SERIALIZER" in log.get("msg", "")], \
        engine.logs


def serializer_pair(data=b""):
    import io

    from squall.serializers.msgpack_serializer import MsgpackSerializer

    out = io.BytesIO()
    return MsgpackSerializer(io.BufferedReader(io.BytesIO(data)), out), out


BIG_VALUES = [2 ** 63, 2 ** 64 - 1, 2 ** 64, -2 ** 63 - 1, -2 ** 63, 10 ** 30, -(10 ** 40)]


def test_integers_of_any_size_round_trip():
    writer, out = serializer_pair()
    writer.write_message({"command": "emit", "tuple": BIG_VALUES})
    data = out.getvalue()
    # Beyond msgpack's range: ext type 1 holding the decimal digits, as the engine reads it.
    assert b"\xc7\x1f\x01" + str(10 ** 30).encode() in data
    assert b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff" in data  # 2**64 - 1 stays a native uint64
    reader, _ = serializer_pair(data)
    assert reader.read_message()["tuple"] == BIG_VALUES


def test_lone_surrogates_round_trip_as_the_engine_keeps_them():
    writer, out = serializer_pair()
    writer.write_message({"tuple": ["x\ud800y", "\udc00"]})
    data = out.getvalue()
    assert b"x\xed\xa0\x80y" in data  # the bytes the engine holds and gives back
    reader, _ = serializer_pair(data)
    assert reader.read_message()["tuple"] == ["x\ud800y", "\udc00"]


def test_other_ext_types_and_unknown_objects():
    writer, out = serializer_pair()
    writer.write_message({"e": msgpack.ExtType(5, b"ab")})
    reader, _ = serializer_pair(out.getvalue())
    assert reader.read_message() == {"e": msgpack.ExtType(5, b"ab")}
    with pytest.raises(TypeError, match="cannot serialize"):
        writer.write_message({"o": object()})
