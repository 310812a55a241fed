"""The pipe pair to the engine, shared by every thread of a component."""

import threading
import time
from collections import deque
from contextlib import contextmanager

from .errors import ProtocolError, StormWentAwayError

# The longest an emit or ack may sit in the buffer while its thread keeps working: bounds
# how late a slow process() makes its first emits, and keeps the engine hearing from a child
# that emits now and then inside one long call.
MAX_DEFER_SECS = 0.1

# How long the output of a finished tuple may wait for the next tuple's when the engine has
# sent that one already: the bytes of several fast tuples leave in one write(2) instead of
# one each, and a slow tuple (longer than this) still flushes as it ends. Output never waits
# while the component blocks for input (Channel._flush_before_blocking).
FLUSH_HOLD_SECS = 0.0002

_get_ident = threading.get_ident
_monotonic = time.monotonic


class _TaskIdSlot:
    """Where the reply to one ``need_task_ids`` emit is delivered."""

    __slots__ = ("task_ids",)

    def __init__(self):
        self.task_ids = None


class _Deferring:
    """``with channel.deferring():`` (see there)."""

    __slots__ = ("_channel",)

    def __init__(self, channel):
        self._channel = channel

    def __enter__(self):
        self._channel._deferring_thread = _get_ident()

    def __exit__(self, *exc_info):
        channel = self._channel
        channel._deferring_thread = None
        with channel._write_lock:
            since = channel._unflushed_since
            if since is None:
                return False
            # The next tuple is here already (an unlocked peek: a stale answer only moves the
            # flush to the next read round): its output may join this one.
            if channel._commands and _monotonic() - since < FLUSH_HOLD_SECS:
                return False
            channel._unflushed_since = None
            channel.serializer.flush()
        return False


