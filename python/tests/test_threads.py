"""Emits from several threads, each waiting for its own task-id reply."""

from fake_engine import heartbeat_message, tuple_message

THREADS, EMITS = 4, 50

THREADED_BOLT = """
    import threading
    from squall import Bolt

    class Fanout(Bolt):
        def process(self, tup):
            mismatches = []

            def work(thread_no):
                for i in range(%(emits)d):
                    value = thread_no * 1000 + i
                    ids = self.emit([value, "x" * (i %% 7) * 100], need_task_ids=True)
                    if ids != [value]:
                        mismatches.append((value, ids))
                    self.logger.info("thread %%d emitted %%d", thread_no, i)

            threads = [threading.Thread(target=work, args=(n,)) for n in range(%(threads)d)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.emit(["done", len(mismatches)])

    Fanout().run()
""" % {"threads": THREADS, "emits": EMITS}


def test_concurrent_emits_get_their_own_task_ids(spawn):
    engine = spawn(THREADED_BOLT)
    engine.handshake()
    engine.send(tuple_message("1", ["go"]))
    answered = 0
    heartbeats = 0
    while answered < THREADS * EMITS:
        message = engine.expect()
        assert message["command"] == "emit" and message["anchors"] == ["1"], message
        value = message["tuple"][0]
        if answered % 10 == 0:  # input keeps arriving while the threads wait
            engine.send(heartbeat_message(str(-answered - 1)))
            heartbeats += 1
        engine.send([value])  # the engine answers in emit order
        answered += 1
    assert engine.expect()["tuple"] == ["done", 0]
    assert engine.expect() == {"command": "ack", "id": "1"}
    for _ in range(heartbeats):
        assert engine.expect() == {"command": "sync"}
    assert len(engine.logs) == THREADS * EMITS
