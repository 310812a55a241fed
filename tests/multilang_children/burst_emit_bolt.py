"""A bolt that emits without waiting for each task-id reply, as Storm's storm.js does: for each
tuple [x] it writes BURST_EMITS emits of [x] in one write, then reads that many replies (tuples
that come first wait their turn) and acks. A reply that is not a list of integer task ids ends
the child with an error. By hand-written protocol (JSON or msgpack)."""

import os
import sys

from wire import encode, handshake, out, read, send

BURST = int(os.environ.get("BURST_EMITS", "40"))

handshake()
pending = []
while True:
    tup = pending.pop(0) if pending else read()
    if isinstance(tup, list):
        sys.exit("task ids came when no emit waited for them: %r" % (tup[:10],))
    if tup.get("stream") == "__heartbeat":
        send({"command": "sync"})
        continue
    emit = {"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0]]}
    out.write(b"".join(encode(emit) for _ in range(BURST)))
    out.flush()
    replies = 0
    while replies < BURST:
        reply = read()
        if not isinstance(reply, list):
            pending.append(reply)
            continue
        if not all(isinstance(t, int) for t in reply):
            sys.exit("task ids that are not integers: %r" % (reply[:10],))
        replies += 1
    send({"command": "ack", "id": tup["id"]})
