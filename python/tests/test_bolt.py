"""Bolt behaviour: acking, anchoring, streams, direct emits, heartbeats, ticks."""

from fake_engine import heartbeat_message, tick_message, tuple_message

BOLT = """
    from squall import Bolt

    class Router(Bolt):
        def process(self, tup):
            sentence = tup.values.sentence
            if sentence == "plain":
                self.emit(["p"])
            elif sentence == "stream":
                self.emit(["s"], stream="words")
            elif sentence == "direct":
                self.emit(["d"], direct_task=9)
            elif sentence == "direct-ids":
                self.emit(["dt", self.emit(["d"], direct_task=9, need_task_ids=True)])
            elif sentence == "anchors":
                self.emit(["a"], anchors=["x", tup])
            elif sentence == "unanchored":
                self.emit(["u"], anchors=[])
            elif sentence == "ids":
                ids = self.emit(["i"], need_task_ids=True)
                self.emit(["got", ids])
            elif sentence == "many":
                self.emit_many([["m1"], ["m2"]], stream="words")
            elif sentence == "fail":
                self.fail(tup)
            elif sentence == "metric":
                self.report_metric("my-metric", {"n": 1})

        def process_tick(self, tup):
            self.emit(["tick", list(tup.values)])

    Router().run()
"""


def start(spawn, code=BOLT):
    engine = spawn(code)
    engine.handshake()
    return engine


def test_process_emits_anchored_to_current_tuple_then_acks(spawn):
    engine = start(spawn)
    engine.send(tuple_message("-123", ["plain"]))
    assert engine.expect() == {
        "command": "emit", "tuple": ["p"], "anchors": ["-123"], "need_task_ids": False,
    }
    assert engine.expect() == {"command": "ack", "id": "-123"}


