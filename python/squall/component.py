"""What every Python spout and bolt shares: handshake, emit, logging, errors, run loop."""

import logging
import os
import signal
import sys
import traceback

from .channel import Channel
from .debugger import install_remote_pdb_handler
from .errors import ProtocolError, StormWentAwayError
from .logs import configure_logging, install_early_handler, storm_level
from .serializers import SERIALIZER_ENV_VAR, choose_serializer_name, create_serializer
from .stdio import PrintToLog, detach_protocol_pipes
from .tuple import Tuple, TupleDecoder

log = logging.getLogger(__name__)

# Exit statuses, as pystorm uses them.
EXIT_AFTER_EXCEPTION = 1
EXIT_ENGINE_WENT_AWAY = 2


class Component:
    """Base class for spouts and bolts: one instance per child process.

    Subclasses implement ``initialize`` and the spout/bolt callbacks; the process
    calls ``run()``, which is its whole main: handshake, ``initialize``, then serve
    messages until the engine goes away.  ``emit``, ``log``, ``ack`` and friends
    may be called from any thread.

    Class attributes:

    * ``serializer`` - "json" or "msgpack"; None (default) follows the engine
      (``SQUALL_SERIALIZER``), else JSON.  ``SQUALL_SERIALIZER``, set by the engine,
      overrides a class attribute (with a warning); pystorm's constructor argument
      ``serializer=`` is kept, and a mismatch with the engine is an error.
    * ``exit_on_exception`` - after an unhandled exception is reported to the
      engine, exit with status 1 (True, default) or keep serving (False).

    Available after the handshake: ``storm_conf``, ``context``, ``topology_name``,
    ``task_id``, ``component_name``, ``debug``, ``pid``, ``logger``.
    """

    serializer = None
    exit_on_exception = True

    def __init__(self, input_stream=None, output_stream=None, rdb_signal=signal.SIGUSR1,
                 serializer=None):
        """``input_stream``/``output_stream`` default to the process's stdin/stdout,
        which ``run()`` then moves out of reach of user code (see ``squall.stdio``)."""
        requested = serializer if serializer is not None else type(self).serializer
        # From here on, self.serializer is the resolved wire format name.
        self.serializer, self._overridden_serializer = choose_serializer_name(requested)
        # pystorm's serializer= argument is the component's own choice: kept, and checked
        # against the engine's at the handshake (a class attribute follows the engine).
        self._mismatch = None
        if serializer is not None and self._overridden_serializer:
            self._mismatch = (self._overridden_serializer, self.serializer)
            self.serializer = self._overridden_serializer
            self._overridden_serializer = None
        if self.serializer == "msgpack":
            from .serializers.msgpack_serializer import require_msgpack

            require_msgpack()  # fail at start-up, not at the handshake
        self._input_stream = input_stream
        self._output_stream = output_stream
        self._channel = None
        self._storm_handler = None
        self._tuple_decoder = TupleDecoder()
        self.topology_name = None
        self.task_id = None
        self.component_name = None
        self.debug = None
        self.storm_conf = None
        self.context = None
        self.pid = os.getpid()
        self.logger = logging.getLogger("squall.component")
        install_remote_pdb_handler(rdb_signal)

    # ----- callbacks for subclasses

    def initialize(self, storm_conf, context):
        """Called once after the handshake, before the first tuple or command."""

    @staticmethod
    def is_heartbeat(tup):
        return tup.task == -1 and tup.stream == "__heartbeat"

    # ----- talking to the engine

    def send_message(self, message):
        if not isinstance(message, dict):
            raise TypeError("multilang messages are dicts, got {!r}".format(message))
        self._channel.send(message)

    def read_message(self):
        """Next message of any kind (normally you want read_command/read_tuple)."""
        return self._channel.read_raw()

    def read_command(self):
        return self._channel.read_command()

    def read_task_ids(self):
        return self._channel.read_task_ids()

    def read_tuple(self):
        return self._tuple_decoder.decode(self.read_command())

    def read_handshake(self):
        """Read {conf, pidDir, context}; create the pid file; answer {"pid": N}."""
        message = self._channel.read_raw()
        if not isinstance(message, dict) or "pidDir" not in message:
            raise ProtocolError(
                "the first message from the engine is not a handshake: {!r}. Do the engine "
                "and this component use the same serializer? This component uses {!r} "
                "(class attribute 'serializer', or {} from the engine).".format(
                    message, self.serializer, SERIALIZER_ENV_VAR
                )
            )
        # The supervisor signals every pid named in this directory when it stops the
        # worker, so the file must exist before we claim to be running.
        open(os.path.join(message["pidDir"], str(self.pid)), "w").close()
        self.send_message({"pid": self.pid})
        return message.get("conf") or {}, message.get("context") or {}

    def emit(self, tup, tup_id=None, stream=None, anchors=None, direct_task=None,
             need_task_ids=False):
        """Send an ``emit`` command; return the receiving task ids if ``need_task_ids``.

        ``need_task_ids`` defaults to False (Storm's own default is True) because
        waiting for the reply costs a round trip per emit.  A direct emit returns
        ``[direct_task]`` without waiting: the engine never answers those.
        """
        message = _emit_message(tup, tup_id, stream, anchors, direct_task, need_task_ids)
        if need_task_ids and direct_task is None:
            return self._channel.send_expecting_task_ids(message)
        self._channel.send(message, deferrable=True)
        return [direct_task] if need_task_ids else None

    def emit_many(self, tuples, tup_ids=None, **emit_kwargs):
        """``emit`` each of ``tuples`` (spouts may pass one ``tup_ids`` entry per tuple).

        Unless task ids are wanted, the messages leave in one write (see ``batch``)."""
        tuples = list(tuples)
        if tup_ids is not None and len(tup_ids) != len(tuples):
            raise ValueError("emit_many needs one tup_id per tuple")
        if emit_kwargs.get("need_task_ids"):
            results = []
            for index, tup in enumerate(tuples):
                if tup_ids is not None:
                    emit_kwargs["tup_id"] = tup_ids[index]
                results.append(self.emit(tup, **emit_kwargs))
            return results
        with self._channel.batch():
            for index, tup in enumerate(tuples):
                if tup_ids is not None:
                    emit_kwargs["tup_id"] = tup_ids[index]
                self.emit(tup, **emit_kwargs)
        return None

    def batch(self):
        """``with self.batch():`` - messages sent inside (emits, acks, logs) are written
        together when the block ends instead of one write each; an emit that waits for
        task ids flushes first.  Other threads' messages wait until the block ends."""
        return self._channel.batch()

    def log(self, message, level=None):
        """Send ``message`` to the engine's log, unfiltered.  ``level``: trace, debug,
        info (default), warn or error, or Storm's number 0-4.  Prefer ``self.logger``,
        which filters on the Python side."""
        self.send_message({"command": "log", "msg": str(message), "level": storm_level(level)})

    def report_metric(self, name, value):
        self.send_message({"command": "metrics", "name": name, "params": value})

    def report_error(self, error):
        """Show ``error`` (text, or an exception with its traceback) as a component error."""
        if isinstance(error, BaseException):
            error = _format_exception(error)
        self.send_message({"command": "error", "msg": str(error)})

    def raise_exception(self, exception, tup=None):
        """Report ``exception`` with its full traceback, then ``sync`` (pystorm's order)."""
        if tup:
            header = "Python {} raised while processing Tuple {!r}".format(
                type(exception).__name__, tup
            )
        else:
            header = "Python {} raised".format(type(exception).__name__)
        self.report_error("{}\n{}".format(header, _format_exception(exception)))
        self.send_message({"command": "sync"})

    # ----- the process main

    def run(self):
        """Serve the engine until it goes away; exits the process, never returns.

        Exit status: 1 after an unhandled exception has been reported (when
        ``exit_on_exception``), 2 when the engine closed the pipe.
        """
        sys.exit(self._serve())

    def _serve(self):
        self._storm_handler = install_early_handler()
        if self._mismatch:
            ours, engine = self._mismatch
            sys.stderr.write(
                "squall: serializer mismatch: this component speaks {} (serializer= in its "
                "code) but the engine speaks {} (topology.multilang.serializer, passed as {}); "
                "make them the same\n".format(ours, engine, SERIALIZER_ENV_VAR))
            sys.stderr.flush()
            return EXIT_AFTER_EXCEPTION
        self._connect()
        try:
            storm_conf, context = self.read_handshake()
            self._setup_component(storm_conf, context)
        except StormWentAwayError:
            return EXIT_ENGINE_WENT_AWAY
        except ProtocolError as exc:
            sys.stderr.write("squall: {}\n".format(exc))
            return EXIT_AFTER_EXCEPTION

        try:
            self.initialize(storm_conf, context)
            self._on_initialized()
        except StormWentAwayError:
            return EXIT_ENGINE_WENT_AWAY
        except Exception as exc:
            return self._report_unhandled(exc, "initialize") or EXIT_AFTER_EXCEPTION

        while True:
            try:
                self._serve_one()
            except StormWentAwayError:
                log.info("exiting because the engine closed the pipe")
                return EXIT_ENGINE_WENT_AWAY
            except Exception as exc:
                status = self._report_unhandled(exc, "run")
                if status is not None:
                    return status
                if self.exit_on_exception:
                    return EXIT_AFTER_EXCEPTION

    def _report_unhandled(self, exc, where):
        """Log and report ``exc``; return an exit status if reporting found the engine gone."""
        exc_info = (type(exc), exc, exc.__traceback__)
        try:
            self.logger.error("Exception in %s.%s()", type(self).__name__, where,
                              exc_info=exc_info)
            self._handle_run_exception(exc)
        except StormWentAwayError:
            return EXIT_ENGINE_WENT_AWAY
        except Exception:
            # Reporting failed too: stderr is the last place the engine looks.
            traceback.print_exception(*exc_info)
            traceback.print_exc()
        return None

    def _connect(self):
        if self._input_stream is None and self._output_stream is None:
            protocol_in, protocol_out = detach_protocol_pipes()
            sys.stdout = PrintToLog()
        else:
            protocol_in = _binary(self._input_stream or sys.stdin)
            protocol_out = _binary(self._output_stream or sys.stdout)
        self._channel = Channel(create_serializer(self.serializer, protocol_in, protocol_out))

    def _setup_component(self, storm_conf, context):
        self.storm_conf = storm_conf
        self.context = context
        self.topology_name = storm_conf.get("topology.name", "")
        self.task_id = context.get("taskid", "")
        self.component_name = context.get("componentid")
        if self.component_name is None:
            self.component_name = context.get("task->component", {}).get(str(self.task_id), "")
        self.debug = bool(storm_conf.get("topology.debug", False))
        self._tuple_decoder = TupleDecoder(context)
        names = {
            "topology_name": self.topology_name,
            "component_name": self.component_name,
            "task_id": self.task_id,
            "pid": self.pid,
        }
        self.logger = configure_logging(self._storm_handler, self._channel, storm_conf, names)
        if self._overridden_serializer:
            self.logger.warning(
                "serializer %r asked for by the code was replaced by %r from %s",
                self._overridden_serializer, self.serializer, SERIALIZER_ENV_VAR,
            )

    def _on_initialized(self):
        """Hook run right after ``initialize`` (TicklessBatchingBolt starts its timer)."""

    def _serve_one(self):
        """Handle one tuple or command; implemented by Spout and Bolt."""
        raise NotImplementedError

    def _handle_run_exception(self, exc):
        """Report an unhandled exception; subclasses also fail what they were working on."""
        self.raise_exception(exc)


def _emit_message(tup, tup_id, stream, anchors, direct_task, need_task_ids):
    if not isinstance(tup, (list, tuple)):
        raise TypeError("emit needs a list or tuple of values, got {!r}".format(type(tup)))
    message = {"command": "emit", "tuple": list(tup)}
    if anchors is not None:
        message["anchors"] = [a.id if isinstance(a, Tuple) else a for a in anchors]
    if tup_id is not None:
        message["id"] = tup_id
    if stream is not None:
        message["stream"] = stream
    if direct_task is not None:
        message["task"] = direct_task
    if not need_task_ids:
        message["need_task_ids"] = False  # Storm's default is True; only say it when false
    return message


def _format_exception(exc):
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _binary(stream):
    return getattr(stream, "buffer", stream)
