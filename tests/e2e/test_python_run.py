"""`squall run` with Python components: these need the multilang engine (src/multilang) and
are skipped by a squall built without it."""

import os
import re

import pytest

from conftest import EXAMPLES, FAILING, GOOD, interrupt, rel, wait_for_output

# The sentence spout emits five sentences once; "the" appears four times in them.
FINAL_THE = '["the", 4]'
# The live demo's summary line (examples/resources/top_words_bolt.py).
SUMMARY = re.compile(r"after \d+ s: (\d+) words \(\d+/s\); top: ")


@pytest.mark.parametrize("name", ["wordcount_squall.yaml", "wordcount.py"])
def test_word_count_examples(squall, multilang, name):
    proc = squall.start("run", rel(os.path.join(EXAMPLES, name)), "--kill-wait", "1")
    try:
        wait_for_output(proc, FINAL_THE, deadline_secs=30)
        interrupt(proc)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "killed" in out


def test_live_word_count_demo(squall, multilang):
    # The README's demo: a steady spout, and a summary of the top words every 2 s whose word
    # count keeps growing.
    proc = squall.start("run", rel(os.path.join(EXAMPLES, "wordcount.yaml")), "--kill-wait", "1")
    try:
        lines = wait_for_output(proc, "; top: ", deadline_secs=30)
        lines += wait_for_output(proc, "; top: ", deadline_secs=10)
        totals = [int(m.group(1)) for m in map(SUMMARY.search, lines) if m]
        assert len(totals) == 2 and 0 < totals[0] < totals[1], "".join(lines)
        interrupt(proc)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "killed" in out


def test_word_count_with_duration(squall, multilang):
    final = [FINAL_THE, '["seven", 2]', '["moon", 1]']
    r = squall.run_until("run", rel(os.path.join(EXAMPLES, "wordcount_squall.yaml")),
                         "--duration", "6", "--kill-wait", "1",
                         done=lambda out: all(f in out for f in final))
    assert r.returncode == 0, r.stderr
    for f in final:
        assert f in r.stdout, (f, r.stdout)


def test_python_logs_reach_the_terminal(squall, multilang):
    wanted = ["hello from python:", "log_bolt saw three words"]
    r = squall.run_until("run", rel(os.path.join(GOOD, "python_logging.yaml")), "--duration", "3",
                         "--kill-wait", "0", done=lambda out: all(w in out for w in wanted))
    assert r.returncode == 0, r.stderr
    output = r.stdout + r.stderr
    assert "hello from python:" in output
    assert "log_bolt saw three words" in output


def test_debug_traces_python_emits(squall, multilang):
    wanted = ["componentId=split stream=default values=[\"the\"]", "componentId=sentences"]
    r = squall.run_until("run", rel(os.path.join(EXAMPLES, "wordcount_squall.yaml")),
                         "--duration", "4", "--kill-wait", "0", "--debug",
                         done=lambda out: all(w in out for w in wanted))
    assert r.returncode == 0, r.stderr
    assert "componentId=split stream=default values=[\"the\"]" in r.stdout
    assert "componentId=sentences" in r.stdout


def test_component_that_keeps_crashing_is_fatal(squall, multilang):
    path = rel(os.path.join(FAILING, "crash_on_start.yaml"))
    r = squall.run("run", path, "--kill-wait", "0", timeout=60)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "component 'crash' (task" in r.stderr
    assert "failed fatally: it crashed 3 times in a row" in r.stderr


def test_validate_sees_the_shell_classes(squall, multilang):
    r = squall.run("validate", rel(os.path.join(EXAMPLES, "wordcount.yaml")))
    assert r.returncode == 0, r.stderr
    assert "multilang" not in r.stderr
