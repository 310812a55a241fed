"""A bolt that emits without waiting for each task-id reply, as Storm's storm.js does: for each
tuple [x] it writes BURST_EMITS emits of [x] in one write, then reads that many replies (tuples
that come first wait their turn) and acks (serve_round_trips in wire.py). A reply that is not a
list of integer task ids ends the child with an error. By hand-written protocol (JSON or
msgpack)."""

import os

from wire import handshake, serve_round_trips

handshake()
serve_round_trips(burst=int(os.environ.get("BURST_EMITS", "40")))
