"""A slow spout written against Storm's multilang protocol directly (as Storm's own storm.py
and tester_spout.py are): each nextTuple sleeps, then emits one reliable tuple carrying its
emit time, waits for the task ids as storm.py does, and syncs. Acks, fails, activate and
deactivate are logged, so a test can see when they reached the child.

The sleep is SLOW_SPOUT_SLEEP seconds (default 0.15)."""

import json
import os
import sys
import time

SLEEP = float(os.environ.get("SLOW_SPOUT_SLEEP", "0.15"))


def read_message():
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)  # the engine closed our stdin
        if line == "end\n":
            return json.loads("".join(lines))
        lines.append(line)


def send(message):
    sys.stdout.write(json.dumps(message) + "\nend\n")
    sys.stdout.flush()


def log(text):
    send({"command": "log", "msg": text})


def main():
    setup = read_message()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    send({"pid": pid})
    count = 0
    while True:
        command = read_message()
        kind = command["command"]
        if kind == "next":
            time.sleep(SLEEP)
            send({"command": "emit", "id": str(count), "tuple": [count, time.time()]})
            read_message()  # the task ids (storm.py reads them before going on)
            count += 1
        elif kind == "ack":
            log("slow spout acked {}".format(command["id"]))
        elif kind == "fail":
            log("slow spout failed {}".format(command["id"]))
        else:  # activate, deactivate
            log("slow spout {}".format(kind))
        send({"command": "sync"})


if __name__ == "__main__":
    main()
