"""Streams its output, as a splitting bolt does: for each tuple [x] it emits 40 words
[x-0] .. [x-39] anchored to the tuple, each in its own write after 100 µs of work (a busy
loop: what a bolt does between emits), then acks. Never asks for task
ids ("need_task_ids": false: without it Storm's protocol replies with them). Heartbeats: sync. By hand-written protocol (JSON or msgpack)."""

import time

from wire import handshake, read, send


def work(seconds):
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


handshake()
while True:
    tup = read()
    if tup["stream"] == "__heartbeat":
        send({"command": "sync"})
        continue
    x = tup["tuple"][0]
    for i in range(40):
        work(100e-6)
        send({"command": "emit", "anchors": [tup["id"]], "tuple": ["%s-%d" % (x, i)],
              "need_task_ids": False})
    send({"command": "ack", "id": tup["id"]})
