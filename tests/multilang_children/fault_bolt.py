"""A multilang bolt that speaks the protocol by hand and misbehaves on request.

Usage: fault_bolt.py MODE [N]

Normal behaviour: for each tuple [x] emit [x, pid] anchored to it, then ack it; answer
heartbeats with sync.  After N tuples (default 5) the first run of MODE does its fault:

  good            never misbehaves
  malformed       writes a message that is not valid JSON (or msgpack)
  unknown_command sends {"command": "explode"}
  unknown_ack     acks a tuple id that was never delivered
  anchor_after_ack  emits anchored to the tuple it has just acked (no longer in flight)
  no_command      sends a message without "command"
  crash           writes a traceback to stderr and exits with status 3
  silent          stops reading and writing (sleeps)
  garbage         prints "garbage" to stdout, bypassing the protocol
  flood_stderr    (not a fault) writes ~20 MB to stderr from a thread while working
  never_ack       emits but never acks or fails
  hold            (not a fault) never acks its first N tuples, acks the rest

"First run" is remembered with the file named by FAULT_MARKER (if set): once it exists the
child behaves, so a restarted child lets the topology finish.  The pid is written to
SQUALL_TEST_PID_FILE when that is set.
"""

import os
import signal
import sys
import threading

from wire import MALFORMED, handshake, read, send, send_raw


def main():
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    marker = os.environ.get("FAULT_MARKER")
    if marker:
        if os.path.exists(marker):
            mode = "good"
        else:
            open(marker, "w").close()

    setup, pid = handshake()
    pid_file = os.environ.get("SQUALL_TEST_PID_FILE")
    if pid_file:
        with open(pid_file + ".tmp", "w") as f:
            f.write(str(pid))
        os.rename(pid_file + ".tmp", pid_file)

    if mode == "flood_stderr":

        def flood():
            line = "x" * 199 + "\n"
            for _ in range(100000):
                sys.stderr.write(line)
            sys.stderr.flush()

        threading.Thread(target=flood, daemon=True).start()

    seen = 0
    while True:
        tup = read()
        if tup["stream"] == "__heartbeat":
            send({"command": "sync"})
            continue
        if seen == n:
            if mode == "malformed":
                send_raw(MALFORMED)
            elif mode == "unknown_command":
                send({"command": "explode"})
            elif mode == "unknown_ack":
                send({"command": "ack", "id": "12345"})
            elif mode == "no_command":
                send({"tuple": [1]})
            elif mode == "crash":
                sys.stderr.write("Traceback (most recent call last):\n  boom\nRuntimeError: crash on purpose\n")
                sys.stderr.flush()
                os._exit(3)
            elif mode == "silent":
                while True:  # silent: blocked until the engine kills us
                    signal.pause()
            elif mode == "garbage":
                send_raw(b"garbage\n")
        seen += 1
        if tup["stream"] == "__tick":
            send({"command": "ack", "id": tup["id"]})
            continue
        send({"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0], pid],
              "need_task_ids": False})
        if mode == "hold" and seen <= n:
            continue
        if mode != "never_ack":
            send({"command": "ack", "id": tup["id"]})
        if mode == "anchor_after_ack" and seen == n + 1:
            # The tuple just acked is no longer in flight, though the emit before the ack was
            # anchored to it: the engine must not take it from what it remembers of that emit.
            send({"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0], pid],
                  "need_task_ids": False})


if __name__ == "__main__":
    main()
