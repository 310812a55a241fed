"""Apache Storm's ``storm.py`` API, on top of squall's channel.

Old scripts that ``import storm`` work unchanged when the directory holding
squall's top-level ``storm.py`` shim is on PYTHONPATH.  Behaviour follows Storm's
storm.py, minus its Python 3 bugs (anchors built with ``map``, tracebacks lost
through ``format_exc(e)``, STORM-3164):

* ``emit`` always waits for the task-id reply (storm.py never sends
  ``need_task_ids``); ``emitDirect`` does not.
* ``Bolt``: no auto-ack, no auto-anchoring; an exception is reported and ends ``run``.
* ``BasicBolt``: every emit is anchored to the current tuple; the tuple is acked
  after ``process`` returns, or reported and failed if it raises, and the loop goes on.
* ``Spout``: ``next``/``ack``/``fail`` (and ``activate``/``deactivate``) then ``sync``.

Additions: printed text becomes log messages instead of corrupting the protocol,
and ``SQUALL_SERIALIZER=msgpack`` switches the wire format as for squall components.
"""

import logging
import os
import sys
import traceback

from .channel import Channel
from .errors import StormWentAwayError
from .logs import install_early_handler
from .serializers import choose_serializer_name, create_serializer
from .stdio import PrintToLog, detach_protocol_pipes
from .tuple import Tuple

__all__ = [
    "Tuple", "Bolt", "BasicBolt", "Spout",
    "readMsg", "readTaskIds", "readCommand", "readTuple", "sendMsgToParent", "sync",
    "sendpid", "emit", "emitDirect", "emitBolt", "emitSpout", "ack", "fail", "reportError",
    "log", "logTrace", "logDebug", "logInfo", "logWarn", "logError", "rpcMetrics",
    "initComponent",
]

MODE = None  # Bolt or Spout class, once run() starts: decides what emit() sends
ANCHOR_TUPLE = None  # BasicBolt's current tuple: emits are anchored to it

_channel = None


def _connection():
    """The channel to the engine, opened on first use (normally by initComponent)."""
    global _channel
    if _channel is None:
        name, _ = choose_serializer_name(None)
        protocol_in, protocol_out = detach_protocol_pipes()
        _channel = Channel(create_serializer(name, protocol_in, protocol_out))
        handler = install_early_handler()
        sys.stdout = PrintToLog()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.connect(_channel)
    return _channel


def readMsg():
    return _connection().read_raw()


def readTaskIds():
    return _connection().read_task_ids()


def readCommand():
    return _connection().read_command()


def readTuple():
    cmd = readCommand()
    return Tuple(cmd["id"], cmd["comp"], cmd["stream"], cmd["task"], cmd["tuple"])


def sendMsgToParent(msg):
    _connection().send(msg)


def sync():
    sendMsgToParent({"command": "sync"})


def sendpid(heartbeatdir):
    pid = os.getpid()
    open(os.path.join(heartbeatdir, str(pid)), "w").close()
    sendMsgToParent({"pid": pid})


def emit(*args, **kwargs):
    """Emit and return the task ids the tuple went to."""
    message = _emit_message(*args, **kwargs)
    if message is None:
        return None
    return _connection().send_expecting_task_ids(message)


def emitDirect(task, *args, **kwargs):
    kwargs["directTask"] = task
    message = _emit_message(*args, **kwargs)
    if message is not None:
        sendMsgToParent(message)


def _emit_message(*args, **kwargs):
    if MODE is Bolt:
        return _bolt_emit_message(*args, **kwargs)
    if MODE is Spout:
        return _spout_emit_message(*args, **kwargs)
    return None


def emitBolt(tup, stream=None, anchors=None, directTask=None):
    sendMsgToParent(_bolt_emit_message(tup, stream, anchors, directTask))


def emitSpout(tup, stream=None, id=None, directTask=None):
    sendMsgToParent(_spout_emit_message(tup, stream, id, directTask))


def _bolt_emit_message(tup, stream=None, anchors=None, directTask=None):
    if ANCHOR_TUPLE is not None:
        anchors = [ANCHOR_TUPLE]
    message = {"command": "emit"}
    if stream is not None:
        message["stream"] = stream
    message["anchors"] = [a.id if isinstance(a, Tuple) else a for a in (anchors or [])]
    if directTask is not None:
        message["task"] = directTask
    message["tuple"] = list(tup)
    return message


def _spout_emit_message(tup, stream=None, id=None, directTask=None):
    message = {"command": "emit"}
    if id is not None:
        message["id"] = id
    if stream is not None:
        message["stream"] = stream
    if directTask is not None:
        message["task"] = directTask
    message["tuple"] = list(tup)
    return message


def ack(tup):
    sendMsgToParent({"command": "ack", "id": tup.id})


def fail(tup):
    sendMsgToParent({"command": "fail", "id": tup.id})


def reportError(msg):
    sendMsgToParent({"command": "error", "msg": msg})


def log(msg, level=2):
    sendMsgToParent({"command": "log", "msg": msg, "level": level})


def logTrace(msg):
    log(msg, 0)


def logDebug(msg):
    log(msg, 1)


def logInfo(msg):
    log(msg, 2)


def logWarn(msg):
    log(msg, 3)


def logError(msg):
    log(msg, 4)


def rpcMetrics(name, params):
    sendMsgToParent({"command": "metrics", "name": name, "params": params})


def initComponent():
    """Read the handshake, write the pid file, answer with the pid; return [conf, context]."""
    setup_info = readMsg()
    sendpid(setup_info["pidDir"])
    return [setup_info["conf"], setup_info["context"]]


class Bolt:
    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def run(self):
        global MODE
        MODE = Bolt
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                tup = readTuple()
                if tup.is_heartbeat_tuple():
                    sync()
                else:
                    self.process(tup)
        except StormWentAwayError:
            return  # the engine closed the pipe: nobody is left to report to
        except Exception:
            reportError(traceback.format_exc())


class BasicBolt:
    def initialize(self, stormconf, context):
        pass

    def process(self, tuple):
        pass

    def run(self):
        global MODE, ANCHOR_TUPLE
        MODE = Bolt
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                tup = readTuple()
                if tup.is_heartbeat_tuple():
                    sync()
                    continue
                ANCHOR_TUPLE = tup
                try:
                    self.process(tup)
                    ack(tup)
                except Exception:
                    reportError(traceback.format_exc())
                    fail(tup)
        except StormWentAwayError:
            return  # the engine closed the pipe: nobody is left to report to
        except Exception:
            reportError(traceback.format_exc())


class Spout:
    def initialize(self, conf, context):
        pass

    def ack(self, id):
        pass

    def fail(self, id):
        pass

    def nextTuple(self):
        pass

    def activate(self):
        pass

    def deactivate(self):
        pass

    def run(self):
        global MODE
        MODE = Spout
        conf, context = initComponent()
        try:
            self.initialize(conf, context)
            while True:
                msg = readCommand()
                command = msg["command"]
                if command == "next":
                    self.nextTuple()
                elif command == "ack":
                    self.ack(msg["id"])
                elif command == "fail":
                    self.fail(msg["id"])
                elif command == "activate":
                    self.activate()
                elif command == "deactivate":
                    self.deactivate()
                sync()
        except StormWentAwayError:
            return  # the engine closed the pipe: nobody is left to report to
        except Exception:
            reportError(traceback.format_exc())
