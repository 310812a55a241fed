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


def run(squall, name, *extra, done, duration="5", timeout=60):
    """Runs the topology until `done(output)` holds (then Ctrl-C), at most `duration` s."""
    return squall.run_until("run", rel(os.path.join(HERE, name)), "--duration", duration,
                            "--kill-wait", "0", *extra, done=done, timeout=timeout)


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_surrogates_and_big_integers_arrive_exactly(squall, multilang, serializer):
    if serializer == "msgpack" and not has_msgpack():
        pytest.skip("python3-msgpack is not installed")
    r = run(squall, "exact.yaml", "-c", "topology.multilang.serializer=" + serializer,
            done=lambda out: out.count("payload EXACT") == 2 and "spout acked exact-0" in out
            and "spout acked exact-1" in out)
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert output.count("payload EXACT") == 2, output
    assert "CHANGED" not in output, output
    assert "10000000000000000000000000000" in output  # 10**30 printed as an int
    assert "spout acked exact-0" in output and "spout acked exact-1" in output, output
    assert "asked for" not in output  # no serializer warning: the code asked for nothing


def test_poison_value_fails_its_tuple_and_the_rest_flows(squall, multilang):
    r = run(squall, "poison.yaml",
            done=lambda out: all(w in out for w in ("bolt received 'third'", "spout failed m1",
                                                    "spout acked m0", "spout acked m2",
                                                    "cannot be carried")))
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
            duration="4", timeout=60,
            done=lambda out: "a message of at least 2147483" in out
            and "topology.multilang.max.message.bytes = 67108864" in out)
    elapsed = time.monotonic() - start
    output = r.stdout + r.stderr
    # The child's timeout is 120 s: the refusal must come from the header, not from silence.
    assert "a message of at least 2147483" in output, output
    assert "topology.multilang.max.message.bytes = 67108864" in output, output
    assert elapsed < 40, elapsed
