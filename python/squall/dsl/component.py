"""Component specs: what a ``Topology`` class attribute holds.

``SomeBolt.spec(...)`` (a Python component), ``ShellBolt.spec(command=, script=, ...)`` (a
component in another language over multilang) and ``JavaBolt.spec(full_class_name=, ...)``
(a component the engine has built in, named by class) all return a ``ComponentSpec``.
"""

import inspect
import os
import sys

from .stream import GroupingSpec, Stream, StreamRef, TopologyError

SPOUT = "spout"
BOLT = "bolt"


def _check_par(par):
    if isinstance(par, bool) or not isinstance(par, int):
        if isinstance(par, dict):
            raise TypeError("par as a dict of environments is not supported; give an int")
        raise TypeError("par must be an int, got {!r}".format(par))
    if par < 1:
        raise ValueError("par must be at least 1, got {}".format(par))
    return par


def _check_config(config):
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise TypeError("config must be a dict, got {!r}".format(config))
    for key in config:
        if not isinstance(key, str):
            raise TypeError("config keys must be strings, got {!r}".format(key))
    return dict(config)


def _normalize_outputs(outputs):
    """``outputs`` as a dict stream name -> Stream; None when not declared at all."""
    if outputs is None:
        return None
    if isinstance(outputs, (str, Stream)):
        outputs = [outputs]
    streams = {}
    default_fields = []
    for item in outputs:
        if isinstance(item, Stream):
            if item.name in streams:
                raise ValueError("stream {!r} is declared twice in outputs".format(item.name))
            streams[item.name] = item
        elif isinstance(item, str):
            default_fields.append(item)
        else:
            raise TypeError("outputs must hold field names or Stream objects, got {!r}".format(
                item))
    if default_fields:
        if "default" in streams:
            raise ValueError("outputs mix field names with a Stream named 'default'")
        streams["default"] = Stream(default_fields)
    return streams


