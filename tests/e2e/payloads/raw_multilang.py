"""A bare multilang spout that writes chosen bytes itself, to send what no well-behaved
serializer would (tests/e2e/test_payloads.py). JSON framing only for reading commands; what it
writes for `next` is up to the caller."""

import json
import os
import sys

OUT = sys.stdout.buffer
IN = sys.stdin.buffer


def read_json():
    lines = []
    while True:
        line = IN.readline()
        if not line:
            sys.exit(0)
        line = line.rstrip(b"\r\n")
        if line == b"end":
            return json.loads(b"\n".join(lines).decode("utf-8"))
        lines.append(line)


def write(data):
    OUT.write(data)
    OUT.flush()


def message(obj):
    return json.dumps(obj).encode("ascii") + b"\nend\n"


def handshake():
    setup = read_json()
    open(os.path.join(setup["pidDir"], str(os.getpid())), "w").close()
    write(message({"pid": os.getpid()}))


def log(text):
    write(message({"command": "log", "msg": text}))


def serve(on_next):
    """Answers every command: `next` calls on_next(count) for the bytes to write first."""
    handshake()
    count = 0
    while True:
        command = read_json()
        if isinstance(command, list):
            continue  # task ids of an emit
        name = command.get("command")
        if name == "next":
            write(on_next(count))
            count += 1
        elif name in ("ack", "fail"):
            log("spout {} {}".format("acked" if name == "ack" else "failed", command["id"]))
        write(message({"command": "sync"}))
