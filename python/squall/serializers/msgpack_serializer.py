"""pystorm's msgpack framing: complete msgpack objects written back to back.

There is no ``end`` line and no length prefix; the unpacker finds message
boundaries itself.  Messages have the same shapes as in JSON (maps, and arrays for
task-id replies).  Strings are packed as msgpack ``str`` and bytes as ``bin``
(``use_bin_type=True``); on input both ``str`` and ``bin`` are accepted.

Values arrive exactly as sent (docs/VALUES.md): a str holding a lone surrogate is packed
with ``surrogatepass`` (the engine keeps those bytes and gives them back), and an int
outside msgpack's range [-2**63, 2**64) travels as ext type ``BIGINT_EXT`` holding its
decimal digits, as the engine writes such integers.
"""

import os

from ..errors import ProtocolError, StormWentAwayError


def require_msgpack():
    # Imported lazily so JSON-only users never need the package.
    try:
        import msgpack
    except ImportError as exc:
        raise ImportError(
            "the msgpack serializer needs the 'msgpack' package "
            "(pip install msgpack, or apt-get install python3-msgpack)"
        ) from exc
    return msgpack


BIGINT_EXT = 1


def _pack_default(obj):
    # msgpack calls this for an int it cannot pack (beyond 64 bits) and for unknown types.
    if isinstance(obj, int):
        import msgpack

        return msgpack.ExtType(BIGINT_EXT, str(int(obj)).encode("ascii"))
    raise TypeError("cannot serialize {!r} (type {}) to msgpack".format(obj, type(obj).__name__))


def _make_ext_hook(msgpack):
    def ext_hook(code, data):
        if code == BIGINT_EXT:
            return int(data.decode("ascii"))
        return msgpack.ExtType(code, data)

    return ext_hook


def _new_packer(msgpack):
    return msgpack.Packer(use_bin_type=True, default=_pack_default,
                          unicode_errors="surrogatepass")


def _new_unpacker(msgpack):
    options = dict(raw=False, ext_hook=_make_ext_hook(msgpack), unicode_errors="surrogatepass")
    try:
        # strict_map_key=False: tuples may carry maps with integer keys (msgpack >= 1.0).
        return msgpack.Unpacker(strict_map_key=False, **options)
    except TypeError:
        return msgpack.Unpacker(**options)


def _chunk_reader(stream):
    """Return read(n) that blocks only until *some* bytes arrive, not n of them."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        return lambda size: os.read(fd, size)
    if hasattr(stream, "read1"):
        return stream.read1
    return stream.read


class MsgpackSerializer:
    """Reads and writes back-to-back msgpack objects over binary streams."""

    name = "msgpack"
    CHUNK_SIZE = 1 << 16  # a bigger read only costs a bigger allocation per call

    def __init__(self, input_stream, output_stream):
        msgpack = require_msgpack()
        self._decode_errors = (ValueError, msgpack.exceptions.UnpackException)
        self._packer = _new_packer(msgpack)
        self._unpacker = _new_unpacker(msgpack)
        self._input = input_stream  # keep it alive: its finalizer would close the fd
        self._read_chunk = _chunk_reader(input_stream)
        self._output = output_stream
        # For Channel's hot path: one message to bytes, and the stream's own write.
        self.encode = self._packer.pack
        self.raw_write = output_stream.write
        # emit_parts' constant pieces, packed once: only the anchors and stream vary.
        pack = self._packer.pack
        keys = pack("command") + pack("emit") + pack("anchors")
        self._emit_head = {False: b"\x84" + keys, True: b"\x85" + keys}  # 4 or 5 entries
        self._emit_no_ids = pack("need_task_ids") + pack(False)
        self._emit_stream_key = pack("stream")
        self._emit_tuple_key = pack("tuple")

    def emit_parts(self, anchor_ids, stream):
        """(prefix, encode_values, suffix): ``prefix + encode_values(tup) + suffix`` is the
        emit of ``tup`` with ``anchor_ids``, ``stream`` and no task ids, as ``encode`` would
        write it. The emits of a bolt's words of one input tuple share the prefix, so each
        packs only its values."""
        pack = self._packer.pack
        prefix = self._emit_head[stream is not None] + pack(anchor_ids) + self._emit_no_ids
        if stream is not None:
            prefix += self._emit_stream_key + pack(stream)
        return prefix + self._emit_tuple_key, pack, b""

    def read_message(self):
        while True:
            try:
                return next(self._unpacker)
            except StopIteration:
                pass  # need more bytes
            except self._decode_errors as exc:
                raise ProtocolError("malformed msgpack from the engine: {}".format(exc)) from exc
            chunk = self._read_chunk(self.CHUNK_SIZE)
            if not chunk:
                raise StormWentAwayError("EOF while reading a message from the engine")
            self._unpacker.feed(chunk)

    def read_buffered(self):
        """The messages already complete in the input buffer, without reading more."""
        messages = []
        while True:
            try:
                messages.append(next(self._unpacker))
            except StopIteration:
                return messages
            except self._decode_errors as exc:
                raise ProtocolError("malformed msgpack from the engine: {}".format(exc)) from exc

    def write_message(self, message, flush=True):
        data = self._packer.pack(message)
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
