"""BatchingBolt and TicklessBatchingBolt."""

from fake_engine import heartbeat_message, tick_message, tuple_message

BATCHING_BOLT = """
    from squall import BatchingBolt

    class CountWords(BatchingBolt):
        ticks_between_batches = %d

        def group_key(self, tup):
            return tup.values[0]

        def process_batch(self, key, tups):
            if key == "boom":
                raise ValueError("boom batch")
            self.emit([key, len(tups)])

    CountWords().run()
"""


def start(spawn, ticks=1):
    engine = spawn(BATCHING_BOLT % ticks)
    engine.handshake()
    return engine


def test_batches_grouped_by_key_flush_on_tick(spawn):
    engine = start(spawn)
    for tuple_id, word in [("1", "a"), ("2", "b"), ("3", "a")]:
        engine.send(tuple_message(tuple_id, [word]))
    engine.send(heartbeat_message())
    assert engine.expect() == {"command": "sync"}  # tuples are held, not acked
    engine.send(tick_message("-9"))
    assert engine.expect() == {"command": "ack", "id": "-9"}
    assert engine.expect() == {"command": "emit", "tuple": ["a", 2], "anchors": ["1", "3"],
                               "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "1"}
    assert engine.expect() == {"command": "ack", "id": "3"}
    assert engine.expect() == {"command": "emit", "tuple": ["b", 1], "anchors": ["2"],
                               "need_task_ids": False}
    assert engine.expect() == {"command": "ack", "id": "2"}
    engine.send(tick_message("-10"))  # nothing pending: only the tick ack
    assert engine.expect() == {"command": "ack", "id": "-10"}
    engine.send(heartbeat_message())
    assert engine.expect() == {"command": "sync"}


def test_ticks_between_batches(spawn):
    engine = start(spawn, ticks=2)
    engine.send(tuple_message("1", ["a"]))
    engine.send(tick_message("-1"))
    assert engine.expect() == {"command": "ack", "id": "-1"}
    engine.send(heartbeat_message())
    assert engine.expect() == {"command": "sync"}  # first tick: no flush yet
    engine.send(tick_message("-2"))
    assert engine.expect() == {"command": "ack", "id": "-2"}
    assert engine.expect()["tuple"] == ["a", 1]
    assert engine.expect() == {"command": "ack", "id": "1"}


def test_failing_batch_fails_its_tuples_and_pending_batches_before_exit(spawn):
    engine = start(spawn)
    engine.send(tuple_message("1", ["ok"]))
    engine.send(tuple_message("2", ["boom"]))
    engine.send(tuple_message("3", ["later"]))
    engine.send(tick_message("-1"))
    assert engine.expect() == {"command": "ack", "id": "-1"}
    assert engine.expect()["tuple"] == ["ok", 1]
    assert engine.expect() == {"command": "ack", "id": "1"}
    error = engine.expect()
    assert error["command"] == "error" and "boom batch" in error["msg"]
    assert engine.expect() == {"command": "sync"}
    assert engine.expect() == {"command": "fail", "id": "2"}
    assert engine.expect() == {"command": "fail", "id": "3"}
    assert engine.wait() == 1


def test_tickless_batching_bolt_flushes_on_its_timer(spawn):
    engine = spawn("""
        from squall import TicklessBatchingBolt

        class Timed(TicklessBatchingBolt):
            secs_between_batches = 0.05

            def group_key(self, tup):
                return tup.values[0] % 2

            def process_batch(self, key, tups):
                self.emit([key, sorted(t.values[0] for t in tups)])

        Timed().run()
    """)
    engine.handshake()
    engine.send(tick_message("-1"))
    assert engine.expect() == {"command": "ack", "id": "-1"}
    for n in range(1, 5):
        engine.send(tuple_message(str(n), [n]))
    batches = {}
    acked = set()
    while len(acked) < 4:
        message = engine.expect()
        if message["command"] == "emit":
            key, values = message["tuple"]
            batches.setdefault(key, []).extend(values)
            assert sorted(message["anchors"]) == [str(v) for v in values]
        else:
            assert message["command"] == "ack"
            acked.add(message["id"])
    assert batches == {1: [1, 3], 0: [2, 4]}


def test_tickless_batch_exception_is_reported_and_exits(spawn):
    engine = spawn("""
        from squall import TicklessBatchingBolt

        class Boom(TicklessBatchingBolt):
            secs_between_batches = 0.02

            def process_batch(self, key, tups):
                raise RuntimeError("timer batch failed")

        Boom().run()
    """)
    engine.handshake()
    engine.send(tuple_message("1", ["x"]))
    error = engine.expect()
    assert error["command"] == "error" and "timer batch failed" in error["msg"]
    assert engine.expect() == {"command": "sync"}
    assert engine.expect() == {"command": "fail", "id": "1"}
    assert engine.wait() == 1
