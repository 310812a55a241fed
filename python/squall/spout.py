"""Spout: a component the engine asks for tuples, one command at a time."""

from collections import Counter

from .component import Component


class Spout(Component):
    """Base class for Python spouts (pystorm's ``Spout``).

    The engine sends ``next``, ``ack``, ``fail``, ``activate`` or ``deactivate`` and
    waits; the matching method runs and ``sync`` is sent after it returns.  Implement
    ``next_tuple()`` (must not block: return without emitting when idle) and
    optionally ``ack``, ``fail``, ``activate``, ``deactivate``.
    """

    @classmethod
    def spec(cls, name=None, par=None, config=None):
        """This spout as a component of a ``squall.dsl.Topology`` (streamparse's ``spec``);
        see ``Bolt.spec``."""
        from .dsl.component import SPOUT, python_spec

        return python_spec(cls, SPOUT, name=name, par=par, config=config)

    def next_tuple(self):
        raise NotImplementedError("{} must implement next_tuple()".format(type(self).__name__))

    def ack(self, tup_id):
        """The tuple tree emitted with ``tup_id`` was fully processed."""

    def fail(self, tup_id):
        """The tuple tree emitted with ``tup_id`` failed or timed out."""

    def activate(self):
        """The topology (re)became active; ``next`` commands follow."""

    def deactivate(self):
        """The topology was deactivated; no ``next`` until the next ``activate``."""

    def emit(self, tup, tup_id=None, stream=None, direct_task=None, need_task_ids=False):
        """Emit ``tup``; without ``tup_id`` the tuple is not tracked (unreliable)."""
        return super().emit(tup, tup_id=tup_id, stream=stream, direct_task=direct_task,
                            need_task_ids=need_task_ids)

    def _serve_one(self):
        command = self.read_command()
        # The engine waits for the sync after every command; the command's emits leave with it.
        with self._channel.deferring():
            self._dispatch(command)
            self._channel.send({"command": "sync"}, True)

    def _dispatch(self, command):
        name = command.get("command")
        if name == "next":
            self.next_tuple()
        elif name == "ack":
            self.ack(command.get("id"))
        elif name == "fail":
            self.fail(command.get("id"))
        elif name == "activate":
            self.activate()
        elif name == "deactivate":
            self.deactivate()
        else:
            self.logger.error("unknown command from the engine: %r", command)


class ReliableSpout(Spout):
    """A spout that re-emits a failed tuple up to ``max_fails`` times, then gives up
    on it (logs and treats it as acked).  Every emit needs a ``tup_id``."""

    max_fails = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed_tuples = Counter()
        self.unacked_tuples = {}

    def emit(self, tup, tup_id=None, stream=None, direct_task=None, need_task_ids=False):
        if tup_id is None:
            raise ValueError("ReliableSpout needs a tup_id for every emit to replay it")
        self.unacked_tuples[tup_id] = (tup, stream, direct_task, need_task_ids)
        return super().emit(tup, tup_id=tup_id, stream=stream, direct_task=direct_task,
                            need_task_ids=need_task_ids)

    def ack(self, tup_id):
        self.failed_tuples.pop(tup_id, None)
        if self.unacked_tuples.pop(tup_id, None) is None:
            self.logger.error("ack for unknown tuple id %r", tup_id)

    def fail(self, tup_id):
        saved = self.unacked_tuples.get(tup_id)
        if saved is None:
            self.logger.error("fail for unknown tuple id %r", tup_id)
            return
        if self.failed_tuples[tup_id] < self.max_fails:
            self.failed_tuples[tup_id] += 1
            tup, stream, direct_task, need_task_ids = saved
            self.emit(tup, tup_id=tup_id, stream=stream, direct_task=direct_task,
                      need_task_ids=need_task_ids)
        else:
            self.logger.info("giving up on tuple %r after %d failures", tup_id, self.max_fails)
            self.ack(tup_id)
