"""Payloads arrive exactly as sent, or only the tuple that cannot be carried fails
(docs/VALUES.md): the real `squall` binary, Python children, both multilang serializers."""

import os
import time

import pytest

from conftest import rel

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "payloads")
SERIALIZERS = ["json", "msgpack"]


def has_msgpack():
    try:
        import msgpack  # noqa: F401
    except ImportError:
        return False
    return True


def run(squall, name, *extra, duration="5", timeout=60):
    return squall.run("run", rel(os.path.join(HERE, name)), "--duration", duration,
                      "--kill-wait", "0", *extra, timeout=timeout)


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_surrogates_and_big_integers_arrive_exactly(squall, multilang, serializer):
    if serializer == "msgpack" and not has_msgpack():
        pytest.skip("python3-msgpack is not installed")
    r = run(squall, "exact.yaml", "-c", "topology.multilang.serializer=" + serializer)
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert output.count("payload EXACT") == 2, output
    assert "CHANGED" not in output, output
    assert "10000000000000000000000000000" in output  # 10**30 printed as an int
    assert "spout acked exact-0" in output and "spout acked exact-1" in output, output
    assert "asked for" not in output  # no serializer warning: the code asked for nothing


def test_poison_value_fails_its_tuple_and_the_rest_flows(squall, multilang):
    r = run(squall, "poison.yaml")
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "bolt received 'first'" in output, output
    assert "bolt received 'third'" in output, output
    assert "bolt received 'bad" not in output, output
    assert "spout failed m1" in output, output
    assert "spout acked m0" in output and "spout acked m2" in output, output
    assert "ShellSpout 'raw' task" in output and "cannot be carried" in output, output
    assert "field 0 of the tuple" in output and "not UTF-8" in output, output
    assert "restarting" not in output, output  # the child was not stopped


def test_huge_msgpack_header_is_refused_at_once(squall, multilang):
    if not has_msgpack():
        pytest.skip("python3-msgpack is not installed")
    start = time.monotonic()
    r = run(squall, "huge_header.yaml", "-c", "topology.multilang.serializer=msgpack",
            duration="4", timeout=60)
    elapsed = time.monotonic() - start
    output = r.stdout + r.stderr
    # The child's timeout is 120 s: the refusal must come from the header, not from silence.
    assert "a message of at least 2147483" in output, output
    assert "topology.multilang.max.message.bytes = 67108864" in output, output
    assert elapsed < 40, elapsed
