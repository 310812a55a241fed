"""Logging through the multilang ``log`` command, with Storm's numeric levels."""

import logging
import os
import threading
from collections import deque
from logging.handlers import RotatingFileHandler

from .errors import StormWentAwayError

# Storm's multilang levels (STORM-414).
STORM_TRACE, STORM_DEBUG, STORM_INFO, STORM_WARN, STORM_ERROR = range(5)

# Python has no TRACE level; this one sits below DEBUG and maps to Storm's 0.
TRACE = 5

_STORM_LEVEL_NAMES = {
    "trace": STORM_TRACE,
    "debug": STORM_DEBUG,
    "info": STORM_INFO,
    "warn": STORM_WARN,
    "warning": STORM_WARN,
    "error": STORM_ERROR,
    "critical": STORM_ERROR,
}
_PYTHON_LEVEL_NAMES = {
    "trace": TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

DEFAULT_STORM_FORMAT = "%(name)s - %(message)s"  # the engine adds time and component
DEFAULT_FILE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
DEFAULT_FILE_NAME = "squall_{topology_name}_{component_name}_{task_id}_{pid}.log"


def storm_level(level):
    """Storm's number for a level given as a name ("warn"), a Storm number, or None."""
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 4:
        return level
    if isinstance(level, str):
        return _STORM_LEVEL_NAMES.get(level.lower(), STORM_INFO)
    return STORM_INFO


def storm_level_for_record(levelno):
    """Storm's number for a Python logging level number."""
    if levelno < logging.DEBUG:
        return STORM_TRACE
    if levelno < logging.INFO:
        return STORM_DEBUG
    if levelno < logging.WARNING:
        return STORM_INFO
    if levelno < logging.ERROR:
        return STORM_WARN
    return STORM_ERROR


class StormHandler(logging.Handler):
    """A logging handler that sends each record to the engine as a ``log`` command.

    Filtering happens here, in Python, so debug records cost nothing on the pipe
    when the level is info.  Records that arrive before the handshake (there is no
    pipe to write to yet) are kept, up to 1000, and sent by ``connect``.
    """

    def __init__(self, channel=None):
        super().__init__()
        self._channel = channel
        self._early_records = deque(maxlen=1000)
        self._in_emit = threading.local()

    def connect(self, channel):
        self.acquire()
        try:
            self._channel = channel
            early = self.take_early_records()
        finally:
            self.release()
        for record in early:
            if record.levelno >= self.level:
                self.handle(record)

    def take_early_records(self):
        records = list(self._early_records)
        self._early_records.clear()
        return records

    def emit(self, record):
        # A record logged while sending a record (say, by a failing send) would
        # recurse; dropping it is the only safe choice.
        if getattr(self._in_emit, "active", False):
            return
        if self._channel is None:
            self._early_records.append(record)
            return
        self._in_emit.active = True
        try:
            message = {
                "command": "log",
                "msg": self.format(record),
                "level": storm_level_for_record(record.levelno),
            }
            self._channel.send(message)
        except StormWentAwayError:
            pass  # the run loop notices the closed pipe and exits
        except Exception:
            self.handleError(record)
        finally:
            self._in_emit.active = False


def install_early_handler():
    """Catch log records (and printed lines) from the start of ``run()``, before the
    handshake has told us the configured level."""
    logging.addLevelName(TRACE, "TRACE")
    handler = StormHandler()
    logging.getLogger().addHandler(handler)
    logging.getLogger("squall").setLevel(logging.DEBUG)
    return handler


def configure_logging(storm_handler, channel, storm_conf, names):
    """Apply the topology's log settings and return the component's logger.

    Settings are read as ``squall.log.<key>`` with ``pystorm.log.<key>`` as fallback,
    so streamparse configs keep working: ``path`` (write a rotating file instead of
    sending to the engine), ``file``, ``max_bytes``, ``backup_count``, ``level``,
    ``format``.  ``topology.debug`` forces DEBUG.  ``names`` fills the file template:
    topology_name, component_name, task_id, pid.
    """

    def setting(key, default=None):
        for prefix in ("squall.log.", "pystorm.log."):
            if storm_conf.get(prefix + key) is not None:
                return storm_conf[prefix + key]
        return default

    level = _PYTHON_LEVEL_NAMES.get(str(setting("level", "info")).lower(), logging.INFO)
    if storm_conf.get("topology.debug"):
        level = min(level, logging.DEBUG)

    root = logging.getLogger()
    log_dir = setting("path")
    if log_dir:
        file_name = str(setting("file", DEFAULT_FILE_NAME)).format(**names)
        handler = RotatingFileHandler(
            os.path.join(log_dir, file_name),
            maxBytes=int(setting("max_bytes", 1000000)),
            backupCount=int(setting("backup_count", 10)),
        )
        handler.setFormatter(logging.Formatter(setting("format", DEFAULT_FILE_FORMAT)))
        handler.setLevel(level)
        root.removeHandler(storm_handler)
        root.addHandler(handler)
        for record in storm_handler.take_early_records():
            if record.levelno >= level:
                handler.handle(record)
    else:
        storm_handler.setFormatter(logging.Formatter(setting("format", DEFAULT_STORM_FORMAT)))
        storm_handler.setLevel(level)
        storm_handler.connect(channel)

    root.setLevel(level)
    logging.getLogger("squall").setLevel(level)
    logger = logging.getLogger("squall.component." + str(names["component_name"]))
    logger.setLevel(level)
    return logger
