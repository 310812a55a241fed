"""A bolt that answers in round trips, as Storm's storm.py does: it waits for the task ids of
each emit before going on. With PIN_CPU set it first pins itself to that CPU, so a test knows
where it runs, and writes that CPU to PIN_CPU_FILE once pinned; without it, it writes its pid
to PID_FILE after the handshake. For each tuple [x] it emits [x] and acks (serve_round_trips in
wire.py). By hand-written protocol (JSON or msgpack)."""

import os

from wire import handshake, pinned_handshake, serve_round_trips

if "PIN_CPU" in os.environ:
    pinned_handshake()
else:
    _, pid = handshake()
    with open(os.environ["PID_FILE"] + ".tmp", "w") as f:
        f.write(str(pid))
    os.rename(os.environ["PID_FILE"] + ".tmp", os.environ["PID_FILE"])

serve_round_trips()
