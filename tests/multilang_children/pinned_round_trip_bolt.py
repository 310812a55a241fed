"""A bolt that answers in round trips, as Storm's storm.py does: it waits for the task ids of
each emit before going on. It first pins itself to the CPU named by PIN_CPU, so a test knows
where it runs, and writes that CPU to PIN_CPU_FILE once pinned. For each tuple [x] it emits
[x] and acks. By hand-written protocol (JSON or msgpack)."""

from wire import pinned_handshake, read, send

pinned_handshake()

pending = []
while True:
    tup = pending.pop(0) if pending else read()
    if tup.get("stream") == "__heartbeat":
        send({"command": "sync"})
        continue
    send({"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0]]})
    while True:  # the task ids; a tuple that comes first waits its turn
        reply = read()
        if isinstance(reply, list):
            break
        pending.append(reply)
    send({"command": "ack", "id": tup["id"]})
