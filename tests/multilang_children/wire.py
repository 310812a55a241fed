"""Storm's multilang protocol written by hand, for the scripted test children: they must be
able to break it on purpose, so they cannot use the squall package.

The serializer comes from SQUALL_SERIALIZER ("json", Storm's framing, or "msgpack").
"""

import json
import os
import sys

SER = os.environ.get("SQUALL_SERIALIZER", "json")
out = sys.stdout.buffer

if SER == "msgpack":
    import msgpack

    _unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    _packer = msgpack.Packer(use_bin_type=True)

    def read():
        """The next message; exits with status 2 at EOF."""
        while True:
            try:
                return next(_unpacker)
            except StopIteration:
                pass
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(2)
            _unpacker.feed(chunk)

    def encode(msg):
        return _packer.pack(msg)

    MALFORMED = b"\xc1\xc1\xc1"  # 0xc1 is never used by msgpack

else:

    def read():
        """The next message; exits with status 2 at EOF."""
        lines = []
        while True:
            line = sys.stdin.buffer.readline()
            if not line:
                sys.exit(2)
            if line.rstrip(b"\r\n") == b"end":
                return json.loads(b"".join(lines))
            lines.append(line)

    def encode(msg):
        return json.dumps(msg).encode() + b"\nend\n"

    MALFORMED = b'{"command": "emit", "tuple": [1,\nend\n'


def send(msg):
    out.write(encode(msg))
    out.flush()


def send_raw(data):
    """Bytes that bypass the protocol (garbage, a malformed message)."""
    out.write(data)
    out.flush()


def handshake():
    """Reads the setup message, creates the pid file, answers {"pid": N}; (setup, pid)."""
    setup = read()
    pid = os.getpid()
    open(os.path.join(setup["pidDir"], str(pid)), "w").close()
    send({"pid": pid})
    return setup, pid


def pinned_handshake():
    """Pins this process to the CPU named by PIN_CPU (so a test knows where it runs), then
    handshakes and writes that CPU to PIN_CPU_FILE, atomically; (setup, pid)."""
    cpu = int(os.environ["PIN_CPU"])
    os.sched_setaffinity(0, {cpu})
    answer = handshake()
    path = os.environ["PIN_CPU_FILE"]
    with open(path + ".tmp", "w") as f:
        f.write(str(cpu))
    os.rename(path + ".tmp", path)
    return answer


def serve_round_trips(burst=1):
    """Answers in round trips, as Storm's storm.py does: for each tuple [x] emits [x], waits for
    the task ids of that emit (tuples that come first wait their turn) and acks; heartbeats get
    a sync. With `burst` above 1 it writes that many emits of [x] in one write before it reads
    their replies, as Storm's storm.js does, which does not wait for each. A reply that is not a
    list of integer task ids, or task ids that come when no emit waits for them, end the child
    with an error."""
    pending = []
    while True:
        tup = pending.pop(0) if pending else read()
        if isinstance(tup, list):
            sys.exit("task ids came when no emit waited for them: %r" % (tup[:10],))
        if tup.get("stream") == "__heartbeat":
            send({"command": "sync"})
            continue
        emit = {"command": "emit", "anchors": [tup["id"]], "tuple": [tup["tuple"][0]]}
        send_raw(encode(emit) * burst)
        replies = 0
        while replies < burst:
            reply = read()
            if not isinstance(reply, list):
                pending.append(reply)
                continue
            if not all(isinstance(t, int) for t in reply):
                sys.exit("task ids that are not integers: %r" % (reply[:10],))
            replies += 1
        send({"command": "ack", "id": tup["id"]})
