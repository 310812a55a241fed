"""A bolt that answers in round trips, as Storm's storm.py does, for tuples of any size: for
each tuple [x] it emits [x], waits for the task ids of that emit (tuples that come first wait
their turn) and acks. A reply that is not a list of task ids, or a tuple that does not decode,
ends the child with an error: the test then sees a report and a restart. By hand-written
protocol (JSON or msgpack)."""

import sys

from wire import handshake, read, send

handshake()
pending = []
while True:
    tup = pending.pop(0) if pending else read()
    if isinstance(tup, list):
        sys.exit("task ids came when no emit waited for them: %r" % (tup[:10],))
    if tup.get("stream") == "__heartbeat":
        send({"command": "sync"})
        continue
    send({"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0]]})
    while True:
        reply = read()
        if isinstance(reply, list):
            if not all(isinstance(t, int) for t in reply):
                sys.exit("task ids that are not integers: %r" % (reply[:10],))
            break
        pending.append(reply)
    send({"command": "ack", "id": tup["id"]})
