"""`squall run` on topologies of built-in C++ components (no multilang engine needed)."""

import os
import re

from conftest import EXAMPLES, GOOD, interrupt, rel, wait_for_output

WORD_COUNT_LINE = re.compile(r'\["(nathan|mike|jackson|golda|bertels)", (\d+)\]')


def test_run_for_a_duration(squall):
    r = squall.run("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--duration", "1.5",
                   "--kill-wait", "0")
    assert r.returncode == 0, r.stderr
    counts = [int(m.group(2)) for m in WORD_COUNT_LINE.finditer(r.stdout)]
    # Two spout tasks, one word each per 100 ms: about 30 words in 1.5 s.
    assert 10 <= len(counts) <= 60, r.stdout
    assert "[info] source: count:" in r.stdout  # LogInfoBolt logs each tuple
    assert "topology 'test-words'" in r.stdout and "killed" in r.stdout


def test_run_dsl_of_native_components(squall):
    r = squall.run("run", rel(os.path.join(GOOD, "native_words.py")), "--duration", "1",
                   "--kill-wait", "0")
    assert r.returncode == 0, r.stderr
    assert WORD_COUNT_LINE.search(r.stdout), r.stdout


def test_debug_traces_tuples(squall):
    r = squall.run("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--duration", "0.5",
                   "--kill-wait", "0", "--debug")
    assert r.returncode == 0, r.stderr
    assert "Emitting Tuple: taskId=" in r.stdout and "componentId=words" in r.stdout
    assert "Processing received message FOR" in r.stdout
    assert "BOLT ack TASK:" in r.stdout


def test_debug_from_config(squall):
    r = squall.run("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--duration", "0.5",
                   "--kill-wait", "0", "-c", "topology.debug=true")
    assert r.returncode == 0, r.stderr
    assert "Emitting Tuple:" in r.stdout


def test_ctrl_c_stops_cleanly(squall):
    proc = squall.start("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--kill-wait", "0")
    try:
        wait_for_output(proc, '", 2]', deadline_secs=20)  # running: some word counted twice
        interrupt(proc)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted" in out
    assert "killed" in out


def test_sigterm_stops_cleanly(squall):
    proc = squall.start("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--kill-wait", "0")
    try:
        wait_for_output(proc, "started", deadline_secs=20)
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "killed" in out


def test_run_with_every_grouping(squall):
    r = squall.run("run", rel(os.path.join(GOOD, "components.yaml")), "--duration", "1",
                   "--kill-wait", "0")
    assert r.returncode == 0, r.stderr
    assert "source: fields:" in r.stdout  # global bolt logs what fields emits
    assert "source: shuffled:" in r.stdout
    assert "source: words:" in r.stdout
