"""A bolt's emits and ack for one tuple (and a spout's emits for one command) leave the
child in one write, so the engine wakes once per tuple rather than once per message; other
messages and other threads are never held back."""

import io
import json
import threading

import pytest

import squall
from fake_engine import CONF, CONTEXT, tuple_message


class FlushRecorder(io.BytesIO):
    """An output stream that remembers what each flush() pushed out."""

    def __init__(self):
        super().__init__()
        self.flushed = []
        self._sent = 0

    def flush(self):
        data = self.getvalue()[self._sent:]
        if data:
            self.flushed.append(data)
            self._sent += len(data)


def frames(*messages):
    return b"".join(json.dumps(m).encode() + b"\nend\n" for m in messages)


def commands(chunk):
    return [json.loads(part) for part in chunk.split(b"\nend\n") if part.strip()]


def serve(component_class, tmp_path, *inputs):
    handshake = {"conf": CONF, "context": CONTEXT, "pidDir": str(tmp_path)}
    out = FlushRecorder()
    component = component_class(input_stream=io.BytesIO(frames(handshake, *inputs)),
                                output_stream=out, serializer="json")
    with pytest.raises(SystemExit):
        component.run()  # ends at EOF
    writes = [commands(chunk) for chunk in out.flushed[1:]]  # after the {"pid": N} reply
    # At EOF the component logs that it is leaving, as a write of its own.
    assert [m["command"] for m in writes.pop()] == ["log"]
    return writes


class Splitter(squall.Bolt):
    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


def test_a_tuples_emits_and_ack_leave_in_one_write(tmp_path):
    writes = serve(Splitter, tmp_path, tuple_message("1", ["a b c"]), tuple_message("2", ["d"]))
    assert [[m["command"] for m in w] for w in writes] == [
        ["emit", "emit", "emit", "ack"],
        ["emit", "ack"],
    ]
    assert [m["tuple"] for m in writes[0][:3]] == [["a"], ["b"], ["c"]]
    assert all(m["anchors"] == ["1"] for m in writes[0][:3])


class LogsInTheMiddle(squall.Bolt):
    def process(self, tup):
        self.emit(["before"])
        self.log("progress")
        self.emit(["after"])


def test_a_message_that_is_not_an_emit_or_ack_flushes_what_waits(tmp_path):
    writes = serve(LogsInTheMiddle, tmp_path, tuple_message("1", ["x"]))
    assert [[m["command"] for m in w] for w in writes] == [["emit", "log"], ["emit", "ack"]]


class EmitsFromAnotherThread(squall.Bolt):
    def process(self, tup):
        self.emit(["main"])
        helper = threading.Thread(target=self.emit, args=(["helper"],), kwargs={"anchors": []})
        helper.start()
        helper.join()
        self.emit(["main again"])


def test_another_threads_emit_is_written_at_once_and_keeps_the_order(tmp_path):
    writes = serve(EmitsFromAnotherThread, tmp_path, tuple_message("1", ["x"]))
    assert [[m["tuple"][0] if m["command"] == "emit" else m["command"] for m in w]
            for w in writes] == [["main", "helper"], ["main again", "ack"]]


class TwoPerNext(squall.Spout):
    def initialize(self, conf, context):
        self.n = 0

    def next_tuple(self):
        self.emit([self.n], tup_id=self.n)
        self.emit([self.n + 1], tup_id=self.n + 1)
        self.n += 2


def test_a_spouts_emits_and_sync_leave_in_one_write(tmp_path):
    writes = serve(TwoPerNext, tmp_path, {"command": "next"}, {"command": "next"})
    assert [[m["command"] for m in w] for w in writes] == [["emit", "emit", "sync"]] * 2


# ----- several tuples that the engine sent at once (msgpack reads them in one round)

def msgpack_or_skip():
    return pytest.importorskip("msgpack", reason="python3-msgpack is not installed")


def serve_msgpack(component_class, tmp_path, *inputs):
    msgpack = msgpack_or_skip()
    handshake = {"conf": CONF, "context": CONTEXT, "pidDir": str(tmp_path)}
    data = b"".join(msgpack.packb(m) for m in (handshake,) + inputs)
    out = FlushRecorder()
    component = component_class(input_stream=io.BytesIO(data), output_stream=out,
                                serializer="msgpack")
    with pytest.raises(SystemExit):
        component.run()  # ends at EOF
    writes = [list(msgpack.Unpacker(io.BytesIO(chunk), raw=False))
              for chunk in out.flushed[1:]]  # after the {"pid": N} reply
    assert [m["command"] for m in writes.pop()] == ["log"]  # leaving, at EOF
    return writes


def test_fast_tuples_that_arrived_together_leave_in_one_write(tmp_path):
    writes = serve_msgpack(Splitter, tmp_path, tuple_message("1", ["a b"]),
                           tuple_message("2", ["c"]), tuple_message("3", ["d"]))
    assert [[m["command"] for m in w] for w in writes] == [
        ["emit", "emit", "ack", "emit", "ack", "emit", "ack"]]
    assert [m["id"] for m in writes[0] if m["command"] == "ack"] == ["1", "2", "3"]
    assert [m["anchors"] for m in writes[0] if m["command"] == "emit"] == [
        ["1"], ["1"], ["2"], ["3"]]


def test_a_tuple_slower_than_the_hold_flushes_as_it_ends(tmp_path, monkeypatch):
    # FLUSH_HOLD_SECS at 0: every tuple is slower than the hold.
    monkeypatch.setattr(squall.channel, "FLUSH_HOLD_SECS", 0.0)
    writes = serve_msgpack(Splitter, tmp_path, tuple_message("1", ["a b"]),
                           tuple_message("2", ["c"]))
    assert [[m["command"] for m in w] for w in writes] == [
        ["emit", "emit", "ack"], ["emit", "ack"]]


class _Serializer:
    """A serializer that records what it was asked to do, in order."""

    def __init__(self, events):
        self.events = events
        self.raw_write = None

    def write_message(self, message, flush=True):
        self.events.append(("write", message["command"], flush))

    def flush(self):
        self.events.append(("flush",))

    def read_message(self):
        self.events.append(("read",))
        return {"command": "next"}


def test_output_held_past_its_tuple_is_flushed_before_the_channel_reads():
    events = []
    channel = squall.channel.Channel(_Serializer(events))
    channel._commands.append({"command": "queued"})  # the next tuple is here already
    with channel.deferring():
        channel.send_deferrable({"command": "ack", "id": "1"})
    assert events == [("write", "ack", False)]  # held for the queued tuple's output
    assert channel.read_command() == {"command": "queued"}  # no read: nothing to flush yet
    assert events == [("write", "ack", False)]
    assert channel.read_command() == {"command": "next"}
    assert events == [("write", "ack", False), ("flush",), ("read",)]
