"""Bad topology files: each error names the file and the line at fault, and the exit status
is 1 for `validate`, `describe` and `run` alike."""

import os

import pytest

from conftest import BAD, rel

# (file, line, substrings of the message)
YAML_CASES = [
    ("unknown_component_in_stream.yaml", 9, ["unknown component 'word'",
                                            "did you mean 'words'?"]),
    ("missing_script.yaml", 7, ["script 'no_such_script.py' not found", "resources/"]),
    ("missing_flux_script.yaml", 9, ["script 'splitsentence_missing.py' not found"]),
    ("undeclared_field.yaml", 9, ["field 'wrd'", "does not declare", "did you mean 'word'?"]),
    ("undeclared_stream.yaml", 9, ["stream 'errors' of 'words'", "not declared"]),
    ("bad_grouping_type.yaml", 12, ["unknown grouping type 'SHUFLE'",
                                    "did you mean 'SHUFFLE'?"]),
    ("fields_grouping_without_args.yaml", 12, ["FIELDS grouping needs args"]),
    ("bad_config_type.yaml", 4, ["config key 'topology.workers'", "expected an integer",
                                 "\"two\""]),
    ("bad_component_config_type.yaml", 9, ["bolt 'count'",
                                           "'topology.tick.tuple.freq.secs'"]),
    ("bad_parallelism.yaml", 5, ["parallelism must be an integer", "'many'"]),
    ("unknown_class.yaml", 4, ["unknown class 'org.apache.storm.testing.TestWordSpot'",
                               "did you mean 'org.apache.storm.testing.TestWordSpout'?"]),
    ("bolt_declared_as_spout.yaml", 4, ["is a bolt, but it is declared as a spout"]),
    ("unknown_key.yaml", 5, ["unknown key 'paralelism'", "did you mean 'parallelism'?"]),
    ("stream_to_spout.yaml", 12, ["'more', which is a spout"]),
    ("bad_name.yaml", 1, ["topology name 'my/topology'"]),
    ("malformed.yaml", 8, ["malformed YAML"]),
    ("duplicate_id.yaml", 6, ["id 'words' is used by a spout"]),
    ("no_spouts.yaml", 2, ["no spouts"]),
    ("topology_source.yaml", 2, ["topologySource"]),
    ("bad_args.yaml", 4, ["rejects its arguments", "TestWordSpout takes"]),
]

DSL_CASES = [
    ("dsl_bad_field.py", 21, ["class BadField, attribute 'count'", "field 'wrd'"]),
    ("dsl_no_spout.py", 10, ["class NoSpout", "at least one spout"]),
    ("dsl_unknown_class.py", 6, ["class UnknownClass, attribute 'count'",
                                 "unknown class 'org.apache.storm.testing.TestWordCountr'",
                                 "did you mean 'org.apache.storm.testing.TestWordCounter'?"]),
    ("dsl_syntax_error.py", 4, ["SyntaxError"]),
    ("dsl_import_error.py", 2, ["No module named 'no_such_module'"]),
    ("dsl_missing_script.py", 6, ["class MissingScript, attribute 'split'",
                                  "script 'no_such_script.py' not found"]),
    ("dsl_forgot_spec.py", 12, ["attribute 'count'", "forget .spec()"]),
    ("dsl_bad_config.py", 5, ["class BadConfig, attribute 'config'",
                              "config key 'topology.workers'"]),
    ("dsl_undeclared_field_native.py", 6, ["class NativeField, attribute 'count'",
                                           "field 'wrd'", "did you mean 'word'?"]),
]


@pytest.mark.parametrize("name,line,needles", YAML_CASES + DSL_CASES,
                         ids=[c[0] for c in YAML_CASES + DSL_CASES])
def test_validate_points_at_file_and_line(squall, name, line, needles):
    path = rel(os.path.join(BAD, name))
    r = squall.run("validate", path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "{}:{}: error: ".format(path, line) in r.stderr, r.stderr
    for needle in needles:
        assert needle in r.stderr, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("name", ["unknown_class.yaml", "undeclared_field.yaml",
                                  "missing_script.yaml", "dsl_bad_field.py"])
def test_run_and_describe_fail_the_same_way(squall, name):
    path = rel(os.path.join(BAD, name))
    for command in ("run", "describe"):
        r = squall.run(command, path, "--duration", "1") if command == "run" else \
            squall.run(command, path)
        assert r.returncode == 1, r.stderr
        assert path + ":" in r.stderr and ": error: " in r.stderr


def test_no_topology_class(squall):
    path = rel(os.path.join(BAD, "dsl_no_topology.py"))
    r = squall.run("validate", path)
    assert r.returncode == 1
    assert path + ": error: defines no squall.dsl.Topology subclass" in r.stderr


def test_missing_file_and_unknown_extension(squall):
    r = squall.run("validate", "no/such/file.yaml")
    assert r.returncode == 1
    assert "no/such/file.yaml: error: no such file" in r.stderr
    r = squall.run("validate", "README.md")
    assert r.returncode == 1
    assert "README.md: error: unknown kind of topology file" in r.stderr


def test_bad_config_override(squall):
    r = squall.run("run", "examples/test_words.yaml", "-c", "topology.workers=two")
    assert r.returncode == 1
    assert "-c topology.workers=two" in r.stderr and "expected an integer" in r.stderr
    r = squall.run("run", "examples/test_words.yaml", "-c", "novalue")
    assert r.returncode == 1
    assert "expected key=value" in r.stderr
