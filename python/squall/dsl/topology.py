"""``Topology``: a class whose attributes are component specs (streamparse's DSL).

    class WordCount(Topology):
        config = {"topology.max.spout.pending": 100}
        sentences = SentenceSpout.spec()
        split = SplitBolt.spec(inputs=[sentences], par=2)
        count = CountBolt.spec(inputs={split: Grouping.fields("word")}, par=2)

Defining the class checks it (at least one spout, every bolt has inputs, unique names,
known sources and streams, grouping fields the source declares) and raises TopologyError
naming the class and the attribute at fault.
"""

from .component import BOLT, SPOUT, ComponentSpec
from .stream import Grouping, TopologyError


class TopologyType(type):
    def __new__(mcs, classname, bases, class_dict):
        cls = super().__new__(mcs, classname, bases, class_dict)
        if not any(isinstance(b, TopologyType) for b in bases):
            cls.specs = []  # the Topology base class itself
            return cls
        specs = {}
        attributes = {}
        for base in reversed(cls.__mro__[1:]):
            for spec in getattr(base, "specs", []):
                specs[spec.name] = spec
        for attr, value in class_dict.items():
            if isinstance(value, ComponentSpec):
                if value.name is None:
                    value.name = attr
                if value.name in attributes:
                    raise TopologyError("duplicate component name {!r} (also used by attribute "
                                        "{!r})".format(value.name, attributes[value.name]),
                                        topology=classname, component=attr)
                if value.name.startswith("__"):
                    raise TopologyError("component name {!r} is reserved (names starting with "
                                        "'__' are Squall's)".format(value.name),
                                        topology=classname, component=attr)
                attributes[value.name] = attr
                specs[value.name] = value
            elif isinstance(value, type) and hasattr(value, "spec") and attr[:1] != "_" and (
                    _is_component_class(value)):
                raise TopologyError("attribute {!r} is the component class {} itself; did you "
                                    "forget .spec()?".format(attr, value.__name__),
                                    topology=classname, component=attr)
        config = class_dict.get("config", getattr(cls, "config", {}))
        if not isinstance(config, dict):
            raise TopologyError("config must be a dict, got {!r}".format(config),
                                topology=classname, component="config")
        for key in config:
            if not isinstance(key, str):
                raise TopologyError("config keys must be strings, got {!r}".format(key),
                                    topology=classname, component="config")
        _check(classname, specs, attributes)
        cls.specs = list(specs.values())
        cls.config = dict(config)
        cls._attributes = attributes
        return cls


def _is_component_class(value):
    try:
        from ..component import Component
    except ImportError:  # pragma: no cover
        return False
    return issubclass(value, Component)


def _check(classname, specs, attributes):
    def fail(message, spec):
        raise TopologyError(message, topology=classname,
                            component=attributes.get(spec.name, spec.name))

    if not any(s.kind == SPOUT for s in specs.values()):
        raise TopologyError("a topology needs at least one spout", topology=classname)
    by_identity = {id(s): s for s in specs.values()}
    for spec in specs.values():
        if spec.kind == BOLT and not spec.inputs:
            fail("bolt {!r} has no inputs".format(spec.name), spec)
        resolved = []
        seen = set()
        for source, stream, grouping in spec.inputs:
            if isinstance(source, ComponentSpec):
                if id(source) not in by_identity:
                    fail("bolt {!r} subscribes to a spec that is not an attribute of {}".format(
                        spec.name, classname), spec)
                src = source
            else:
                src = specs.get(source)
                if src is None:
                    fail("bolt {!r} subscribes to unknown component {!r}".format(
                        spec.name, source), spec)
            stream_name = stream or "default"
            declared = src.outputs
            out = None
            if declared is not None:
                out = declared.get(stream_name)
                if out is None:
                    fail("bolt {!r} subscribes to stream {!r} of {!r}, which does not declare it "
                         "(declared: {})".format(spec.name, stream_name, src.name,
                                                 sorted(declared)), spec)
            if grouping is None:
                grouping = Grouping.DIRECT if out is not None and out.direct else Grouping.SHUFFLE
            if out is not None:
                if grouping.type in ("fields", "partial_key"):
                    for field in grouping.fields:
                        if field not in out.fields:
                            fail("bolt {!r}: {} grouping on field {!r}, which stream {!r} of {!r} "
                                 "does not declare (its fields are {})".format(
                                     spec.name, grouping.type, field, stream_name, src.name,
                                     out.fields), spec)
                if grouping.type == "direct" and not out.direct:
                    fail("bolt {!r}: direct grouping on stream {!r} of {!r}, which is not "
                         "declared direct".format(spec.name, stream_name, src.name), spec)
                if grouping.type != "direct" and out.direct:
                    fail("bolt {!r}: {} grouping on direct stream {!r} of {!r}; a direct stream "
                         "needs Grouping.DIRECT".format(spec.name, grouping.type, stream_name,
                                                        src.name), spec)
            if (src.name, stream_name) in seen:
                fail("bolt {!r} subscribes to stream {!r} of {!r} twice".format(
                    spec.name, stream_name, src.name), spec)
            seen.add((src.name, stream_name))
            resolved.append((src.name, stream_name, grouping))
        spec.inputs = resolved


class Topology(metaclass=TopologyType):
    """Subclass it; each attribute holding a component spec becomes a component, named
    after the attribute unless the spec has ``name=``. ``config`` holds the topology
    configuration."""

    config = {}

    @classmethod
    def to_dict(cls):
        """The topology as plain data: config and components in definition order."""
        return {
            "topology": cls.__name__,
            "config": dict(cls.config),
            "components": [dict(spec.to_dict(), attribute=cls._attributes.get(spec.name))
                           for spec in cls.specs],
        }
