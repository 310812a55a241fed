"""Storm's default multilang framing: a JSON document, a newline, then a line ``end``."""

import json

from ..errors import ProtocolError, StormWentAwayError

_END = b"end"
_TRAILER = b"\nend\n"


class JsonSerializer:
    """Reads and writes Storm's JSON framing over binary streams.

    Reading accepts what Storm's own reader accepts: a document spread over several
    lines (pretty-printed), CRLF line ends, and blank lines between messages (pystorm
    tolerates those too).  Writing always produces one compact line plus ``end``.
    """

    name = "json"

    def __init__(self, input_stream, output_stream):
        self._input = input_stream
        self._output = output_stream
        # For Channel's hot path: one message to bytes, and the stream's own write.
        self.raw_write = output_stream.write
        self._first_read = True

    def read_message(self):
        if self._first_read:
            self._first_read = False
            self._reject_binary_peer()
        lines = []
        while True:
            line = self._input.readline()
            if not line:
                partial = b"\n".join(lines)[:200]
                detail = "EOF while reading a message from the engine"
                if partial:
                    detail += " (partial message: {!r})".format(partial)
                raise StormWentAwayError(detail)
            line = line.rstrip(b"\r\n")
            if line == _END:
                break
            if line.strip():
                lines.append(line)
        return _decode(b"\n".join(lines))

    @staticmethod
    def encode(message):
        return _encode(message) + _TRAILER

    @staticmethod
    def emit_parts(anchor_ids, stream):
        """(prefix, encode_values, suffix): ``prefix + encode_values(tup) + suffix`` is the
        emit of ``tup`` with ``anchor_ids``, ``stream`` and no task ids, as ``encode`` would
        write it. The emits of a bolt's words of one input tuple share the prefix and
        suffix, so each encodes only its values."""
        # The keys in the order encode() writes the dict path's message.
        prefix = b'{"command":"emit","anchors":' + _encode(anchor_ids) + b',"need_task_ids":false'
        if stream is not None:
            prefix += b',"stream":' + _encode(stream)
        return prefix + b',"tuple":', _encode_values, b"}" + _TRAILER

    def write_message(self, message, flush=True):
        data = _encode(message) + _TRAILER
        try:
            self._output.write(data)
            if flush:
                self._output.flush()
        except (OSError, ValueError) as exc:
            raise StormWentAwayError("cannot write to the engine: {}".format(exc)) from exc

    def flush(self):
        try:
            self._output.flush()
        except (OSError, ValueError) as exc:
            raise StormWentAwayError("cannot write to the engine: {}".format(exc)) from exc

    def _reject_binary_peer(self):
        # An engine speaking msgpack would leave us waiting forever for an "end"
        # line; a map header byte (>= 0x80) can never start a JSON document.
        peek = getattr(self._input, "peek", None)
        if peek is None:
            return
        try:
            head = peek(1)[:1]
        except (OSError, ValueError):
            return
        if head and head[0] >= 0x80:
            raise ProtocolError(
                "the engine sent binary data but this component speaks JSON; "
                "the engine probably uses msgpack (check topology.multilang.serializer "
                "and SQUALL_SERIALIZER)"
            )


# Built once: json.dumps with non-default options builds a new encoder on every call.
_ENCODE_UTF8 = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ENCODE_ASCII = json.JSONEncoder(separators=(",", ":")).encode


def _not_serializable(obj):
    raise TypeError("Object of type {} is not JSON serializable".format(type(obj).__name__))


_C_ENCODE_STR = getattr(json.encoder, "c_encode_basestring", None)


def _c_encoder():
    """The C encoder behind _ENCODE_UTF8, made once: JSONEncoder.encode makes a new one on
    every call, which is most of its time for a multilang message (1.4 us against 0.3 us for
    a word). No circular-reference markers, so that it can be reused; a cycle then ends in
    RecursionError rather than ValueError. None where the C module is missing."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or _C_ENCODE_STR is None:
        return None
    return make(None, _not_serializable, _C_ENCODE_STR, None, ":", ",", False, False, True)


_C_ENCODE = _c_encoder()


def _encode(message):
    try:
        if _C_ENCODE is not None:
            return "".join(_C_ENCODE(message, 0)).encode("utf-8")
        return _ENCODE_UTF8(message).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate cannot be UTF-8 encoded; ASCII escapes keep the JSON valid.
        return _ENCODE_ASCII(message).encode("ascii")


def _encode_values(values):
    """_encode of a tuple's values, with a shortcut for the usual one string (a word)."""
    if _C_ENCODE_STR is not None and len(values) == 1 and type(values[0]) is str:
        try:
            return ("[" + _C_ENCODE_STR(values[0]) + "]").encode("utf-8")
        except UnicodeEncodeError:
            pass
    return _encode(values)


def _decode(data):
    if not data:
        raise ProtocolError("empty multilang message (an 'end' line with no JSON before it)")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(
            "malformed JSON from the engine: {} in {!r}".format(exc, data[:200])
        ) from exc
