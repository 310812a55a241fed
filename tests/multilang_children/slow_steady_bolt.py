"""A bolt that acks every tuple, slowly and steadily (500 µs of work each), and reports how
the engine refills its in-flight window. Before each tuple it drains its stdin without
blocking and notes whether new tuples had come. Of its turns 1000 to 2000 after the window
was first full (100 received and not acked; the first turns may see the engine's start),
"turns refills" go to STATS_FILE. A window refilled from its low-water mark brings 25 tuples
at a time, so few turns find new ones; a window refilled per ack, nearly every turn.
JSON only, by hand-written protocol (its own reads: it must see the pipe empty)."""

import json
import os
import select
import sys
import time
from collections import deque

buf = bytearray()


def fill(block):
    """Reads what the pipe holds (waiting for it only if `block`); False when it held nothing."""
    if not block and not select.select([0], [], [], 0)[0]:
        return False
    chunk = os.read(0, 1 << 20)
    if not chunk:
        sys.exit(2)
    buf.extend(chunk)
    return True


def messages():
    out = []
    while True:
        i = buf.find(b"\nend\n")
        if i < 0:
            return out
        out.append(json.loads(bytes(buf[:i])))
        del buf[: i + 5]


def send(msg):
    sys.stdout.buffer.write(json.dumps(msg).encode() + b"\nend\n")
    sys.stdout.buffer.flush()


def report(turns, refills):
    path = os.environ["STATS_FILE"]
    with open(path + ".tmp", "w") as f:
        f.write("%d %d" % (turns, refills))
    os.rename(path + ".tmp", path)


while True:
    got = messages()
    if got:
        setup = got[0]
        break
    fill(True)
open(os.path.join(setup["pidDir"], str(os.getpid())), "w").close()
send({"pid": os.getpid()})

queue = deque()
received = acked = 0
window_full = False
turns = refills = 0
while True:
    while fill(False):
        pass
    before = received
    for m in messages():
        if m.get("stream") == "__heartbeat":
            send({"command": "sync"})
        else:
            queue.append(m)
            received += 1
    if not queue:
        fill(True)
        continue
    if window_full:
        turns += 1
        if 1000 < turns <= 2000:
            refills += received > before
        if turns == 2000:
            report(1000, refills)
    window_full = window_full or received - acked >= 100
    tup = queue.popleft()
    until = time.perf_counter() + 500e-6
    while time.perf_counter() < until:
        pass
    send({"command": "ack", "id": tup["id"]})
    acked += 1
