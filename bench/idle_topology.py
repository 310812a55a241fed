#!/usr/bin/env python3
"""What an idle topology costs: runs a topology with `squall run`, lets its spout run dry,
then reads the CPU time of the engine process and of its children (the Python components)
over a window, and prints each as a percentage of one core.

    bench/idle_topology.py [--squall build/release/src/cli/squall]
                           [--topology examples/wordcount_squall.yaml]
                           [--warmup 3] [--seconds 10]

The default topology is the Python word count whose spout emits a fixed list and then has
nothing more: after the warm-up every component is idle, so whatever CPU is spent is the
cost of waiting (timers, polling an idle Python spout, spinning executors).
"""

import argparse
import os
import signal
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of one process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def sample(pid, kids):
    engine = cpu_seconds(pid)
    children = 0.0
    for k in kids:
        try:
            children += cpu_seconds(k)
        except OSError:
            pass
    return engine, children


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--squall", default=os.path.join(root, "build/release/src/cli/squall"))
    p.add_argument("--topology", default=os.path.join(root, "examples/wordcount_squall.yaml"))
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()

    proc = subprocess.Popen([args.squall, "run", args.topology],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + args.warmup
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"squall exited with status {proc.returncode} during the warm-up")
            time.sleep(0.1)
        kids = children_of(proc.pid)
        e0, c0 = sample(proc.pid, kids)
        t0 = time.monotonic()
        time.sleep(args.seconds)
        e1, c1 = sample(proc.pid, kids)
        wall = time.monotonic() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    engine = 100.0 * (e1 - e0) / wall
    children = 100.0 * (c1 - c0) / wall
    print(f"idle_engine_cpu_pct={engine:.2f} idle_children_cpu_pct={children:.2f} "
          f"children={len(kids)} seconds={wall:.1f} topology={os.path.basename(args.topology)}")


if __name__ == "__main__":
    main()
