"""streamparse's and pystorm's import names map onto squall's classes, and a DSL component's
own serializer choice is exported for the engine."""

import pystorm
import pystorm.bolt
import pystorm.component
import pystorm.spout
import squall
import squall.dsl
import streamparse
import streamparse.dsl
import streamparse.storm
from squall.dsl.component import PythonComponentSpec


def test_streamparse_top_level_names():
    assert streamparse.Bolt is squall.Bolt
    assert streamparse.Spout is squall.Spout
    assert streamparse.BatchingBolt is squall.BatchingBolt
    assert streamparse.TicklessBatchingBolt is squall.TicklessBatchingBolt
    assert streamparse.ReliableSpout is squall.ReliableSpout
    assert streamparse.Tuple is squall.Tuple
    assert streamparse.Topology is squall.dsl.Topology
    assert streamparse.Grouping is squall.dsl.Grouping
    assert streamparse.Stream is squall.dsl.Stream
    for name in ("JavaBolt", "JavaSpout", "ShellBolt", "ShellSpout"):
        assert getattr(streamparse, name) is getattr(squall.dsl, name)
        assert getattr(streamparse.storm, name) is getattr(squall.dsl, name)
    assert streamparse.dsl.Topology is squall.dsl.Topology


def test_pystorm_names():
    assert pystorm.Bolt is squall.Bolt
    assert pystorm.bolt.BatchingBolt is squall.BatchingBolt
    assert pystorm.spout.ReliableSpout is squall.ReliableSpout
    assert pystorm.component.Component is squall.Component
    assert pystorm.Tuple is squall.Tuple


class _Default(streamparse.Bolt):
    outputs = ["x"]


class _Own(streamparse.Bolt):
    outputs = ["x"]
    serializer = "msgpack"


class _Inherits(_Own):
    pass


def _exported(cls):
    return PythonComponentSpec(cls, "bolt", name="b", inputs=None).to_dict()


def test_a_component_s_own_serializer_is_exported():
    assert "serializer" not in _exported(_Default)
    assert _exported(_Own)["serializer"] == "msgpack"
    assert _exported(_Inherits)["serializer"] == "msgpack"
