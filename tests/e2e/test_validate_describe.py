"""`squall validate` and `squall describe` on the examples and good files: these need no
multilang engine (shell components are checked from their arguments)."""

import os

import pytest

from conftest import EXAMPLES, GOOD, rel

EXAMPLE_FILES = ["test_words.yaml", "wordcount.yaml", "wordcount_squall.yaml", "wordcount.py"]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_examples_validate(squall, name):
    path = rel(os.path.join(EXAMPLES, name))
    r = squall.run("validate", path)
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout
    assert path in r.stdout


@pytest.mark.parametrize("name", ["wordcount.yaml", "wordcount_squall.yaml", "wordcount.py"])
def test_wordcount_describe(squall, name):
    r = squall.run("describe", rel(os.path.join(EXAMPLES, name)))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for component in ("sentences", "split", "count", "log"):
        assert component in out
    assert "default [sentence]" in out
    assert "default [word, count]" in out
    assert "fields [word]" in out
    assert "shuffle" in out
    # split has parallelism 2, log 1
    split_row = next(line for line in out.splitlines() if line.strip().startswith("split "))
    assert split_row.split()[1:4] == ["bolt", "2", "2"]
    assert "LogInfoBolt" in out


def test_describe_flux_shell_class_names(squall):
    r = squall.run("describe", rel(os.path.join(EXAMPLES, "wordcount.yaml")))
    assert "FluxShellSpout: python3 random_sentence_spout.py" in r.stdout
    assert "FluxShellBolt: python3 splitsentence.py" in r.stdout
    assert "topology.max.spout.pending" in r.stdout


def test_describe_dsl_components(squall):
    r = squall.run("describe", rel(os.path.join(EXAMPLES, "wordcount.py")))
    assert r.returncode == 0, r.stderr
    assert "Topology 'wordcount'" in r.stdout
    assert "python: sentence_spout.SentenceSpout" in r.stdout
    assert "python: word_count_bolt.WordCountBolt" in r.stdout
    assert "shell: python3 splitsentence.py" in r.stdout


def test_describe_dot(squall):
    r = squall.run("describe", "--dot", rel(os.path.join(EXAMPLES, "wordcount.yaml")))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith('digraph "wordcount" {')
    assert out.rstrip().endswith("}")
    assert '"sentences" -> "split"' in out
    assert '"split" -> "count" [label="fields [word]' in out
    assert '"count" -> "top" [label="global' in out
    assert '"top" -> "log"' in out
    assert "shape=box" in out  # the spout


def test_every_grouping_and_components(squall):
    path = rel(os.path.join(GOOD, "components.yaml"))
    r = squall.run("describe", path)
    assert r.returncode == 0, r.stderr
    for grouping in ("shuffle", "fields [word]", "all", "global", "local_or_shuffle", "none",
                     "partial_key [word]"):
        assert grouping in r.stdout
    shuffled = next(line for line in r.stdout.splitlines() if line.strip().startswith("shuffled"))
    assert shuffled.split()[1:4] == ["bolt", "2", "4"]  # numTasks
    # Flux leaves out a bolt no stream goes to, and says so.
    assert "unused" not in r.stdout
    assert "components.yaml:" in r.stderr and "'unused' is not the target" in r.stderr


def test_substitution_from_env_and_properties(squall):
    r = squall.run("describe", rel(os.path.join(GOOD, "substitution.yaml")), "-f",
                   rel(os.path.join(GOOD, "substitution.properties")), "--env-filter",
                   env={"SQUALL_E2E_PARALLELISM": "3"})
    assert r.returncode == 0, r.stderr
    assert "Topology 'substituted'" in r.stdout
    words = next(line for line in r.stdout.splitlines() if line.strip().startswith("words"))
    assert words.split()[1:4] == ["spout", "3", "3"]
    assert "fields [word]" in r.stdout


def test_unresolved_substitution_is_reported(squall):
    r = squall.run("validate", rel(os.path.join(GOOD, "substitution.yaml")), "-e",
                   env={"SQUALL_E2E_PARALLELISM": None})
    assert r.returncode == 1
    assert ("substitution.yaml:8: warning: environment variable 'SQUALL_E2E_PARALLELISM' is "
            "not set") in r.stderr
    assert "substitution.yaml:8: error: parallelism must be an integer" in r.stderr


def test_includes(squall):
    r = squall.run("describe", rel(os.path.join(GOOD, "includes.yaml")))
    assert r.returncode == 0, r.stderr
    assert "count" in r.stdout and "log" in r.stdout
    # override: false keeps the including file's value, and warns.
    assert "topology.workers            1" in r.stdout
    assert "topology.max.spout.pending  10" in r.stdout
    assert "included_bolts.yaml:2: warning: config key 'topology.workers' is already set" in \
        r.stderr


def test_config_override_and_name(squall):
    r = squall.run("describe", rel(os.path.join(EXAMPLES, "test_words.yaml")), "-c",
                   "topology.max.spout.pending=7", "-c", "my.key=[a, b]", "--name", "renamed")
    assert r.returncode == 0, r.stderr
    assert "Topology 'renamed'" in r.stdout
    assert "topology.max.spout.pending  7" in r.stdout
    assert 'my.key                      ["a","b"]' in r.stdout


def test_classes_lists_storm_test_components(squall):
    names = squall.classes()
    for cls in ("org.apache.storm.testing.TestWordSpout",
                "org.apache.storm.testing.TestWordCounter",
                "org.apache.storm.flux.wrappers.bolts.LogInfoBolt"):
        assert cls in names


def test_usage_errors(squall):
    assert squall.run().returncode == 2
    assert squall.run("run").returncode == 2
    assert squall.run("frobnicate").returncode == 2
    r = squall.run("--help")
    assert r.returncode == 0 and "validate" in r.stdout


def test_shell_config_methods_and_named_streams(squall):
    r = squall.run("describe", rel(os.path.join(GOOD, "shell_streams.yaml")))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "FluxShellBolt: python log_bolt.py" in out
    assert "default [word]; errors [reason]" in out
    assert "default [word, count]; errors [reason]" in out
    rows = [line.split() for line in out.split("Streams:")[1].splitlines()]
    assert ["flux-split", "errors", "errors", "shuffle"] in rows
    assert ["short", "errors", "errors", "fields", "[reason]"] in rows
    assert "flux-split  topology.tick.tuple.freq.secs  5" in out


def test_unknown_config_method(squall, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(open(os.path.join(GOOD, "shell_streams.yaml")).read().replace(
        '"setNamedStream"', '"setNamedStreams"'))
    (tmp_path / "log_bolt.py").write_text("")
    r = squall.run("validate", str(path))
    assert r.returncode == 1
    assert "bad.yaml:13: error: bolt 'flux-split': FluxShellBolt has no config method " \
           "'setNamedStreams' (did you mean 'setNamedStream'?)" in r.stderr
