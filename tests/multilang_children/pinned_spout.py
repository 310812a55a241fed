"""A spout pinned to the CPU named by PIN_CPU, so a test knows where it runs; it writes that CPU
to PIN_CPU_FILE once pinned. Usage: pinned_spout.py busy|idle. Busy, each `next` emits [i]
with message id i and reads its task ids (as storm.py does), as fast as it is asked; idle, it emits nothing and writes how many `next`
commands it has answered to NEXT_COUNT_FILE every 10 of them. By hand-written protocol (JSON or
msgpack)."""

import os
import sys

from wire import pinned_handshake, read, send

busy = sys.argv[1] == "busy"
pinned_handshake()

i = 0
nexts = 0
while True:
    msg = read()
    if msg.get("command") == "next":
        if busy:
            send({"command": "emit", "id": i, "tuple": [i]})
            i += 1
            read()  # the task ids, as storm.py waits for them
        else:
            nexts += 1
            if nexts % 10 == 0:
                path = os.environ["NEXT_COUNT_FILE"]
                with open(path + ".tmp", "w") as f:
                    f.write(str(nexts))
                os.rename(path + ".tmp", path)
    send({"command": "sync"})
