"""pystorm's msgpack framing: complete msgpack objects written back to back.

There is no ``end`` line and no length prefix; the unpacker finds message
boundaries itself.  Messages have the same shapes as in JSON (maps, and arrays for
task-id replies).  Strings are packed as msgpack ``str`` and bytes as ``bin``
(``use_bin_type=True``); on input both ``str`` and ``bin`` are accepted.
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


def _new_unpacker(msgpack):
    try:
        # strict_map_key=False: tuples may carry maps with integer keys (msgpack >= 1.0).
        return msgpack.Unpacker(raw=False, strict_map_key=False)
    except TypeError:
        return msgpack.Unpacker(raw=False)


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
        self._packer = msgpack.Packer(use_bin_type=True)
        self._unpacker = _new_unpacker(msgpack)
        self._input = input_stream  # keep it alive: its finalizer would close the fd
        self._read_chunk = _chunk_reader(input_stream)
        self._output = output_stream
        # For Channel's hot path: one message to bytes, and the stream's own write.
        self.encode = self._packer.pack
        self.raw_write = output_stream.write

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