def test_stream_direct_and_explicit_anchors(spawn):
    engine = start(spawn)
    engine.send(tuple_message("1", ["stream"]))
    assert engine.expect() == {"command": "emit", "tuple": ["s"], "anchors": ["1"],
                               "stream": "words", "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "1"}
    engine.send(tuple_message("2", ["direct"]))
    assert engine.expect() == {"command": "emit", "tuple": ["d"], "anchors": ["2"], "task": 9,
                               "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "2"}
    engine.send(tuple_message("3", ["anchors"]))
    assert engine.expect()["anchors"] == ["x", "3"]
    assert engine.expect() == {"command": "ack", "id": "3"}
    engine.send(tuple_message("4", ["unanchored"]))
    assert engine.expect()["anchors"] == []
    assert engine.expect() == {"command": "ack", "id": "4"}


def test_direct_emit_with_need_task_ids_does_not_wait(spawn):
    engine = start(spawn)
    engine.send(tuple_message("1", ["direct-ids"]))
    assert engine.expect() == {"command": "emit", "tuple": ["d"], "anchors": ["1"], "task": 9}
    assert engine.expect()["tuple"] == ["dt", [9]]
    assert engine.expect() == {"command": "ack", "id": "1"}


def test_emit_many_and_explicit_fail_and_metrics(spawn):
    engine = start(spawn)
    engine.send(tuple_message("1", ["many"]))
    assert [engine.expect()["tuple"] for _ in range(2)] == [["m1"], ["m2"]]
    assert engine.expect() == {"command": "ack", "id": "1"}
    engine.send(tuple_message("2", ["fail"]))
    assert engine.expect() == {"command": "fail", "id": "2"}
    assert engine.expect() == {"command": "ack", "id": "2"}  # auto_ack still applies
    engine.send(tuple_message("3", ["metric"]))
    assert engine.expect() == {"command": "metrics", "name": "my-metric", "params": {"n": 1}}
    assert engine.expect() == {"command": "ack", "id": "3"}


def test_need_task_ids_reply_arrives_after_newer_tuples(spawn):
    engine = start(spawn)
    engine.send(tuple_message("1", ["ids"]))
    emit = engine.expect()
    assert emit == {"command": "emit", "tuple": ["i"], "anchors": ["1"]}  # need_task_ids omitted
    # The engine delivers more input and a heartbeat before the task ids.
    engine.send(tuple_message("2", ["plain"]))
    engine.send(heartbeat_message("-5"))
    engine.send([7, 9])
    assert engine.expect()["tuple"] == ["got", [7, 9]]
    assert engine.expect() == {"command": "ack", "id": "1"}
    # Queued messages are then handled in arrival order.
    assert engine.expect()["tuple"] == ["p"]
    assert engine.expect() == {"command": "ack", "id": "2"}
    assert engine.expect() == {"command": "sync"}


def test_heartbeat_gets_sync_and_is_never_acked(spawn):
    engine = start(spawn)
    engine.send(heartbeat_message("-5"))
    assert engine.expect() == {"command": "sync"}
    engine.send(tuple_message("6", ["plain"]))
    assert engine.expect()["tuple"] == ["p"]  # nothing (no ack of -5) came in between
    assert engine.expect() == {"command": "ack", "id": "6"}


def test_tick_goes_to_process_tick_and_is_acked(spawn):
    engine = start(spawn)
    engine.send(tick_message("-9", secs=3))
    assert engine.expect() == {"command": "emit", "tuple": ["tick", [3]], "anchors": ["-9"],
                               "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "-9"}


def test_auto_ack_and_auto_anchor_off(spawn):
    engine = start(spawn, """
        from squall import Bolt

        class Manual(Bolt):
            auto_ack = False
            auto_anchor = False

            def process(self, tup):
                self.emit([tup.values[0]])
                if tup.values[0] == "ack-me":
                    self.ack(tup.id)

        Manual().run()
    """)
    engine.send(tuple_message("1", ["keep"]))
    assert engine.expect()["anchors"] == []
    engine.send(tuple_message("2", ["ack-me"]))
    assert engine.expect()["tuple"] == ["ack-me"]
    assert engine.expect() == {"command": "ack", "id": "2"}


def test_values_are_named_after_the_source_stream_fields(spawn):
    engine = start(spawn, """
        from squall import Bolt

        class Fields(Bolt):
            def process(self, tup):
                values = tup.values
                self.emit([type(values).__name__, getattr(values, "_fields", None),
                           list(values)])

        Fields().run()
    """)
    engine.send(tuple_message("1", ["hello world"]))
    assert engine.expect()["tuple"] == ["SpoutDefaultTuple", ["sentence"], ["hello world"]]
    engine.expect()
    engine.send(tuple_message("2", [1, 2], comp="other"))
    assert engine.expect()["tuple"] == ["tuple", None, [1, 2]]


def test_each_tuples_emits_carry_its_own_anchors_and_stream(spawn):
    # The channel encodes an emit's anchors and stream once for all the emits that share
    # them (Channel.send_emit): a new tuple, or another stream, must change what is sent.
    engine = start(spawn, BOLT.replace('if sentence == "plain":', 'if sentence == "twice":\n'
                                       '                self.emit(["t1"])\n'
                                       '                self.emit(["t2"], stream="words")\n'
                                       '                self.emit(["t3"])\n'
                                       '            elif sentence == "plain":'))
    for tuple_id in ["1", "2"]:
        engine.send(tuple_message(tuple_id, ["twice"]))
        for value, stream in [("t1", None), ("t2", "words"), ("t3", None)]:
            message = engine.expect()
            assert message["tuple"] == [value] and message["anchors"] == [tuple_id]
            assert message.get("stream") == stream
        assert engine.expect() == {"command": "ack", "id": tuple_id}


def test_a_bolt_without_auto_anchor_emits_unanchored(spawn):
    engine = start(spawn, BOLT.replace("class Router(Bolt):",
                                       "class Router(Bolt):\n        auto_anchor = False"))
    for tuple_id in ["5", "6"]:
        engine.send(tuple_message(tuple_id, ["plain"]))
        assert engine.expect() == {"command": "emit", "tuple": ["p"], "anchors": [],
                                   "need_task_ids": False}
        assert engine.expect() == {"command": "ack", "id": tuple_id}
