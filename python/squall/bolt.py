"""Bolt: a component that processes tuples pushed by the engine."""

from .component import Component
from .tuple import Tuple

# The anchors of an emit when auto_anchor is off: one object, so the channel's cache of
# encoded emit prefixes (Channel.send_emit) keeps hitting.
_NO_ANCHORS = ()


class Bolt(Component):
    """Base class for Python bolts (pystorm's ``Bolt``).

    Implement ``process(tup)``, and ``process_tick(tup)`` for tick tuples
    (``topology.tick.tuple.freq.secs``).  Heartbeats are answered with ``sync``
    without reaching user code.

    Class attributes, all True by default:

    * ``auto_anchor`` - emits without ``anchors`` are anchored to the tuple being processed;
    * ``auto_ack`` - a tuple (tick tuples included) is acked when its callback returns;
    * ``auto_fail`` - a tuple whose callback raises is failed, after the error is reported.
    """

    auto_anchor = True
    auto_ack = True
    auto_fail = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The tuples an auto-anchored emit refers to, and an unhandled exception fails.
        self._current_tups = []
        self._anchor_ids_of = None  # the _current_tups list that _anchor_ids belongs to
        self._anchor_ids = []

    @classmethod
    def spec(cls, name=None, inputs=None, par=None, config=None):
        """This bolt as a component of a ``squall.dsl.Topology`` (streamparse's ``spec``).

        Output streams come from the class attribute ``outputs``: field names for the
        default stream, or ``squall.dsl.Stream`` objects. ``par`` and ``config`` default to
        the class attributes of the same name."""
        from .dsl.component import BOLT, python_spec

        return python_spec(cls, BOLT, name=name, inputs=inputs, par=par, config=config)

    @staticmethod
    def is_tick(tup):
        return tup.component == "__system" and tup.stream == "__tick"

    def process(self, tup):
        raise NotImplementedError("{} must implement process(tup)".format(type(self).__name__))

    def process_tick(self, tup):
        """Called for each tick tuple; ignores it unless overridden."""

    def emit(self, tup, stream=None, anchors=None, direct_task=None, need_task_ids=False):
        """Emit ``tup``; ``anchors`` (Tuples or ids) default to the current tuple
        when ``auto_anchor`` is set, else to none."""
        if anchors is None and direct_task is None and not need_task_ids:
            # The common case, kept short: this is the per-word cost of a splitter.
            if type(tup) is not list:
                if not isinstance(tup, tuple):
                    raise TypeError(
                        "emit needs a list or tuple of values, got {!r}".format(type(tup)))
                tup = list(tup)
            if not self.auto_anchor:
                anchor_ids = _NO_ANCHORS
            elif self._current_tups is self._anchor_ids_of:
                anchor_ids = self._anchor_ids
            else:
                anchor_ids = self._auto_anchor_ids()
            self._channel.send_emit(tup, anchor_ids, stream)
            return None
        if anchors is None:
            anchors = self._current_tups if self.auto_anchor else []
        return super().emit(tup, stream=stream, anchors=anchors, direct_task=direct_task,
                            need_task_ids=need_task_ids)

    def _auto_anchor_ids(self):
        """Ids of the current tuples, computed once per list of current tuples."""
        current = self._current_tups
        if current is not self._anchor_ids_of:
            self._anchor_ids_of = current
            self._anchor_ids = [t.id if isinstance(t, Tuple) else t for t in current]
        return self._anchor_ids

    def ack(self, tup):
        self._channel.send_deferrable({"command": "ack", "id": _tuple_id(tup)})

    def fail(self, tup):
        self._channel.send_deferrable({"command": "fail", "id": _tuple_id(tup)})

    def _serve_one(self):
        tup = self.read_tuple()
        self._current_tups = [tup]
        if self.is_heartbeat(tup):
            self.send_message({"command": "sync"})
        elif self.is_tick(tup):
            with self._channel.deferring():
                self.process_tick(tup)
                if self.auto_ack:
                    self.ack(tup)
        else:
            # The tuple's emits and its ack leave in one write when it is done.
            with self._channel.deferring():
                self.process(tup)
                if self.auto_ack:
                    self.ack(tup)
        # Cleared only on success: after an exception these are the tuples to fail.
        self._current_tups = []

    def _handle_run_exception(self, exc):
        failing = [t for t in self._current_tups if not self.is_heartbeat(t)]
        self.raise_exception(exc, failing[0] if len(failing) == 1 else failing or None)
        if self.auto_fail:
            for tup in failing:
                self.fail(tup)
        self._current_tups = []


def _tuple_id(tup):
    return tup.id if isinstance(tup, Tuple) else tup
