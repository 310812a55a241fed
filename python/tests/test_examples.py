"""The example components, chained by hand the way the engine would run word count."""

import os
from collections import Counter

import pytest

from fake_engine import PYTHON_DIR, tick_message, tuple_message

EXAMPLES = os.path.join(PYTHON_DIR, "examples")


def example(name):
    return os.path.join(EXAMPLES, name)


def collect_sentences(spawn):
    spout = spawn(script=example("sentence_spout.py"))
    spout.handshake()
    spout.send({"command": "activate", "id": ""})
    assert spout.expect() == {"command": "sync"}
    sentences = []
    while True:
        spout.send({"command": "next", "id": ""})
        message = spout.expect()
        if message == {"command": "sync"}:
            break
        assert message["id"] == len(sentences)
        sentences.append(message["tuple"][0])
        assert spout.expect() == {"command": "sync"}
    # A failed sentence is replayed with the same id.
    spout.send({"command": "fail", "id": 2})
    assert spout.expect() == {"command": "sync"}
    spout.send({"command": "next", "id": ""})
    assert spout.expect()["id"] == 2
    return sentences


def split(engine, sentences):
    words = []
    for n, sentence in enumerate(sentences):
        engine.send(tuple_message(str(n), [sentence]))
        while True:
            message = engine.expect()
            if message["command"] == "ack":
                assert message["id"] == str(n)
                break
            assert message["command"] == "emit" and message["anchors"] == [str(n)]
            if "need_task_ids" not in message:  # storm.py waits for the task ids
                engine.send([3])
            words.append(message["tuple"][0])
    return words


@pytest.mark.parametrize("splitter, env", [
    ("split_sentence_bolt.py", None),
    ("storm_split_sentence.py", {"PYTHONPATH": ""}),  # finds squall from its own path
])
def test_word_count_chain(spawn, splitter, env):
    sentences = collect_sentences(spawn)
    assert len(sentences) == 5

    splitter_engine = spawn(script=example(splitter), env=env)
    splitter_engine.handshake()
    words = split(splitter_engine, sentences)
    assert words == " ".join(sentences).split()

    counter = spawn(script=example("word_count_bolt.py"))
    counter.handshake()
    final = {}
    for n, word in enumerate(words):
        counter.send(tuple_message(str(n), [word], comp="split"))
        emitted = counter.expect()
        assert emitted["anchors"] == [str(n)]
        final[word] = emitted["tuple"][1]
        assert counter.expect() == {"command": "ack", "id": str(n)}
    assert final == Counter(words)
    assert final["the"] == 4


def test_batching_word_count(spawn):
    engine = spawn(script=example("batching_word_count_bolt.py"))
    engine.handshake()
    for n, word in enumerate(["a", "b", "a"]):
        engine.send(tuple_message(str(n), [word], comp="split"))
    engine.send(tick_message())
    assert engine.expect()["command"] == "ack"
    counts = {}
    while len(counts) < 2:
        message = engine.expect()
        if message["command"] == "emit":
            counts[message["tuple"][0]] = message["tuple"][1]
    assert counts == {"a": 2, "b": 1}
