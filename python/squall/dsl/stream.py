"""Streams and groupings for the topology DSL (streamparse's ``Stream`` and ``Grouping``)."""


class TopologyError(Exception):
    """A topology definition that cannot be right.

    ``topology`` is the ``Topology`` subclass's name and ``component`` the attribute (or
    ``config``) at fault, when known; the exporter turns them into a file and line.
    """

    def __init__(self, message, topology=None, component=None):
        super().__init__(message)
        self.message = message
        self.topology = topology
        self.component = component


def _field_names(fields, what):
    if fields is None:
        return []
    if isinstance(fields, str):
        fields = [fields]
    fields = list(fields)
    for name in fields:
        if not isinstance(name, str) or not name:
            raise TypeError("{} must be non-empty strings, got {!r}".format(what, name))
    if len(set(fields)) != len(fields):
        raise ValueError("{} contain a duplicate: {}".format(what, fields))
    return fields


class Stream:
    """An output stream of a component: ``Stream(fields, name="default", direct=False)``."""

    def __init__(self, fields=None, name="default", direct=False):
        if not isinstance(name, str) or not name:
            raise TypeError("a stream name must be a non-empty string, got {!r}".format(name))
        if name.startswith("__"):
            raise ValueError("stream name {!r} is reserved (names starting with '__' are "
                             "Squall's)".format(name))
        self.fields = _field_names(fields, "stream {!r} fields".format(name))
        self.name = name
        self.direct = bool(direct)

    def __repr__(self):
        return "Stream(fields={!r}, name={!r}, direct={!r})".format(self.fields, self.name,
                                                                   self.direct)

    def __eq__(self, other):
        return (isinstance(other, Stream) and (self.fields, self.name, self.direct) ==
                (other.fields, other.name, other.direct))

    def __hash__(self):
        return hash((tuple(self.fields), self.name, self.direct))


class GroupingSpec:
    """One grouping: its type, and the fields or custom class it needs."""

    TYPES = ("shuffle", "local_or_shuffle", "fields", "partial_key", "all", "global", "none",
             "direct", "custom")

    def __init__(self, type, fields=None, class_name=None, args=None):
        if type not in self.TYPES:
            raise ValueError("unknown grouping type {!r} (known: {})".format(
                type, ", ".join(self.TYPES)))
        self.type = type
        self.fields = list(fields or [])
        self.class_name = class_name
        self.args = list(args or [])

    def to_dict(self):
        d = {"type": self.type}
        if self.type in ("fields", "partial_key"):
            d["fields"] = list(self.fields)
        if self.type == "custom":
            d["class"] = self.class_name
            d["args"] = list(self.args)
        return d

    def __repr__(self):
        if self.type in ("fields", "partial_key"):
            return "Grouping.{}({})".format(self.type, ", ".join(map(repr, self.fields)))
        if self.type == "custom":
            return "Grouping.custom_object({!r}, {!r})".format(self.class_name, self.args)
        return "Grouping.{}".format(self.type.upper())

    def __eq__(self, other):
        return isinstance(other, GroupingSpec) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(repr(self))


class Grouping:
    """The ways a bolt can subscribe to a stream, as streamparse spells them.

    ``Grouping.SHUFFLE``, ``LOCAL_OR_SHUFFLE``, ``ALL``, ``GLOBAL``, ``NONE``, ``DIRECT``,
    ``Grouping.fields("word")``, ``Grouping.partial_key("word")`` and
    ``Grouping.custom_object("class.Name", [args])``. Lower-case aliases (``Grouping.shuffle``)
    exist for the constants whose name is not a Python keyword.
    """

    SHUFFLE = GroupingSpec("shuffle")
    LOCAL_OR_SHUFFLE = GroupingSpec("local_or_shuffle")
    ALL = GroupingSpec("all")
    GLOBAL = GroupingSpec("global")
    NONE = GroupingSpec("none")
    DIRECT = GroupingSpec("direct")

    shuffle = SHUFFLE
    local_or_shuffle = LOCAL_OR_SHUFFLE
    all = ALL
    none = NONE
    direct = DIRECT

    @staticmethod
    def fields(*fields):
        """Tuples with equal values of ``fields`` go to the same task."""
        if len(fields) == 1 and isinstance(fields[0], (list, tuple)):
            fields = tuple(fields[0])
        if not fields:
            raise ValueError("Grouping.fields() needs at least one field name")
        return GroupingSpec("fields", _field_names(fields, "grouping fields"))

    @staticmethod
    def partial_key(*fields):
        """Like fields, but each key is spread over the less loaded of two tasks."""
        if len(fields) == 1 and isinstance(fields[0], (list, tuple)):
            fields = tuple(fields[0])
        if not fields:
            raise ValueError("Grouping.partial_key() needs at least one field name")
        return GroupingSpec("partial_key", _field_names(fields, "grouping fields"))

    @staticmethod
    def custom_object(java_class_name, args_list=None):
        """A registered custom grouping class, with constructor arguments."""
        if not isinstance(java_class_name, str) or not java_class_name:
            raise TypeError("Grouping.custom_object() needs a class name")
        return GroupingSpec("custom", class_name=java_class_name, args=args_list)

    @staticmethod
    def custom_serialized(java_serialized):
        raise TopologyError("Grouping.custom_serialized() needs a JVM; name a registered grouping "
                            "class with Grouping.custom_object() instead")


setattr(Grouping, "global", Grouping.GLOBAL)


class StreamRef:
    """One output stream of one component spec: what ``spec["errors"]`` returns
    (streamparse's ``GlobalStreamId``). Usable as a key or item of ``inputs``."""

    def __init__(self, spec, stream):
        self.spec = spec
        self.stream = stream

    @property
    def component(self):
        return self.spec.name

    def __repr__(self):
        return "{!r}[{!r}]".format(self.spec, self.stream)

    def __eq__(self, other):
        return (isinstance(other, StreamRef) and self.spec is other.spec and
                self.stream == other.stream)

    def __hash__(self):
        return hash((id(self.spec), self.stream))
