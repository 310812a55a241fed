"""In-process tests of the wire formats, the serializer choice and the channel."""

import io
import queue
import threading

import pytest

from squall.channel import Channel
from squall.errors import ProtocolError, StormWentAwayError
from squall.serializers import choose_serializer_name, create_serializer
from squall.serializers.json_serializer import JsonSerializer


def json_reader(data):
    return JsonSerializer(io.BufferedReader(io.BytesIO(data)), io.BytesIO())


def test_json_write_is_one_line_plus_end():
    out = io.BytesIO()
    JsonSerializer(io.BytesIO(), out).write_message({"command": "emit", "tuple": ["é", 1]})
    assert out.getvalue() == '{"command":"emit","tuple":["é",1]}\nend\n'.encode("utf-8")


@pytest.mark.parametrize("message", [
    {"command": "emit", "anchors": ["1", "-2"], "tuple": ["é", 1, 2.5, -(2**70), None, True]},
    {"command": "ack", "id": "-6955786537413359385"},
    [1, 2, 3], "a string", {"nested": {"k": [float("inf"), float("nan"), {"x": []}]}},
    {"esc": "quote \" backslash \\ newline \n tab \t nul \u0000 \u2028"},
])
def test_json_encoder_made_once_writes_what_json_dumps_writes(message):
    from squall.serializers.json_serializer import _encode
    import json
    assert _encode(message) == json.dumps(message, ensure_ascii=False,
                                          separators=(",", ":")).encode("utf-8")


def test_json_encoder_refuses_what_json_cannot_hold():
    from squall.serializers.json_serializer import _encode
    with pytest.raises(TypeError, match="bytes is not JSON serializable"):
        _encode({"tuple": [b"\x00"]})
    cycle = []
    cycle.append(cycle)
    with pytest.raises((RecursionError, ValueError)):
        _encode(cycle)


def test_json_lone_surrogate_falls_back_to_ascii_escapes():
    out = io.BytesIO()
    JsonSerializer(io.BytesIO(), out).write_message({"msg": "\ud800"})
    assert out.getvalue() == b'{"msg":"\\ud800"}\nend\n'


def test_json_reads_multiline_blank_lines_crlf_and_arrays():
    reader = json_reader(b'\n{\n  "a": [1,\n\n 2]\n}\nend\n\r\n[3, 4]\r\nend\r\n')
    assert reader.read_message() == {"a": [1, 2]}
    assert reader.read_message() == [3, 4]
    with pytest.raises(StormWentAwayError):
        reader.read_message()


def test_json_eof_mid_message_mentions_the_partial_text():
    with pytest.raises(StormWentAwayError, match="partial"):
        json_reader(b'{"a":').read_message()


def test_json_malformed_and_empty_messages():
    with pytest.raises(ProtocolError, match="malformed JSON"):
        json_reader(b"{nope}\nend\n").read_message()
    with pytest.raises(ProtocolError, match="empty"):
        json_reader(b"end\n").read_message()


def test_json_reader_recognises_a_msgpack_peer():
    with pytest.raises(ProtocolError, match="msgpack"):
        json_reader(b"\x83\xa4conf\x80").read_message()


class Trickle(io.RawIOBase):
    """A stream that hands out at most 3 bytes per read."""

    def __init__(self, data):
        self._data = data

    def readable(self):
        return True

    def read1(self, size=-1):
        chunk, self._data = self._data[:3], self._data[3:]
        return chunk


def test_msgpack_reassembles_messages_from_small_chunks():
    msgpack = pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    data = msgpack.packb({"a": "x" * 40}) + msgpack.packb([1, 2]) + msgpack.packb({1: b"\x00"})
    reader = create_serializer("msgpack", Trickle(data), io.BytesIO())
    assert reader.read_message() == {"a": "x" * 40}
    assert reader.read_message() == [1, 2]
    assert reader.read_message() == {1: b"\x00"}
    with pytest.raises(StormWentAwayError):
        reader.read_message()


def test_msgpack_write_and_garbage():
    msgpack = pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    out = io.BytesIO()
    create_serializer("msgpack", io.BytesIO(), out).write_message({"pid": 7, "b": b"\x01"})
    assert msgpack.unpackb(out.getvalue(), raw=False) == {"pid": 7, "b": b"\x01"}
    with pytest.raises(ProtocolError):
        create_serializer("msgpack", Trickle(b"\xc1\xc1\xc1"), io.BytesIO()).read_message()


def test_broken_pipe_on_write_means_the_engine_went_away():
    class Closed(io.BytesIO):
        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(StormWentAwayError):
        JsonSerializer(io.BytesIO(), Closed()).write_message({"command": "sync"})


@pytest.mark.parametrize("env, requested, expected", [
    ({}, None, ("json", None)),
    ({}, "msgpack", ("msgpack", None)),
    ({"SQUALL_SERIALIZER": "msgpack"}, None, ("msgpack", None)),
    ({"SQUALL_SERIALIZER": "msgpack"}, "json", ("msgpack", "json")),
    ({"SQUALL_SERIALIZER": " JSON "}, "json", ("json", None)),
    ({"SQUALL_SERIALIZER": ""}, "msgpack", ("msgpack", None)),
    ({"SQUALL_SERIALIZER": "org.apache.storm.multilang.JsonSerializer"}, None, ("json", None)),
])
def test_serializer_choice(env, requested, expected):
    assert choose_serializer_name(requested, environ=env) == expected


def test_unknown_serializer_is_rejected():
    with pytest.raises(ValueError, match="protobuf"):
        choose_serializer_name(None, environ={"SQUALL_SERIALIZER": "protobuf"})