class Channel:
    """Sends and receives multilang messages; safe to use from any thread.

    Writes: one lock makes each message atomic on the pipe.

    Reads: the engine interleaves two kinds of message on one pipe: objects (tuples,
    spout commands) and bare arrays (task ids answering an earlier emit).  Whichever
    thread needs a message and finds none queued becomes the single reader; it routes
    what it reads - objects to the command queue, arrays to the oldest waiting emit -
    and wakes the others.  Task-id replies come back in emit order, so an emit joins
    the waiting line under the write lock, in the same step as it is sent; concurrent
    emits therefore each get their own reply (pystorm issues #101, #239).

    Batching: inside ``with channel.batch():`` messages are written without a flush each,
    and flushed together (one write) when the outermost batch ends; an emit that waits for
    task ids still flushes first.

    Lifetime: built once the handshake streams are known; never closed explicitly -
    EOF from the engine makes every blocked and future read raise StormWentAwayError.
    """

    def __init__(self, serializer):
        self.serializer = serializer
        # The hot path writes encoded bytes itself when the serializer offers both halves.
        self._encode = getattr(serializer, "encode", None)
        self._raw_write = getattr(serializer, "raw_write", None)
        # send_emit's parts of an emit for the anchors and stream of the last emits (see
        # there); without them (or without raw_write) emits take send()'s path.
        self._emit_parts_of = getattr(serializer, "emit_parts", None)
        self._fast_emits = self._raw_write is not None and self._emit_parts_of is not None
        self._emit_anchors = self._emit_stream = None
        self._emit_prefix = self._emit_values = self._emit_suffix = None
        self._write_lock = threading.RLock()
        self._state = threading.Condition(threading.Lock())
        self._commands = deque()
        self._task_id_slots = deque()
        self._reader_active = False
        self._broken = None  # the exception that ended reading, re-raised to everyone
        # Task-id lists no emit waits for: storm.py-style code reads them with
        # read_task_ids(); bounded so a chatty engine cannot grow it forever.
        self._unclaimed_task_ids = deque(maxlen=1024)
        self._batch_depth = 0  # guarded by _write_lock
        self._deferring_thread = None  # see deferring()
        self._unflushed_since = None  # guarded by _write_lock: when deferred bytes began
        # deferring()'s context manager: a class, not a generator, since it runs per tuple.
        self._deferring_block = _Deferring(self)

    def send(self, message, deferrable=False):
        """Write ``message``.  A ``deferrable`` one (emit, ack, fail) sent by the thread
        inside ``deferring()`` may wait in the buffer, for at most MAX_DEFER_SECS."""
        with self._write_lock:
            if self._batch_depth:
                self.serializer.write_message(message, False)
                return
            if deferrable and self._deferring_thread == _get_ident():
                now = _monotonic()
                since = self._unflushed_since
                if since is None:
                    self._unflushed_since = now
                    self.serializer.write_message(message, False)
                    return
                if now - since < MAX_DEFER_SECS:
                    self.serializer.write_message(message, False)
                    return
            self._unflushed_since = None
            self.serializer.write_message(message)

    def send_deferrable(self, message):
        """``send(message, deferrable=True)``, shortened for the per-emit hot path."""
        with self._write_lock:
            if (self._batch_depth or self._deferring_thread != _get_ident()
                    or self._raw_write is None):
                self.send(message, True)
                return
            now = _monotonic()
            since = self._unflushed_since
            if since is None:
                self._unflushed_since = now
            elif now - since >= MAX_DEFER_SECS:
                self._unflushed_since = None
                self.serializer.write_message(message)
                return
            try:
                self._raw_write(self._encode(message))
            except (OSError, ValueError) as exc:
                raise StormWentAwayError("cannot write to the engine: {}".format(exc)) from exc

    def send_emit(self, tup, anchor_ids, stream):
        """``send_deferrable`` of an emit without task ids.  Its anchors and stream repeat
        from one emit to the next (a bolt's words of one input tuple share them), so the
        bytes around the values are encoded once per ``anchor_ids`` object and stream; the
        caller never mutates an ``anchor_ids`` it passed."""
        # acquire/release rather than `with`: 45 ns less per word.
        lock = self._write_lock
        lock.acquire()
        try:
            if (self._batch_depth or self._deferring_thread != _get_ident()
                    or not self._fast_emits):
                self.send(_emit_message(tup, anchor_ids, stream), True)
                return
            # send_deferrable's bookkeeping, written out again: a helper call per word costs
            # as much as the encoding saved here.
            now = _monotonic()
            since = self._unflushed_since
            if since is None:
                self._unflushed_since = now
            elif now - since >= MAX_DEFER_SECS:
                self._unflushed_since = None
                self.serializer.write_message(_emit_message(tup, anchor_ids, stream))
                return
            if anchor_ids is not self._emit_anchors or stream != self._emit_stream:
                self._emit_prefix, self._emit_values, self._emit_suffix = \
                    self._emit_parts_of(anchor_ids, stream)
                self._emit_anchors = anchor_ids
                self._emit_stream = stream
            data = self._emit_prefix + self._emit_values(tup)
            if self._emit_suffix:
                data += self._emit_suffix
            try:
                self._raw_write(data)
            except (OSError, ValueError) as exc:
                raise StormWentAwayError("cannot write to the engine: {}".format(exc)) from exc
        finally:
            lock.release()

    def deferring(self):
        """While the calling thread handles one tuple or spout command, its emits and acks
        leave together when the block ends (or with the next message that is not deferrable,
        such as a log or a sync), instead of one write(2) and one engine wake-up each.
        Other threads' messages are not held back, and flush what is buffered."""
        return self._deferring_block

    @contextmanager
    def batch(self):
        """Hold the writer and flush once at the end (other threads' sends wait)."""
        with self._write_lock:
            self._batch_depth += 1
            try:
                yield self
            finally:
                self._batch_depth -= 1
                if not self._batch_depth:
                    self.serializer.flush()

    def send_expecting_task_ids(self, message):
        """Send an emit and block until the engine answers it with a list of task ids."""
        slot = _TaskIdSlot()
        with self._write_lock:
            with self._state:
                self._task_id_slots.append(slot)
            try:
                self.serializer.write_message(message)
            except BaseException:
                with self._state:
                    self._task_id_slots.remove(slot)
                raise
        return self._wait_for(lambda: slot.task_ids is not None, lambda: slot.task_ids)

    def read_command(self):
        """Next tuple or command (a dict), in arrival order."""
        try:
            # The engine sends tuples in batches: most reads find one queued. deque.popleft
            # is atomic, and the reader only appends, so this needs no lock.
            return self._commands.popleft()
        except IndexError:
            return self._wait_for(self._commands.__len__, self._commands.popleft)

    def read_task_ids(self):
        """Next task-id list that no registered emit claimed (storm.py's ``readTaskIds``)."""
        unclaimed = self._unclaimed_task_ids
        return self._wait_for(lambda: bool(unclaimed), unclaimed.popleft)

    def read_raw(self):
        """Next message of any kind, bypassing the routing (storm.py's ``readMsg``)."""
        with self._state:
            while not self._commands and self._reader_active and self._broken is None:
                self._state.wait()
            if self._commands:
                return self._commands.popleft()
            if self._broken is not None:
                raise self._broken
            self._reader_active = True
        message = self._read_one()
        with self._state:
            self._reader_active = False
            self._state.notify_all()
        return message

    def _wait_for(self, ready, take):
        while True:
            with self._state:
                while not ready() and self._reader_active and self._broken is None:
                    self._state.wait()
                if ready():
                    return take()
                if self._broken is not None:
                    raise self._broken
                self._reader_active = True  # nobody is reading: this thread reads
            messages = self._read_one(everything_buffered=True)
            with self._state:
                self._reader_active = False
                for message in messages:
                    self._route(message)
                self._state.notify_all()

    def _flush_before_blocking(self):
        """Output deferred past its tuple (_Deferring.__exit__) leaves before the reader may
        block: the engine may be waiting for those acks before it sends more."""
        if self._unflushed_since is None:
            return
        with self._write_lock:
            if self._unflushed_since is not None:
                self._unflushed_since = None
                self.serializer.flush()

    def _read_one(self, everything_buffered=False):
        """The next message; with ``everything_buffered``, a list of it and every further
        message that is already complete in the input buffer (one lock round per read(2),
        not one per tuple, when the engine sends several tuples at once)."""
        try:
            self._flush_before_blocking()
            message = self.serializer.read_message()
            if not everything_buffered:
                return message
            read_buffered = getattr(self.serializer, "read_buffered", None)
            return [message] + read_buffered() if read_buffered else [message]
        except (StormWentAwayError, ProtocolError) as exc:
            # The stream is gone or out of step: every waiter must learn it.
            with self._state:
                self._reader_active = False
                self._broken = exc
                self._state.notify_all()
            raise
        except BaseException:
            # e.g. an exception raised by a signal handler: reading may resume later.
            with self._state:
                self._reader_active = False
                self._state.notify_all()
            raise

    def _route(self, message):
        if isinstance(message, list):
            if self._task_id_slots:
                self._task_id_slots.popleft().task_ids = message
            else:
                self._unclaimed_task_ids.append(message)
        elif isinstance(message, dict):
            self._commands.append(message)
        else:
            self._broken = ProtocolError(
                "expected a JSON object or array from the engine, got {!r}".format(message)
            )


def _emit_message(tup, anchor_ids, stream):
    message = {"command": "emit", "tuple": tup, "anchors": list(anchor_ids),
               "need_task_ids": False}
    if stream is not None:
        message["stream"] = stream
    return message
