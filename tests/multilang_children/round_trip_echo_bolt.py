"""A bolt that answers in round trips, as Storm's storm.py does, for tuples of any size: for
each tuple [x] it emits [x], waits for the task ids of that emit and acks (serve_round_trips in
wire.py). A reply that is not a list of task ids, or a tuple that does not decode, ends the
child with an error: the test then sees a report and a restart. By hand-written protocol (JSON
or msgpack)."""

from wire import handshake, serve_round_trips

handshake()
serve_round_trips()