class ComponentSpec:
    """A component of a topology: kind, name, inputs, parallelism, config and outputs."""

    type = None  # "python", "shell" or "class"

    def __init__(self, kind, name=None, inputs=None, par=None, config=None, outputs=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError("name must be a non-empty string, got {!r}".format(name))
        if kind == SPOUT and inputs:
            raise TypeError("a spout has no inputs")
        self.kind = kind
        self.name = name
        self.par = _check_par(1 if par is None else par)
        self.config = _check_config(config)
        self.outputs = _normalize_outputs(outputs)
        self.inputs = self._normalize_inputs(inputs)

    # ----- inputs

    @staticmethod
    def _normalize_inputs(inputs):
        """A list of (source, stream or None, GroupingSpec or None); the source is a spec or
        a component name. Names are resolved once the topology class knows them."""
        if inputs is None:
            return []
        if isinstance(inputs, (ComponentSpec, StreamRef)):
            inputs = [inputs]
        if isinstance(inputs, dict):
            items = list(inputs.items())
        elif isinstance(inputs, (list, tuple)):
            items = [(item, None) for item in inputs]
        else:
            raise TypeError("inputs must be a list or a dict of specs or streams, got {!r}".format(
                inputs))
        out = []
        for source, grouping in items:
            if grouping is not None and not isinstance(grouping, GroupingSpec):
                raise TypeError("the grouping for input {!r} must be a Grouping, got {!r}".format(
                    source, grouping))
            if isinstance(source, ComponentSpec):
                out.append((source, None, grouping))
            elif isinstance(source, StreamRef):
                out.append((source.spec, source.stream, grouping))
            else:
                raise TypeError("an input must be a component spec or one of its streams "
                                "(spec['name']), got {!r}".format(source))
        return out

    def __getitem__(self, stream):
        if not isinstance(stream, str):
            raise TypeError("a stream name is a string, got {!r}".format(stream))
        if self.outputs is not None and stream not in self.outputs:
            raise KeyError("{} does not declare stream {!r} (declared: {})".format(
                self.describe(), stream, sorted(self.outputs)))
        return StreamRef(self, stream)

    # ----- export

    def describe(self):
        return "{} {!r}".format(self.kind, self.name) if self.name else "this {}".format(
            self.kind)

    def to_dict(self):
        """The spec as plain data. Inputs must have been resolved to names."""
        d = {
            "name": self.name,
            "kind": self.kind,
            "type": self.type,
            "par": self.par,
            "config": dict(self.config),
            "outputs": None if self.outputs is None else {
                name: {"fields": list(s.fields), "direct": s.direct}
                for name, s in self.outputs.items()
            },
            "inputs": [],
        }
        for source, stream, grouping in self.inputs:
            d["inputs"].append({
                "component": source if isinstance(source, str) else source.name,
                "stream": stream,
                "grouping": grouping.to_dict(),
            })
        return d

    def __repr__(self):
        return "<{} {}>".format(type(self).__name__, self.describe())


class PythonComponentSpec(ComponentSpec):
    """A squall (pystorm-style) Spout or Bolt subclass, run as ``python -m squall.dsl.run``."""

    type = "python"

    def __init__(self, component_cls, kind, name=None, inputs=None, par=None, config=None):
        if par is None:
            par = getattr(component_cls, "par", None)
        if config is None:
            config = getattr(component_cls, "config", None)
        super().__init__(kind, name=name, inputs=inputs, par=par, config=config,
                         outputs=getattr(component_cls, "outputs", None) or [])
        self.component_cls = component_cls

    def to_dict(self):
        d = super().to_dict()
        cls = self.component_cls
        module = sys.modules.get(cls.__module__)
        path = getattr(module, "__file__", None)
        d["module"] = cls.__module__
        d["class"] = cls.__qualname__
        d["source_file"] = os.path.abspath(path) if path else None
        d["path"] = _import_root(cls.__module__, path)
        serializer = _own_serializer(cls)
        if serializer is not None:
            d["serializer"] = serializer
        try:
            d["source_line"] = inspect.getsourcelines(cls)[1]
        except (OSError, TypeError):
            d["source_line"] = None
        return d


def _own_serializer(cls):
    """The ``serializer`` class attribute set by the user's code (not squall's default), so
    the engine speaks the component's own choice; None when it made none."""
    for klass in cls.__mro__:
        if "serializer" in vars(klass):
            module = klass.__module__ or ""
            if module == "squall" or module.startswith(("squall.", "streamparse", "pystorm")):
                return None
            value = vars(klass)["serializer"]
            return value if isinstance(value, str) else None
    return None


def _import_root(module_name, path):
    """The sys.path entry ``module_name`` was imported from (so a child process can import
    it the same way), or None."""
    if not path:
        return None
    root = os.path.dirname(os.path.abspath(path))
    depth = module_name.count(".")
    if os.path.basename(path) == "__init__.py":
        depth += 1
    for _ in range(depth):
        root = os.path.dirname(root)
    return root


class ShellComponentSpec(ComponentSpec):
    """A component in any language speaking multilang: ``command`` runs ``script``."""

    type = "shell"

    def __init__(self, kind, command=None, script=None, name=None, inputs=None, par=None,
                 config=None, outputs=None):
        if isinstance(command, str):
            command = [command]
        if not command or not all(isinstance(c, str) and c for c in command):
            raise TypeError("command must be a non-empty string or list of strings, got "
                            "{!r}".format(command))
        if script is not None and (not isinstance(script, str) or not script):
            raise TypeError("script must be a non-empty string, got {!r}".format(script))
        super().__init__(kind, name=name, inputs=inputs, par=par, config=config,
                         outputs=outputs or [])
        self.command = list(command)
        self.script = script

    def to_dict(self):
        d = super().to_dict()
        d["command"] = list(self.command)
        d["script"] = self.script
        return d


class ClassComponentSpec(ComponentSpec):
    """A component built into the engine (C++), named by class with constructor arguments.
    ``outputs`` is optional: the engine asks the class what it declares."""

    type = "class"

    def __init__(self, kind, full_class_name=None, args_list=None, name=None, inputs=None,
                 par=None, config=None, outputs=None, serialized_java=None):
        if serialized_java is not None:
            raise TypeError("serialized_java needs a JVM; name a registered class with "
                            "full_class_name instead")
        if not isinstance(full_class_name, str) or not full_class_name:
            raise TypeError("full_class_name must be a class name, got {!r}".format(
                full_class_name))
        if args_list is None:
            args_list = []
        if not isinstance(args_list, (list, tuple)):
            raise TypeError("args_list must be a list, got {!r}".format(args_list))
        super().__init__(kind, name=name, inputs=inputs, par=par, config=config,
                         outputs=outputs)
        self.class_name = full_class_name
        self.args = list(args_list)

    def to_dict(self):
        d = super().to_dict()
        d["class_name"] = self.class_name
        d["args"] = list(self.args)
        return d


# ----- the classes users call .spec() on


class ShellBolt:
    """``ShellBolt.spec(command="node", script="count.js", outputs=[...], inputs=..., ...)``"""

    @classmethod
    def spec(cls, name=None, command=None, script=None, inputs=None, par=None, config=None,
             outputs=None):
        return ShellComponentSpec(BOLT, command=command, script=script, name=name,
                                  inputs=inputs, par=par, config=config, outputs=outputs)


class ShellSpout:
    """``ShellSpout.spec(command="ruby", script="spout.rb", outputs=[...], ...)``"""

    @classmethod
    def spec(cls, name=None, command=None, script=None, par=None, config=None, outputs=None):
        return ShellComponentSpec(SPOUT, command=command, script=script, name=name, par=par,
                                  config=config, outputs=outputs)


class JavaBolt:
    """A bolt built into the engine, by its (Storm) class name:
    ``JavaBolt.spec(full_class_name="org.apache.storm.testing.TestWordCounter", inputs=...)``"""

    @classmethod
    def spec(cls, name=None, serialized_java=None, full_class_name=None, args_list=None,
             inputs=None, par=None, config=None, outputs=None):
        return ClassComponentSpec(BOLT, full_class_name=full_class_name, args_list=args_list,
                                  name=name, inputs=inputs, par=par, config=config,
                                  outputs=outputs, serialized_java=serialized_java)


class JavaSpout:
    """A spout built into the engine, by its (Storm) class name."""

    @classmethod
    def spec(cls, name=None, serialized_java=None, full_class_name=None, args_list=None,
             par=None, config=None, outputs=None):
        return ClassComponentSpec(SPOUT, full_class_name=full_class_name, args_list=args_list,
                                  name=name, par=par, config=config, outputs=outputs,
                                  serialized_java=serialized_java)


# Squall's names for the same thing: the engine's components are C++, not Java.
NativeBolt = JavaBolt
NativeSpout = JavaSpout


def python_spec(component_cls, kind, name=None, inputs=None, par=None, config=None):
    """What ``Bolt.spec`` and ``Spout.spec`` return."""
    if not isinstance(component_cls, type):
        raise TypeError("spec() is a class method of a Spout or Bolt subclass")
    return PythonComponentSpec(component_cls, kind, name=name, inputs=inputs, par=par,
                               config=config)

