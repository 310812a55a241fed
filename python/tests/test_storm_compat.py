"""Old ``import storm`` scripts (Apache Storm's storm.py API)."""

from fake_engine import heartbeat_message, tick_message, tuple_message

SPLIT_BASIC_BOLT = """
    import storm

    class SplitSentence(storm.BasicBolt):
        def initialize(self, conf, context):
            storm.logInfo("ready " + context["componentid"])

        def process(self, tup):
            if tup.values[0] == "explode":
                raise ValueError("cannot split")
            for word in str(tup.values[0]).split(" "):
                ids = storm.emit([word], anchors=["ignored"])  # BasicBolt overrides anchors
                storm.log("sent {} to {}".format(word, ids), 1)

    SplitSentence().run()
"""


def test_basic_bolt_anchors_acks_and_fails(spawn):
    engine = spawn(SPLIT_BASIC_BOLT)
    engine.handshake()
    assert engine.read() == {"command": "log", "msg": "ready split", "level": 2}
    engine.send(tuple_message("1", ["a b"]))
    assert engine.read() == {"command": "emit", "anchors": ["1"], "tuple": ["a"]}
    engine.send([2])
    assert engine.read() == {"command": "log", "msg": "sent a to [2]", "level": 1}
    assert engine.read() == {"command": "emit", "anchors": ["1"], "tuple": ["b"]}
    engine.send(heartbeat_message())  # arrives while storm.emit waits for task ids
    engine.send([3])
    assert engine.read()["msg"] == "sent b to [3]"
    assert engine.read() == {"command": "ack", "id": "1"}
    assert engine.read() == {"command": "sync"}

    engine.send(tuple_message("2", ["explode"]))
    error = engine.read()
    assert error["command"] == "error"
    assert "Traceback" in error["msg"] and "ValueError: cannot split" in error["msg"]
    assert engine.read() == {"command": "fail", "id": "2"}

    engine.send(tick_message("-9"))  # storm.py hands ticks to process like any tuple
    assert engine.read() == {"command": "emit", "anchors": ["-9"], "tuple": ["1"]}
    engine.send([])
    engine.read()
    assert engine.read() == {"command": "ack", "id": "-9"}

    engine.close_stdin()
    assert engine.wait() == 0


def test_plain_bolt_has_no_auto_ack_and_stops_after_an_exception(spawn):
    engine = spawn("""
        import storm

        class Echo(storm.Bolt):
            def process(self, tup):
                if tup.values[0] == "die":
                    raise RuntimeError("dead")
                storm.emit([tup.values[0]], anchors=[tup])
                storm.emitDirect(7, ["direct"], stream="s")
                storm.ack(tup)

        Echo().run()
    """)
    engine.handshake()
    engine.send(tuple_message("1", ["x"]))
    assert engine.read() == {"command": "emit", "anchors": ["1"], "tuple": ["x"]}
    engine.send([4])
    assert engine.read() == {"command": "emit", "stream": "s", "anchors": [], "task": 7,
                             "tuple": ["direct"]}
    assert engine.read() == {"command": "ack", "id": "1"}
    engine.send(tuple_message("2", ["die"]))
    error = engine.read()
    assert error["command"] == "error" and "RuntimeError: dead" in error["msg"]
    assert engine.wait() == 0  # storm.py returns from run(); the engine then sees EOF


def test_storm_py_spout(spawn):
    engine = spawn("""
        import storm

        class Words(storm.Spout):
            def initialize(self, conf, context):
                self.words = ["alpha", "beta"]

            def nextTuple(self):
                if self.words:
                    word = self.words.pop(0)
                    ids = storm.emit([word], id=word)
                    storm.logDebug("{} -> {}".format(word, ids))

            def ack(self, id):
                storm.logInfo("acked " + id)

            def fail(self, id):
                storm.emit(["again-" + id], id=id, stream="retry")

        Words().run()
    """)
    engine.handshake()
    engine.send({"command": "activate", "id": ""})
    assert engine.read() == {"command": "sync"}
    engine.send({"command": "next", "id": ""})
    assert engine.read() == {"command": "emit", "id": "alpha", "tuple": ["alpha"]}
    engine.send([2, 3])
    assert engine.read() == {"command": "log", "msg": "alpha -> [2, 3]", "level": 1}
    assert engine.read() == {"command": "sync"}
    engine.send({"command": "ack", "id": "alpha"})
    assert engine.read() == {"command": "log", "msg": "acked alpha", "level": 2}
    assert engine.read() == {"command": "sync"}
    engine.send({"command": "fail", "id": "beta"})
    assert engine.read() == {"command": "emit", "id": "beta", "stream": "retry",
                             "tuple": ["again-beta"]}
    engine.send([3])
    assert engine.read() == {"command": "sync"}


def test_module_level_helpers(spawn):
    engine = spawn("""
        import storm

        conf, context = storm.initComponent()
        storm.logTrace("t"); storm.logDebug("d"); storm.logInfo("i")
        storm.logWarn("w"); storm.logError("e")
        storm.rpcMetrics("m", 5)
        storm.reportError("oops")
        print("stray")
        tup = storm.readTuple()
        storm.sendMsgToParent({"command": "emit", "tuple": [tup.values[0], conf["topology.name"]]})
        storm.sync()
        print(storm.readTaskIds())
    """)
    engine.handshake()
    assert [engine.read()["level"] for _ in range(5)] == [0, 1, 2, 3, 4]
    assert engine.read() == {"command": "metrics", "name": "m", "params": 5}
    assert engine.read() == {"command": "error", "msg": "oops"}
    assert engine.read() == {"command": "log", "msg": "stray", "level": 2}
    engine.send(tuple_message("1", ["v"]))
    assert engine.read() == {"command": "emit", "tuple": ["v", "wordcount"]}
    assert engine.read() == {"command": "sync"}
    engine.send([5, 6])
    assert engine.read() == {"command": "log", "msg": "[5, 6]", "level": 2}
    assert engine.wait() == 0
