"""A multilang bolt that speaks the protocol by hand and misbehaves on request.

Usage: fault_bolt.py MODE [N]

Normal behaviour: for each tuple [x] emit [x, pid] anchored to it, then ack it; answer
heartbeats with sync.  After N tuples (default 5) the first run of MODE does its fault:

  good            never misbehaves
  malformed       writes a message that is not valid JSON (or msgpack)
  unknown_command sends {"command": "explode"}
  unknown_ack     acks a tuple id that was never delivered
  no_command      sends a message without "command"
  crash           writes a traceback to stderr and exits with status 3
  silent          stops reading and writing (sleeps)
  garbage         prints "garbage" to stdout, bypassing the protocol
  flood_stderr    (not a fault) writes ~20 MB to stderr from a thread while working
  never_ack       emits but never acks or fails

"First run" is remembered with the file named by FAULT_MARKER (if set): once it exists the
child behaves, so a restarted child lets the topology finish.  The pid is written to
SQUALL_TEST_PID_FILE when that is set.
"""

import json
import os
import sys
import threading
import time

SER = os.environ.get("SQUALL_SERIALIZER", "json")
inp = os.fdopen(0, "rb", buffering=0) if SER == "msgpack" else sys.stdin.buffer
out = sys.stdout.buffer

if SER == "msgpack":
    import msgpack

    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    packer = msgpack.Packer(use_bin_type=True)

    def read():
        while True:
            try:
                return next(unpacker)
            except StopIteration:
                pass
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(2)
            unpacker.feed(chunk)

    def send(msg):
        out.write(packer.pack(msg))
        out.flush()

    def send_raw_malformed():
        # 0xc1 is never used by msgpack
        out.write(b"\xc1\xc1\xc1")
        out.flush()

else:

    def read():
        lines = []
        while True:
            line = inp.readline()
            if not line:
                sys.exit(2)
            if line.rstrip(b"\r\n") == b"end":
                return json.loads(b"".join(lines))
            lines.append(line)

    def send(msg):
        out.write(json.dumps(msg).encode() + b"\nend\n")
        out.flush()

    def send_raw_malformed():
        out.write(b'{"command": "emit", "tuple": [1,\nend\n')
        out.flush()


def main():
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    marker = os.environ.get("FAULT_MARKER")
    if marker:
        if os.path.exists(marker):
            mode = "good"
        else:
            open(marker, "w").close()

    setup = read()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    send({"pid": pid})
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
                send_raw_malformed()
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
                while True:
                    time.sleep(60)
            elif mode == "garbage":
                out.write(b"garbage\n")
                out.flush()
        seen += 1
        if tup["stream"] == "__tick":
            send({"command": "ack", "id": tup["id"]})
            continue
        send({"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0], pid],
              "need_task_ids": False})
        if mode != "never_ack":
            send({"command": "ack", "id": tup["id"]})


if __name__ == "__main__":
    main()
