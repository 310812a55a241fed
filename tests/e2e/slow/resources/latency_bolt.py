"""A bolt written against Storm's multilang protocol directly: for each tuple
[n, emitted_at] it logs how long the tuple took to arrive, then acks it."""

import json
import os
import sys
import time


def read_message():
    lines = []
    while True:
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)
        if line == "end\n":
            return json.loads("".join(lines))
        lines.append(line)


def send(message):
    sys.stdout.write(json.dumps(message) + "\nend\n")
    sys.stdout.flush()


def main():
    setup = read_message()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    send({"pid": pid})
    while True:
        tup = read_message()
        if isinstance(tup, list):
            continue  # task ids (we never emit)
        if tup.get("stream") == "__heartbeat":
            send({"command": "sync"})
            continue
        n, emitted_at = tup["tuple"]
        delay_ms = (time.time() - emitted_at) * 1000.0
        send({"command": "log", "msg": "latency bolt got {} after {:.1f} ms".format(n, delay_ms)})
        send({"command": "ack", "id": tup["id"]})


if __name__ == "__main__":
    main()
