"""The streamparse-style topology DSL (squall.dsl): specs, groupings, checks, export."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import squall
from squall.dsl import (GlobalStreamId, Grouping, JavaBolt, JavaSpout, ShellBolt, ShellSpout,
                        Stream, Topology, TopologyError)
from squall.dsl import run as dsl_run

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Words(squall.Spout):
    outputs = ["word"]

    def next_tuple(self):
        pass


class Multi(squall.Spout):
    outputs = [Stream(["word"]), Stream(["reason"], name="errors"),
               Stream(["x"], name="targeted", direct=True)]

    def next_tuple(self):
        pass


class Count(squall.Bolt):
    outputs = ["word", "count"]
    par = 3

    def process(self, tup):
        pass


class Sink(squall.Bolt):
    def process(self, tup):
        pass


def components(topology):
    return {c["name"]: c for c in topology.to_dict()["components"]}


def test_attributes_become_components():
    class T(Topology):
        config = {"topology.workers": 2}
        words = Words.spec()
        count = Count.spec(inputs={words: Grouping.fields("word")}, name="counter", par=2)

    d = T.to_dict()
    assert d["topology"] == "T"
    assert d["config"] == {"topology.workers": 2}
    c = components(T)
    assert list(c) == ["words", "counter"]
    assert c["words"]["kind"] == "spout" and c["words"]["type"] == "python"
    assert c["words"]["outputs"] == {"default": {"fields": ["word"], "direct": False}}
    assert c["words"]["module"] == __name__ and c["words"]["class"] == "Words"
    assert c["words"]["path"] == os.path.dirname(os.path.abspath(__file__))
    assert c["counter"]["par"] == 2
    assert c["counter"]["attribute"] == "count"
    assert c["counter"]["inputs"] == [
        {"component": "words", "stream": "default",
         "grouping": {"type": "fields", "fields": ["word"]}}]


def test_par_and_config_default_to_class_attributes():
    class T(Topology):
        words = Words.spec(config={"a": 1})
        count = Count.spec(inputs=[words])

    c = components(T)
    assert c["count"]["par"] == 3
    assert c["words"]["config"] == {"a": 1}
    assert c["count"]["inputs"][0]["grouping"] == {"type": "shuffle"}


def test_named_and_direct_streams():
    class T(Topology):
        multi = Multi.spec()
        errors = Sink.spec(inputs=[multi["errors"]])
        targeted = Sink.spec(inputs=[multi["targeted"]])
        everything = Sink.spec(inputs={multi: Grouping.ALL,
                                       multi["errors"]: Grouping.LOCAL_OR_SHUFFLE})

    c = components(T)
    assert c["errors"]["inputs"][0]["stream"] == "errors"
    assert c["targeted"]["inputs"][0]["grouping"] == {"type": "direct"}
    assert [i["grouping"]["type"] for i in c["everything"]["inputs"]] == ["all",
                                                                         "local_or_shuffle"]
    assert c["multi"]["outputs"]["targeted"]["direct"] is True


def test_every_grouping():
    assert Grouping.SHUFFLE.to_dict() == {"type": "shuffle"}
    assert Grouping.shuffle is Grouping.SHUFFLE
    assert getattr(Grouping, "global") is Grouping.GLOBAL
    assert Grouping.none is Grouping.NONE and Grouping.all is Grouping.ALL
    assert Grouping.direct is Grouping.DIRECT
    assert Grouping.local_or_shuffle is Grouping.LOCAL_OR_SHUFFLE
    assert Grouping.fields(["a", "b"]).to_dict() == {"type": "fields", "fields": ["a", "b"]}
    assert Grouping.partial_key("a").to_dict() == {"type": "partial_key", "fields": ["a"]}
    assert Grouping.custom_object("my.Grouping", [1]).to_dict() == {
        "type": "custom", "class": "my.Grouping", "args": [1]}
    with pytest.raises(ValueError):
        Grouping.fields()
    with pytest.raises(TopologyError):
        Grouping.custom_serialized(b"\x00")


def test_cycle_through_global_stream_id():
    class T(Topology):
        words = Words.spec()
        count = Count.spec(inputs={words: Grouping.fields("word"),
                                   GlobalStreamId("count", "default"): Grouping.fields("word")})

    assert [i["component"] for i in components(T)["count"]["inputs"]] == ["words", "count"]


def test_mixed_language_specs():
    class T(Topology):
        words = JavaSpout.spec(full_class_name="org.apache.storm.testing.TestWordSpout",
                               args_list=[True])
        split = ShellBolt.spec(command="node", script="split.js", outputs=["word"],
                               inputs=[words])
        other = ShellSpout.spec(command=["ruby", "-w"], script="spout.rb", outputs=["x"])
        count = JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCounter",
                              inputs={split: Grouping.fields("word")}, par=2)

    c = components(T)
    assert c["words"]["type"] == "class" and c["words"]["args"] == [True]
    assert c["words"]["outputs"] is None  # the engine asks the class
    assert c["split"]["type"] == "shell"
    assert c["split"]["command"] == ["node"] and c["split"]["script"] == "split.js"
    assert c["other"]["command"] == ["ruby", "-w"]
    assert c["count"]["class_name"] == "org.apache.storm.testing.TestWordCounter"


def check_error(body, *needles, component=None):
    with pytest.raises(TopologyError) as info:
        exec(textwrap.dedent(body), dict(globals()))
    for needle in needles:
        assert needle in str(info.value)
    if component is not None:
        assert info.value.component == component
    return info.value


def test_needs_a_spout():
    error = check_error("""
        class T(Topology):
            sink = Sink.spec(inputs=[])
        """, "at least one spout")
    assert error.topology == "T"


def test_bolt_needs_inputs():
    check_error("""
        class T(Topology):
            words = Words.spec()
            sink = Sink.spec()
        """, "bolt 'sink' has no inputs", component="sink")


def test_fields_must_exist_on_the_source_stream():
    check_error("""
        class T(Topology):
            words = Words.spec()
            count = Count.spec(inputs={words: Grouping.fields("wrd")})
        """, "field 'wrd'", "['word']", component="count")


def test_direct_grouping_needs_a_direct_stream():
    check_error("""
        class T(Topology):
            words = Words.spec()
            count = Count.spec(inputs={words: Grouping.DIRECT})
        """, "not declared direct", component="count")


def test_unknown_stream():
    with pytest.raises(KeyError, match="errors"):
        Words.spec()["errors"]
    check_error("""
        class T(Topology):
            words = Words.spec()
            count = Count.spec(inputs=[GlobalStreamId("words", "errors")])
        """, "stream 'errors' of 'words'", component="count")


def test_unknown_component_and_foreign_spec():
    check_error("""
        class T(Topology):
            words = Words.spec()
            count = Count.spec(inputs=[GlobalStreamId("wurds")])
        """, "unknown component 'wurds'")
    check_error("""
        elsewhere = Words.spec(name="elsewhere")
        class T(Topology):
            words = Words.spec()
            count = Count.spec(inputs=[elsewhere])
        """, "not an attribute of T")


def test_duplicate_names():
    check_error("""
        class T(Topology):
            words = Words.spec()
            more = Words.spec(name="words")
        """, "duplicate component name 'words'")


def test_forgot_spec():
    check_error("""
        class T(Topology):
            words = Words.spec()
            count = Count
        """, "forget .spec()", component="count")


def test_bad_arguments():
    with pytest.raises(TypeError, match="par must be an int"):
        Words.spec(par="2")
    with pytest.raises(ValueError, match="at least 1"):
        Words.spec(par=0)
    with pytest.raises(TypeError, match="dict of environments"):
        Words.spec(par={"prod": 2})
    with pytest.raises(TypeError, match="config must be a dict"):
        Words.spec(config=[1])
    with pytest.raises(TypeError, match="Grouping"):
        Count.spec(inputs={Words.spec(): "shuffle"})
    with pytest.raises(TypeError, match="command"):
        ShellBolt.spec(command=None)
    with pytest.raises(TypeError, match="full_class_name"):
        JavaBolt.spec()
    with pytest.raises(ValueError, match="reserved"):
        Stream(["a"], name="__internal")
    check_error("""
        class T(Topology):
            config = ["not", "a", "dict"]
            words = Words.spec()
        """, "config must be a dict", component="config")


# ----- the exporter the engine runs


def export(tmp_path, source, name="topo.py", extra_files=None):
    for rel_path, text in (extra_files or {}).items():
        path = tmp_path / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run([sys.executable, "-m", "squall.dsl.export", str(path)],
                          capture_output=True, text=True, env=env, timeout=60)


def test_export_prints_json_with_lines(tmp_path):
    r = export(tmp_path, """
        from squall.dsl import Grouping, Topology
        from components import Words, Count

        print("loading my topology")  # must not reach stdout


        class WordCount(Topology):
            config = {"topology.workers": 1}
            words = Words.spec()
            count = Count.spec(inputs={words: Grouping.fields("word")})
        """, extra_files={"resources/components.py": """
        import squall

        class Words(squall.Spout):
            outputs = ["word"]

        class Count(squall.Bolt):
            outputs = ["word", "count"]
        """})
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert "loading my topology" in r.stderr
    assert d["name"] == "topo" and d["topology"] == "WordCount"
    assert d["line"] == 8 and d["config_line"] == 9
    c = {x["name"]: x for x in d["components"]}
    assert c["words"]["line"] == 10 and c["count"]["line"] == 11
    # The components module was found in resources/, which the child needs on its path.
    assert c["words"]["module"] == "components"
    assert c["words"]["path"] == str(tmp_path / "resources")


def test_export_error_names_file_line_and_class(tmp_path):
    r = export(tmp_path, """
        import squall
        from squall.dsl import Grouping, Topology

        class Words(squall.Spout):
            outputs = ["word"]

        class Bad(Topology):
            words = Words.spec()
            count = Words.spec(name="count")
            sink = Words.spec(name="sink")
            other = Words.spec(name="words")
        """)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "topo.py:12: error: class Bad, attribute 'other': duplicate component name" in r.stderr


def test_export_exception_in_module_points_at_its_line(tmp_path):
    r = export(tmp_path, """
        from squall.dsl import Topology

        x = 1
        y = x / 0
        """)
    assert r.returncode == 2
    assert "topo.py:5: error: ZeroDivisionError" in r.stderr


def test_export_needs_exactly_one_topology(tmp_path):
    r = export(tmp_path, "x = 1\n")
    assert r.returncode == 2 and "defines no squall.dsl.Topology subclass" in r.stderr
    r = export(tmp_path, """
        from squall.dsl import JavaSpout, Topology

        class A(Topology):
            s = JavaSpout.spec(full_class_name="X")

        class B(Topology):
            s = JavaSpout.spec(full_class_name="X")
        """)
    assert r.returncode == 2 and "several Topology subclasses (A, B)" in r.stderr


def test_export_rejects_non_data_config(tmp_path):
    r = export(tmp_path, """
        from squall.dsl import JavaSpout, Topology

        class A(Topology):
            s = JavaSpout.spec(full_class_name="X", config={"k": object()})
        """)
    assert r.returncode == 2
    assert "topo.py:5: error: class A, attribute 's': config is not plain data" in r.stderr


def test_run_loads_module_class(tmp_path, monkeypatch):
    (tmp_path / "mod_for_run.py").write_text(textwrap.dedent("""
        print("imported")

        class Outer:
            class Inner:
                pass
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    real_stdout = sys.stdout
    assert dsl_run.load("mod_for_run:Outer.Inner").__name__ == "Inner"
    assert sys.stdout is real_stdout
    with pytest.raises(ValueError):
        dsl_run.load("no_colon")
    assert dsl_run.main(["a", "b"]) == 2