class ScriptedSerializer:
    """Reads come from a queue the test fills; writes are recorded."""

    def __init__(self):
        self.incoming = queue.Queue()
        self.written = []
        self._wrote = threading.Condition()

    def read_message(self):
        message = self.incoming.get(timeout=5)
        if message is StormWentAwayError:
            raise StormWentAwayError()
        return message

    def write_message(self, message):
        with self._wrote:
            self.written.append(message)
            self._wrote.notify_all()

    def wait_for_writes(self, count):
        with self._wrote:
            assert self._wrote.wait_for(lambda: len(self.written) >= count, timeout=5)


def test_channel_routes_task_ids_to_waiting_emits_in_order():
    serializer = ScriptedSerializer()
    channel = Channel(serializer)
    results = {}

    def emit(name):
        results[name] = channel.send_expecting_task_ids({"command": "emit", "tuple": [name]})

    first = threading.Thread(target=emit, args=("first",))
    first.start()
    serializer.wait_for_writes(1)  # an emit joins the reply line when it is written
    second = threading.Thread(target=emit, args=("second",))
    second.start()
    serializer.wait_for_writes(2)
    for message in ({"id": "t1"}, [1], {"id": "t2"}, [2]):
        serializer.incoming.put(message)
    assert channel.read_command() == {"id": "t1"}
    assert channel.read_command() == {"id": "t2"}
    first.join(5)
    second.join(5)
    assert results == {"first": [1], "second": [2]}


def test_channel_eof_reaches_every_waiter():
    serializer = ScriptedSerializer()
    channel = Channel(serializer)
    serializer.incoming.put({"id": "queued"})
    serializer.incoming.put(StormWentAwayError)
    with pytest.raises(StormWentAwayError):
        channel.send_expecting_task_ids({"command": "emit", "tuple": []})
    assert channel.read_command() == {"id": "queued"}  # what arrived first is still served
    with pytest.raises(StormWentAwayError):
        channel.read_command()


class _CountingWriter(io.BytesIO):
    """Counts flushes: each one is a write(2) to the engine's pipe."""

    def __init__(self):
        super().__init__()
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_channel_batch_writes_once_and_keeps_messages_whole():
    out = _CountingWriter()
    channel = Channel(JsonSerializer(io.BytesIO(), out))
    with channel.batch():
        with channel.batch():  # nested: only the outermost flushes
            channel.send({"command": "emit", "tuple": ["a"]})
        channel.send({"command": "ack", "id": "1"})
        assert out.flushes == 0
    assert out.flushes == 1
    assert out.getvalue() == (
        b'{"command":"emit","tuple":["a"]}\nend\n{"command":"ack","id":"1"}\nend\n'
    )
    channel.send({"command": "sync"})
    assert out.flushes == 2


def test_msgpack_reader_hands_over_what_one_read_brought_without_reading_more():
    msgpack = pytest.importorskip("msgpack")
    from squall.serializers.msgpack_serializer import MsgpackSerializer

    class OneChunk(io.RawIOBase):
        """A pipe that has delivered one chunk: a further read would block (here: fail)."""

        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.data is None:
                raise AssertionError("read past what was buffered")
            n = len(self.data)
            buffer[:n] = self.data
            self.data = None
            return n

    chunk = b"".join(msgpack.packb(m) for m in ({"command": "next"}, {"id": 1}, [3, 4]))
    serializer = MsgpackSerializer(OneChunk(chunk), io.BytesIO())
    assert serializer.read_message() == {"command": "next"}
    assert serializer.read_buffered() == [{"id": 1}, [3, 4]]
    assert serializer.read_buffered() == []
    # The channel routes such a batch in order: commands to readers, task ids to emits.
    channel = Channel(MsgpackSerializer(OneChunk(chunk), io.BytesIO()))
    assert channel.read_task_ids() == [3, 4]
    assert channel.read_command() == {"command": "next"}
    assert channel.read_command() == {"id": 1}


@pytest.mark.parametrize("name", ["json", "msgpack"])
@pytest.mark.parametrize("anchors", [(), ["7", "-3"]])
@pytest.mark.parametrize("stream", [None, "words"])
def test_emit_parts_write_the_same_message_as_the_dict(name, anchors, stream):
    # Channel.send_emit encodes the parts of an emit around its values once per anchors and
    # stream: what the engine reads must be the message the dict path writes.
    if name == "msgpack":
        pytest.importorskip("msgpack", reason="python3-msgpack is not installed")
    values = [["é", 1, -(2**70)], ["\ud800 lone"], [{"k": [1.5, None, True]}, "x" * 300],
              ["word"], ["wörd \"quoted\"\n"], [7]]
    if name == "msgpack":
        values.append([b"\x00\x01", 2**64 + 5])
    writer = create_serializer(name, io.BytesIO(), io.BytesIO())
    prefix, encode_values, suffix = writer.emit_parts(anchors, stream)
    fast, slow = b"", b""
    for tup in values:
        fast += prefix + encode_values(tup) + suffix
        message = {"command": "emit", "tuple": tup, "anchors": list(anchors),
                   "need_task_ids": False}
        if stream is not None:
            message["stream"] = stream
        slow += writer.encode(message)
    read_fast = create_serializer(name, io.BufferedReader(io.BytesIO(fast)), io.BytesIO())
    read_slow = create_serializer(name, io.BufferedReader(io.BytesIO(slow)), io.BytesIO())
    for _ in values:
        assert read_fast.read_message() == read_slow.read_message()
