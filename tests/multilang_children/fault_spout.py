"""A multilang spout speaking the protocol by hand (JSON or msgpack), misbehaving on request.

Usage: fault_spout.py MODE [TOTAL] [N]

Emits [i, pid] with message id i (an integer) for i in 0..TOTAL-1 (default 20), one per
`next`, re-emitting failed ids; after all are acked, emits ["done", pid] once, unreliably.
The first run of MODE misbehaves at the N-th `next` (default 3):

  good        never misbehaves
  crash       exits with status 4 after a line on stderr
  silent      never answers
  garbage     prints "garbage" to stdout
  ack         sends a bolt command ("ack") to the engine
  storm_ids   (not a fault) asks for task ids after every emit, as storm.py does, and
              reads the reply before syncing

FAULT_MARKER names the file that marks the first run as done.
"""

import os
import signal
import sys
import time

from wire import handshake, read, send, send_raw


def main():
    mode = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    marker = os.environ.get("FAULT_MARKER")
    if marker:
        if os.path.exists(marker):
            mode = "good" if mode != "storm_ids" else mode
        else:
            open(marker, "w").close()
    setup, pid = handshake()

    todo = list(range(total))
    todo.reverse()
    acked = set()
    done_sent = False
    nexts = 0
    pending_commands = []

    def next_command():
        if pending_commands:
            return pending_commands.pop(0)
        return read()

    while True:
        cmd = next_command()
        if isinstance(cmd, list):
            continue  # a task-id list nobody waited for
        name = cmd["command"]
        if name == "next":
            nexts += 1
            if nexts == n:
                if mode == "crash":
                    sys.stderr.write("spout going down on purpose\n")
                    sys.stderr.flush()
                    os._exit(4)
                elif mode == "silent":
                    while True:  # silent: blocked until the engine kills us
                        signal.pause()
                elif mode == "garbage":
                    send_raw(b"garbage\n")
                elif mode == "ack":
                    send({"command": "ack", "id": "1"})
            if todo:
                i = todo.pop()
                if mode == "storm_ids":
                    send({"command": "emit", "tuple": [i, pid], "id": i})
                    while True:
                        reply = read()
                        if isinstance(reply, list):
                            break
                        pending_commands.append(reply)  # e.g. an ack sent meanwhile
                else:
                    send({"command": "emit", "tuple": [i, pid], "id": i, "need_task_ids": False})
            elif len(acked) == total and not done_sent:
                done_sent = True
                send({"command": "emit", "tuple": ["done", pid], "need_task_ids": False})
            else:
                time.sleep(0.001)
        elif name == "ack":
            if not isinstance(cmd["id"], int):
                send({"command": "error", "msg": "message id came back as %r" % (cmd["id"],)})
            acked.add(cmd["id"])
        elif name == "fail":
            if cmd["id"] not in acked:
                todo.append(cmd["id"])
        send({"command": "sync"})


if __name__ == "__main__":
    main()
