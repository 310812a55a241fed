"""Spout command cycle: every command is answered by sync."""

SPOUT = """
    from squall import Spout

    class Counting(Spout):
        def initialize(self, conf, context):
            self.n = 0
            self.active = False

        def activate(self):
            self.active = True
            self.log("activated")

        def deactivate(self):
            self.active = False
            self.log("deactivated")

        def next_tuple(self):
            if not self.active:
                return
            self.n += 1
            if self.n == 3:
                ids = self.emit(["with-ids"], tup_id=self.n, need_task_ids=True)
                self.emit(["task-ids", ids], stream="meta")
            elif self.n == 4:
                self.emit(["direct"], direct_task=2)
            elif self.n == 5:
                self.emit(["unreliable"])
            else:
                self.emit(["n", self.n], tup_id="id-{}".format(self.n))

        def ack(self, tup_id):
            self.log("acked {!r}".format(tup_id))

        def fail(self, tup_id):
            self.emit(["replay"], tup_id=tup_id)

    Counting().run()
"""


def test_spout_next_ack_fail_activate_deactivate_cycle(spawn):
    engine = spawn(SPOUT)
    engine.handshake()
    sync = {"command": "sync"}

    engine.send({"command": "next", "id": ""})  # not active yet: nothing but sync
    assert engine.expect() == sync

    engine.send({"command": "activate", "id": ""})
    assert engine.read()["msg"] == "activated"
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect() == {"command": "emit", "tuple": ["n", 1], "id": "id-1",
                               "need_task_ids": False}
    assert engine.expect() == sync

    engine.send({"command": "ack", "id": "id-1"})
    assert engine.read() == {"command": "log", "msg": "acked 'id-1'", "level": 2}
    assert engine.expect() == sync

    engine.send({"command": "fail", "id": 17})  # numeric ids come back as sent
    assert engine.expect() == {"command": "emit", "tuple": ["replay"], "id": 17,
                               "need_task_ids": False}
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect()["id"] == "id-2"
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect() == {"command": "emit", "tuple": ["with-ids"], "id": 3}
    engine.send([2, 3])
    assert engine.expect() == {"command": "emit", "tuple": ["task-ids", [2, 3]],
                               "stream": "meta", "need_task_ids": False}
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect() == {"command": "emit", "tuple": ["direct"], "task": 2,
                               "need_task_ids": False}
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect() == {"command": "emit", "tuple": ["unreliable"], "need_task_ids": False}
    assert engine.expect() == sync

    engine.send({"command": "deactivate", "id": ""})
    assert engine.read()["msg"] == "deactivated"
    assert engine.expect() == sync

    engine.send({"command": "next", "id": ""})
    assert engine.expect() == sync

    engine.send({"command": "bogus"})  # logged, still synced
    assert engine.expect() == sync
    assert "unknown command" in engine.logs[-1]["msg"]
    assert engine.logs[-1]["level"] == 4


def test_reliable_spout_replays_then_gives_up(spawn):
    engine = spawn("""
        from squall import ReliableSpout

        class Once(ReliableSpout):
            max_fails = 2

            def initialize(self, conf, context):
                self.sent = False

            def next_tuple(self):
                if not self.sent:
                    self.sent = True
                    self.emit(["x"], tup_id="a")

        Once().run()
    """)
    engine.handshake()
    engine.send({"command": "next", "id": ""})
    assert engine.expect()["id"] == "a"
    assert engine.expect() == {"command": "sync"}
    for _ in range(2):
        engine.send({"command": "fail", "id": "a"})
        assert engine.expect() == {"command": "emit", "tuple": ["x"], "id": "a",
                                   "need_task_ids": False}
        assert engine.expect() == {"command": "sync"}
    engine.send({"command": "fail", "id": "a"})
    assert engine.expect() == {"command": "sync"}
    assert "giving up" in engine.logs[-1]["msg"]


def test_exception_in_next_tuple_reports_syncs_and_exits_1(spawn):
    engine = spawn("""
        from squall import Spout

        class Broken(Spout):
            def next_tuple(self):
                raise RuntimeError("spout is broken")

        Broken().run()
    """)
    engine.handshake()
    engine.send({"command": "next", "id": ""})
    error = engine.expect()
    assert error["command"] == "error"
    assert "RuntimeError: spout is broken" in error["msg"]
    assert "Traceback" in error["msg"]
    assert engine.expect() == {"command": "sync"}
    assert engine.wait() == 1
