"""Bolt: a component that processes tuples pushed by the engine."""

from .component import Component
from .tuple import Tuple


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
        if anchors is None:
            anchors = self._current_tups if self.auto_anchor else []
        return super().emit(tup, stream=stream, anchors=anchors, direct_task=direct_task,
                            need_task_ids=need_task_ids)

    def ack(self, tup):
        self.send_message({"command": "ack", "id": _tuple_id(tup)})

    def fail(self, tup):
        self.send_message({"command": "fail", "id": _tuple_id(tup)})

    def _serve_one(self):
        tup = self.read_tuple()
        self._current_tups = [tup]
        if self.is_heartbeat(tup):
            self.send_message({"command": "sync"})
        elif self.is_tick(tup):
            self.process_tick(tup)
            if self.auto_ack:
                self.ack(tup)
        else:
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
