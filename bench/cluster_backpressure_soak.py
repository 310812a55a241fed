#!/usr/bin/env python3
"""Backpressure between two workers, soaked on a real cluster: `squall dev-cluster
--supervisors 2`, then the one-acker throughput topology of bench/cluster_recovery.py
(squall.testing.ProbeSpout -> squall.testing.CountingBolt, no max spout pending; the even
scheduler puts the spout and the acker in one worker, the bolt in the other) submitted again
and again. Each round runs --seconds at full speed; a round stalls when the bolt's count stays
the same for --stall seconds. At the first stall the script prints what each worker's /metrics
says about backpressure (which executors it holds, which of its senders a peer holds) and stops.

    bench/cluster_backpressure_soak.py [--squall build/release/src/cli/squall] [--rounds 25]
                                       [--seconds 12] [--stall 2] [--local-sockets 0|1]

Tuples cross out while acks cross back, so each worker's backpressure holds the other's
senders. Before the I/O thread read on from a peer that held one of its senders, this
stalled for good within the first round or two (docs/PERFORMANCE.md).
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_recovery as cr  # noqa: E402

# Each worker's /metrics: its slot port + worker.metrics.port.offset (dev-cluster's slots).
METRICS_PORTS = (7700, 7701, 7702, 7703, 7704, 7705)


def last_count(path):
    with open(path) as f:
        lines = re.findall(r"^t=\d+ count=(\d+)$", f.read(), re.M)
    return int(lines[-1]) if lines else 0


def backpressure_lines():
    out = []
    for port in METRICS_PORTS:
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read()
        except OSError:
            continue
        out.append(f"worker metrics on port {port}:")
        out += ["  " + line for line in text.decode().splitlines()
                if "backpressure" in line and not line.startswith("#")]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--squall", default=os.path.join(cr.ROOT, "build/release/src/cli/squall"))
    p.add_argument("--rounds", type=int, default=25)
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--stall", type=float, default=2.0)
    p.add_argument("--local-sockets", type=int, choices=(0, 1), default=0,
                   help="squall.worker.local.sockets for the topology (default 0: TCP)")
    args = p.parse_args()
    cr.LOCAL_SOCKETS = bool(args.local_sockets)
    folder = tempfile.mkdtemp(prefix="squall-soak-")
    cluster = cr.Cluster(args.squall, folder)
    stalled = False
    try:
        for r in range(args.rounds):
            name = f"soak{r}"
            probe_dir, _, _ = cr.submit(cluster, folder, name, 1, 0, 0, True, 30)
            counts = cr.wait_for(lambda: cr.files(probe_dir, "count"), 60, "the bolt to count")
            path = next(iter(counts.values()))
            last, since = -1, time.monotonic()
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                time.sleep(0.1)
                count = last_count(path)
                if count != last:
                    last, since = count, time.monotonic()
                elif time.monotonic() - since >= args.stall:
                    stalled = True
                    break
            print(f"round {r}: {last} tuples counted, {'STALLED' if stalled else 'flowing'}",
                  flush=True)
            if stalled:
                print("\n".join(backpressure_lines()))
                break
            cr.kill_topology(cluster, name)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'stalled' if stalled else 'no stall'} in {r + 1} round(s) of {args.seconds:.0f} s")
    return 1 if stalled else 0


if __name__ == "__main__":
    sys.exit(main())
