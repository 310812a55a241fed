"""Storm's Tuple as seen by a Python component, and how it is built from a message."""

import re
from collections import namedtuple

from .errors import ProtocolError

HEARTBEAT_STREAM = "__heartbeat"
TICK_COMPONENT = "__system"
TICK_STREAM = "__tick"

# Source and stream ids can hold any characters; type names cannot.
_NOT_IDENTIFIER = re.compile(r"\W|^(?=\d)")


class Tuple(namedtuple("Tuple", "id component stream task values")):
    """One input tuple: pystorm's namedtuple, plus storm.py's helper names.

    ``values`` is a namedtuple when the handshake told us the source stream's field
    names (so ``tup.values.word`` works), otherwise a plain tuple.
    """

    __slots__ = ()

    def is_heartbeat(self):
        return self.task == -1 and self.stream == HEARTBEAT_STREAM

    def is_tick(self):
        return self.component == TICK_COMPONENT and self.stream == TICK_STREAM

    # storm.py spelling
    is_heartbeat_tuple = is_heartbeat


class TupleDecoder:
    """Turns tuple messages into Tuples, naming values after the declared fields.

    Built from the handshake context key ``source->stream->fields``; a stream that
    is missing there, or a message whose value count disagrees with the fields,
    gets plain tuple values rather than an error.
    """

    def __init__(self, context=None):
        self._value_types = {}
        fields_by_source = (context or {}).get("source->stream->fields") or {}
        for source, fields_by_stream in fields_by_source.items():
            for stream, fields in (fields_by_stream or {}).items():
                self._value_types[(source, stream)] = _values_type(source, stream, fields)

    def decode(self, message):
        try:
            source = message["comp"]
            stream = message["stream"]
            values = message["tuple"]
            values = self._values(source, stream, values)
            return Tuple(message["id"], source, stream, message["task"], values)
        except (KeyError, TypeError) as exc:
            raise ProtocolError("expected a tuple message, got {!r}".format(message)) from exc

    def _values(self, source, stream, values):
        values_type = self._value_types.get((source, stream))
        if values_type is not None and len(values) == len(values_type._fields):
            return values_type(*values)
        return tuple(values)


def _values_type(source, stream, fields):
    name = (
        _NOT_IDENTIFIER.sub("_", str(source).title())
        + _NOT_IDENTIFIER.sub("_", str(stream).title())
        + "Tuple"
    )
    # rename=True: a field called "class" or "my-field" must not break the bolt.
    return namedtuple(name, [str(f) for f in fields], rename=True)
