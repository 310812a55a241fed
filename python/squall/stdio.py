"""Keeps the engine's pipes for the protocol alone.

User code prints, C extensions write to fd 1, child processes inherit fd 0 and may
read it: any of these would corrupt the multilang stream (streamparse issue #432).
So the component moves the pipes to private descriptors, points fd 0 at /dev/null
and fd 1 at stderr (which the engine logs), and turns ``print`` into log records.
"""

import atexit
import io
import logging
import os
import sys
import threading


def detach_protocol_pipes():
    """Move the engine pipes off fds 0 and 1; return (input, output) binary files.

    Call once, from the main thread, before anything is read from or written to
    the engine.
    """
    protocol_in = os.dup(0)
    protocol_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    # Text printed before this point may still sit in sys.stdout's buffer; fd 1 is
    # stderr now, so flushing sends it there instead of into the protocol.
    try:
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):
        pass
    return os.fdopen(protocol_in, "rb"), os.fdopen(protocol_out, "wb")


class PrintToLog(io.TextIOBase):
    """A ``sys.stdout`` replacement that logs each printed line at INFO.

    Lines are logged whole (``print`` writes text and newline separately); ``flush``
    logs an unfinished line.  Thread-safe.  If logging itself writes to stdout (a
    user's ``basicConfig(stream=sys.stdout)``), the nested text goes to stderr
    instead of looping forever.
    """

    def __init__(self, logger=None):
        super().__init__()
        self._logger = logger or logging.getLogger("squall.stdout")
        self._partial = ""
        self._lock = threading.RLock()
        self._busy = threading.local()
        self.buffer = _BytesToText(self)
        atexit.register(self.flush)  # a last line printed without a newline

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if getattr(self._busy, "active", False):
            sys.stderr.write(text)
            return len(text)
        with self._lock:
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        self._log_lines(lines)
        return len(text)

    def flush(self):
        with self._lock:
            rest, self._partial = self._partial, ""
        self._log_lines([rest])

    def _log_lines(self, lines):
        self._busy.active = True
        try:
            for line in lines:
                if line.strip():
                    self._logger.info(line.rstrip("\r"))
        finally:
            self._busy.active = False


class _BytesToText:
    """``sys.stdout.buffer`` for code that writes bytes to stdout."""

    def __init__(self, text_stream):
        self._text = text_stream

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)

    def flush(self):
        self._text.flush()
