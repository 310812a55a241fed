"""Hostile topology files: each is refused quickly, with bounded memory and a sentence naming
the file and line, before anything runs."""

import os
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import EXAMPLES, ROOT, merged_env, rel, wait_for_output

# Peak memory of the whole `squall` process (an ASan build starts near 100 MB).
MAX_RSS_MB = 400


def run_bounded(squall, args, deadline_secs=30, env=None):
    """Runs squall ARGS; returns (status, stdout, stderr, seconds, peak RSS in MB) of that one
    process (os.wait4). It is killed at the deadline, so a runaway input fails the test instead
    of taking the machine's memory."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([squall.binary, *args], cwd=ROOT, stdout=out, stderr=err,
                                env=merged_env(env))
        timer = threading.Timer(deadline_secs, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if elapsed >= deadline_secs:
        pytest.fail("squall {} ran past {} s".format(" ".join(args), deadline_secs))
    return proc.returncode, stdout, stderr, elapsed, usage.ru_maxrss / 1024


def alias_bomb(levels=9, fanout=10):
    lines = ["name: bomb", "config:"]
    lines.append("  l0: &l0 [x, x, x, x, x, x, x, x, x, x]")
    for i in range(1, levels):
        refs = ", ".join("*l{}".format(i - 1) for _ in range(fanout))
        lines.append("  l{}: &l{} [{}]".format(i, i, refs))
    lines += ["spouts:", "  - id: words", "    className: org.apache.storm.testing.TestWordSpout"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["validate", "run"])
def test_alias_bomb_is_refused_quickly_in_bounded_memory(squall, tmp_path, command):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    args = [command, str(path)] + (["--duration", "1"] if command == "run" else [])
    status, _, err, secs, rss = run_bounded(squall, args)
    assert status == 1, err
    # 10^5 values are crossed in the alias list of l4, on line 7.
    assert "bomb.yaml:7: error: the file expands to more than 100000 values" in err
    assert secs < 20
    assert rss < MAX_RSS_MB, "peak RSS {:.0f} MB".format(rss)


def test_alias_of_an_enclosing_list_is_refused(squall, tmp_path):
    path = tmp_path / "cycle.yaml"
    path.write_text("name: c\nconfig:\n  a: &a [1, *a]\n")
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1
    assert "cycle.yaml:3: error: an alias refers to a list or map that contains it" in err


def test_deep_nesting_is_refused(squall, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: d\nconfig:\n  deep: " + "[" * 5000 + "]" * 5000 + "\n")
    status, _, err, _, rss = run_bounded(squall, ["validate", str(path)])
    assert status == 1, err
    assert "deep.yaml:3: error: lists and maps are nested more than 64 deep" in err
    assert rss < MAX_RSS_MB


def test_oversized_file_is_refused(squall, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nconfig:\n  padding: \"" + "x" * (2 << 20) + "\"\n")
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1, err
    assert "big.yaml: error: the file is larger than 1048576 bytes" in err


def test_substitution_cannot_grow_a_file_without_bound(squall, tmp_path):
    path = tmp_path / "grow.yaml"
    path.write_text("name: g\nconfig:\n" +
                    "".join("  k{}: ${{ENV-SQUALL_BIG}}\n".format(i) for i in range(100)))
    # -e: Flux substitutes ${ENV-...} only when asked.
    proc = subprocess.run([squall.binary, "validate", "-e", str(path)], cwd=ROOT,
                          capture_output=True,
                          text=True, timeout=30, env=merged_env({"SQUALL_BIG": "y" * 100000}))
    assert proc.returncode == 1, proc.stderr
    assert "grow.yaml:13: error: with ${...} substituted, the file grows past" in proc.stderr


def words_topology(spout_fields):
    return ("name: words\nspouts:\n  - id: words\n"
            "    className: org.apache.storm.testing.TestWordSpout\n" + spout_fields)


@pytest.mark.parametrize("value,needle", [
    ("2147483648", "parallelism is too large: 2147483648 (at most 1000000)"),
    ("99999999999999999999", "parallelism is too large: 99999999999999999999"),
    ("0", "parallelism must be at least 1, got 0"),
])
def test_parallelism_out_of_range_says_so(squall, tmp_path, value, needle):
    path = tmp_path / "par.yaml"
    path.write_text(words_topology("    parallelism: {}\n".format(value)))
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1
    assert "par.yaml:5: error: " + needle in err


def test_empty_id_says_empty(squall, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("name: e\nspouts:\n  - id: \"\"\n"
                    "    className: org.apache.storm.testing.TestWordSpout\n")
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1
    assert "empty.yaml:3: error: 'id' of this spout must not be empty" in err


@pytest.mark.parametrize("raw,needle", [
    (b'"wo\\0rds"', b"'id' of this spout holds a NUL byte (at byte 2)"),
    (b'"wo\xffrds"', b"the file is not valid UTF-8 (byte 0xff)"),
    (b'wo\xc0\xafrds', b"the file is not valid UTF-8 (byte 0xc0)"),  # an overlong '/'
])
def test_ids_with_nul_or_bad_utf8_are_refused(squall, tmp_path, raw, needle):
    path = tmp_path / "names.yaml"
    path.write_bytes(b"name: n\nspouts:\n  - id: " + raw +
                     b"\n    className: org.apache.storm.testing.TestWordSpout\n")
    # -e: Flux substitutes ${ENV-...} only when asked.
    proc = subprocess.run([squall.binary, "validate", "-e", str(path)], cwd=ROOT,
                          capture_output=True,
                          timeout=30)
    assert proc.returncode == 1
    assert b"names.yaml:3: error: " + needle in proc.stderr


def test_stream_field_with_nul_is_refused(squall, tmp_path):
    path = tmp_path / "fields.yaml"
    path.write_text("name: f\nspouts:\n  - id: s\n    command: [\"true\"]\n"
                    "    fields: [\"a\\0b\"]\n")
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1
    assert "fields.yaml:5: error: fields holds a NUL byte" in err


def test_sleeping_dsl_module_times_out(squall, tmp_path):
    path = tmp_path / "sleeps.py"
    path.write_text("import time\ntime.sleep(600)\n")
    status, _, err, secs, _ = run_bounded(
        squall, ["validate", str(path), "--export-timeout", "2"])
    assert status == 1, err
    assert "loading the module took more than 2 s, so it was stopped" in err
    assert "--export-timeout" in err
    assert secs < 15


def test_dsl_module_that_exits_is_named(squall, tmp_path):
    path = tmp_path / "exits.py"
    path.write_text("import sys\n\nsys.exit(0)\n")
    status, _, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 1, err
    assert "exits.py:3: error: the module called sys.exit(0) while it was being imported" in err


def test_sighup_stops_cleanly(squall):
    proc = squall.start("run", rel(os.path.join(EXAMPLES, "test_words.yaml")), "--kill-wait", "0")
    try:
        wait_for_output(proc, "started", deadline_secs=20)
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted" in out
    assert "killed" in out


@pytest.mark.parametrize("command", ["validate", "run"])
def test_parallelism_the_machine_cannot_hold_is_refused_before_it_starts(squall, tmp_path,
                                                                          command):
    path = tmp_path / "wide.yaml"
    path.write_text(words_topology("    parallelism: 100000\n"))
    args = [command, str(path)] + (["--duration", "1"] if command == "run" else [])
    status, out, err, secs, rss = run_bounded(squall, args)
    assert status == 1, out + err
    assert "topology 'words' needs 100001 executors: about" in err
    assert "lower the parallelism hints" in err
    assert "topology.max.task.parallelism" in err
    assert rss < MAX_RSS_MB
    assert "started" not in out


def test_max_task_parallelism_caps_a_wide_hint(squall, tmp_path):
    path = tmp_path / "capped.yaml"
    path.write_text("name: capped\nconfig:\n  topology.max.task.parallelism: 2\n" +
                    words_topology("    parallelism: 100000\n").split("\n", 1)[1])
    status, out, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 0, err
    assert "1 spout, 0 bolts, 2 tasks" in out


@pytest.mark.parametrize("value", [
    "\"${" + "a" * 900000 + "\"",  # an unterminated ${ on a long line
    "1" * 500000,                 # a long number
    "1." + "1" * 500000,
], ids=["unterminated-substitution", "long-integer", "long-float"])
def test_long_scalars_do_not_overflow_the_stack(squall, tmp_path, value):
    path = tmp_path / "long.yaml"
    path.write_text("name: long\nconfig:\n  a: " + value + "\nspouts:\n  - id: words\n"
                    "    className: org.apache.storm.testing.TestWordSpout\n")
    status, out, err, _, _ = run_bounded(squall, ["validate", str(path)])
    assert status == 0, err[-2000:]
    assert "topology 'long' is valid" in out


def test_alias_bomb_in_a_config_override_is_refused(squall):
    levels = ["&l0 [" + ", ".join(["x"] * 10) + "]"]
    for i in range(1, 9):
        levels.append("&l{} [{}]".format(i, ", ".join(["*l{}".format(i - 1)] * 10)))
    bomb = "x=[" + ", ".join(levels) + "]"
    status, _, err, secs, rss = run_bounded(
        squall, ["validate", rel(os.path.join(EXAMPLES, "test_words.yaml")), "-c", bomb])
    assert status == 1, err
    assert "-c x:1: error: the file expands to more than 100000 values" in err
    assert rss < MAX_RSS_MB
