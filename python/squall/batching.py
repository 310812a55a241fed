"""Bolts that process tuples in batches, grouped by key."""

import logging
import os
import threading

from .bolt import Bolt
from .component import EXIT_AFTER_EXCEPTION


class BatchingBolt(Bolt):
    """Collects tuples into batches and processes them every few tick tuples.

    Implement ``process_batch(key, tups)``; override ``group_key(tup)`` to split
    batches (default: one batch).  Batches are processed, in order of first
    appearance of their key, every ``ticks_between_batches`` tick tuples, so the
    component needs ``topology.tick.tuple.freq.secs``.  (pystorm waits one tick
    more than its documentation says; this class does what the documentation says.)

    Reliability: a tick is acked when it arrives.  With ``auto_ack`` each tuple is
    acked after its batch's ``process_batch`` returns; with ``auto_fail`` a batch
    that raises is failed - and so is every pending batch when the process is about
    to exit.  Emits default to anchoring on the whole batch and never wait for task
    ids.  Do not override ``process`` or ``process_tick``.
    """

    ticks_between_batches = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._batches = {}  # key -> tuples, in order of first appearance
        self._tick_counter = 0
        self._current_key = None

    def group_key(self, tup):
        """The batch ``tup`` belongs to; any hashable value."""
        return None

    def process_batch(self, key, tups):
        raise NotImplementedError(
            "{} must implement process_batch(key, tups)".format(type(self).__name__)
        )

    def emit(self, tup, stream=None, anchors=None, direct_task=None, need_task_ids=False):
        """As ``Bolt.emit``, but never waits for task ids and returns None."""
        super().emit(tup, stream=stream, anchors=anchors, direct_task=direct_task,
                     need_task_ids=False)

    def process(self, tup):
        self._batches.setdefault(self.group_key(tup), []).append(tup)

    def process_tick(self, tick_tup):
        # The tick only drives the counter; ack it now so a failing batch cannot fail it.
        self.ack(tick_tup)
        self._current_tups = []
        self._tick_counter += 1
        if self._tick_counter >= self.ticks_between_batches:
            self._tick_counter = 0
            self.process_batches()

    def process_batches(self):
        """Run ``process_batch`` on every pending batch, acking each as it succeeds."""
        for key in list(self._batches):
            batch = self._batches[key]
            self._current_key = key
            self._current_tups = batch
            self.process_batch(key, batch)
            if self.auto_ack:
                for tup in batch:
                    self.ack(tup)
            del self._batches[key]
        self._current_key = None
        self._current_tups = []

    def _serve_one(self):
        tup = self.read_tuple()
        self._current_tups = [tup]
        self._dispatch(tup)
        self._current_tups = []

    def _dispatch(self, tup):
        if self.is_heartbeat(tup):
            self.send_message({"command": "sync"})
        elif self.is_tick(tup):
            self.process_tick(tup)
        else:
            self.process(tup)

    def _handle_run_exception(self, exc):
        current = [t for t in self._current_tups if not self.is_heartbeat(t)]
        self.raise_exception(exc, current)
        if self.auto_fail:
            failing = list(current)
            if self.exit_on_exception:
                # Nobody will ever process the other batches: let the spouts replay them.
                for batch in self._batches.values():
                    failing.extend(batch)
                self._batches.clear()
            else:
                self._batches.pop(self._current_key, None)
            failed_ids = set()
            for tup in failing:
                if tup.id not in failed_ids:
                    failed_ids.add(tup.id)
                    self.fail(tup)
        self._current_key = None
        self._current_tups = []


class TicklessBatchingBolt(BatchingBolt):
    """A BatchingBolt driven by a timer thread every ``secs_between_batches`` seconds
    (fractions allowed) instead of tick tuples; ticks, if any, are just acked.

    Threads: the timer thread starts after ``initialize`` and runs ``process_batch``;
    one lock keeps it and the main thread's tuple handling apart.  If a batch raises,
    the timer thread reports it and, with ``exit_on_exception``, ends the process
    with status 1 (the main thread may be blocked reading, so it cannot do it).
    """

    secs_between_batches = 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._batch_lock = threading.RLock()
        self._stop_timer = threading.Event()

    def process_tick(self, tick_tup):
        self.ack(tick_tup)

    def _on_initialized(self):
        name = "{}:batch-timer".format(type(self).__name__)
        threading.Thread(target=self._run_timer, name=name, daemon=True).start()

    def _serve_one(self):
        # Read outside the lock: blocking on the pipe must not stall the timer.
        tup = self.read_tuple()
        with self._batch_lock:
            self._current_tups = [tup]
            self._dispatch(tup)
            self._current_tups = []

    def _run_timer(self):
        while not self._stop_timer.wait(self.secs_between_batches):
            with self._batch_lock:
                try:
                    self.process_batches()
                except Exception as exc:
                    status = self._report_unhandled(exc, "process_batches")
                    if status is not None or self.exit_on_exception:
                        _flush_log_handlers()
                        os._exit(status or EXIT_AFTER_EXCEPTION)

    def _handle_run_exception(self, exc):
        with self._batch_lock:
            super()._handle_run_exception(exc)


def _flush_log_handlers():
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:
            pass
