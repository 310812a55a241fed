"""A process for the tests of ChildCpuPin (src/multilang/child_cpu_pin.h): it runs once on the
CPU named by argv[1], so that CPU is the one it last ran on, then (unless argv[2] is "stay")
takes its whole mask back, says "ready" and waits. argv[2] "spin" spins instead of waiting;
otherwise each line "thread" on stdin starts a thread that blocks for good and prints its id.
argv[2] "claim" holds the machine-wide claim on that CPU instead, as another worker process
pinning a child there would."""

import os
import socket
import sys
import threading

cpu = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else "wait"
if mode == "claim":
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    claim.bind("\0squall-child-cpu-%d" % cpu)
    print("ready", flush=True)
    sys.stdin.read()
    sys.exit(0)
mask = os.sched_getaffinity(0)
os.sched_setaffinity(0, {cpu})
if mode != "stay":
    os.sched_setaffinity(0, mask)
print("ready", flush=True)
if mode == "spin":
    while True:
        pass
for line in sys.stdin:
    if line.strip() == "thread":
        t = threading.Thread(target=threading.Event().wait, daemon=True)
        t.start()
        print(t.native_id, flush=True)
