"""Speaks msgpack and, on the first `next`, writes a str32 header claiming 2 GB, then waits:
the engine must refuse it at once, not after the heartbeat timeout."""

import os
import sys
import time

import msgpack

OUT = sys.stdout.buffer
unpacker = msgpack.Unpacker(raw=False)


def read():
    while True:
        try:
            return next(unpacker)
        except StopIteration:
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(0)
            unpacker.feed(chunk)


def write(obj):
    OUT.write(msgpack.packb(obj, use_bin_type=True))
    OUT.flush()


setup = read()
open(os.path.join(setup["pidDir"], str(os.getpid())), "w").close()
write({"pid": os.getpid()})
while True:
    command = read()
    if command.get("command") == "next":
        OUT.write(b"\x82\xa7command\xa4emit\xa5tuple\x91\xdb\x80\x00\x00\x00partial")
        OUT.flush()
        time.sleep(120)
    write({"command": "sync"})
