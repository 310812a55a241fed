#!/usr/bin/env python3
"""A cluster on one machine, timed from outside: `squall dev-cluster --supervisors 2`, then a
topology of Squall's C++ squall.testing.ProbeSpout -> squall.testing.CountingBolt with two
workers (one per supervisor) and one acker, and prints

  * submit -> first ack: from the start of `squall submit` to the spout's first ack;
  * kill -9 of the bolt's worker -> the first ack of a tuple emitted after the kill, the
    supervisor's relaunch, the CPU time the new worker used until its first tuple, and at the
    end ids lost (never acked) and acked twice;
  * VmRSS of nimbus, each supervisor and each worker: idle and under load;
  * throughput across the two supervisors (spout in one worker, bolt in the other), without
    acking and with one acker: tuples/s counted by the bolt.

    bench/cluster_recovery.py [--squall build/release/src/cli/squall] [--runs 3]
                              [--rate 20000] [--count 400000] [--timeout 5] [--seconds 6]

Each run starts its own cluster; the figures are printed per run and as medians. The spout
and bolt write their timestamps (wall clock, ms) to files in a folder of the run
(probe_components.cpp), so nothing is inferred from log text.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TOPOLOGY = """\
name: "{name}"
config:
  topology.workers: 2
  topology.acker.executors: {ackers}
  topology.message.timeout.secs: {timeout}
spouts:
  - id: "probe"
    className: "squall.testing.ProbeSpout"
    constructorArgs: ["{dir}", {rate}, {count}, {reliable}]
bolts:
  - id: "count"
    className: "squall.testing.CountingBolt"
    constructorArgs: ["{dir}"]
streams:
  - {{from: "probe", to: "count", grouping: {{type: SHUFFLE}}}}
"""


def now_ms():
    return time.time() * 1000.0


def wait_for(cond, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.005)
    raise RuntimeError(f"timed out after {secs} s waiting for {what}")


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def cpu_ms(pid):
    """utime + stime of a process (fields 14 and 15 of /proc/PID/stat), in ms."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def probe_lines(path):
    """Status lines of a probe file as dicts of ints (t, emitted, acked, ...)."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("t="):
                out.append({k: int(v) for k, v in (kv.split("=") for kv in line.split())})
    return out


def first_ack(path):
    with open(path) as f:
        m = re.search(r"^first_ack t=(\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else None


def files(folder, kind):
    """{pid: path} of the probe or count files in folder."""
    found = {}
    for p in glob.glob(os.path.join(folder, f"{kind}-*-*.log")):
        found[int(p.rsplit("-", 1)[1][:-4])] = p
    return found


class Cluster:
    def __init__(self, squall, folder):
        self.squall = squall
        self.dir = folder
        self.err = open(os.path.join(folder, "dev-cluster.err"), "w")
        self.proc = subprocess.Popen([squall, "dev-cluster", "--dir", os.path.join(folder, "c"),
                                      "--supervisors", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        self.supervisors = {}  # pid -> dir
        self.nimbus = None
        self.conf = None
        deadline = time.monotonic() + 120
        while len(self.supervisors) < 2 and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            line = line.strip()
            if line.startswith("storm.yaml="):
                self.conf = line.split("=", 1)[1]
            m = re.match(r"^nimbus\.1=\S+ pid (\d+)", line)
            if m:
                self.nimbus = int(m.group(1))
            m = re.match(r"^supervisor\.\d+=\S+ pid=(\d+) slots=\S+ dir=(.*)$", line)
            if m:
                self.supervisors[int(m.group(1))] = m.group(2)
        if len(self.supervisors) < 2 or not self.nimbus or not self.conf:
            self.stop()
            raise RuntimeError("dev-cluster did not start; see " + self.err.name)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def worker_pids(self):
        """{(supervisor dir, port): pid} from each supervisor's storm.local.dir/workers/PORT/pid."""
        pids = {}
        for d in self.supervisors.values():
            for p in glob.glob(os.path.join(d, "local", "workers", "*", "pid")):
                try:
                    with open(p) as f:
                        pids[(d, int(p.split(os.sep)[-2]))] = int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
        return pids

    def run(self, *args):
        r = subprocess.run([self.squall, *args, "--config", self.conf], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"squall {' '.join(args)}: {r.stderr}{r.stdout}")
        return r

    def rss(self):
        out = {"nimbus": rss_mib(self.nimbus)}
        for i, pid in enumerate(sorted(self.supervisors)):
            out[f"supervisor{i}"] = rss_mib(pid)
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def submit(cluster, folder, name, ackers, rate, count, reliable, timeout):
    # The file alone in its folder: submit packages the folder beside the topology file.
    probe_dir = os.path.join(folder, "probes", name)
    os.makedirs(probe_dir)
    os.makedirs(os.path.join(folder, "topology-" + name))
    path = os.path.join(folder, "topology-" + name, name + ".yaml")
    with open(path, "w") as f:
        f.write(TOPOLOGY.format(name=name, ackers=ackers, timeout=timeout, dir=probe_dir,
                                rate=rate, count=count, reliable="true" if reliable else "false"))
    started = now_ms()
    cluster.run("submit", path)
    return probe_dir, started, now_ms() - started


def kill_topology(cluster, name):
    pids = list(cluster.worker_pids().values())
    cluster.run("kill", name, "-w", "0")
    wait_for(lambda: not any(alive(p) for p in pids), 60, f"the workers of {name} to stop")


def recovery_run(cluster, folder, args):
    out = {}
    probe_dir, started, submit_ms = submit(cluster, folder, "recovery", 1, args.rate, args.count,
                                           True, args.timeout)
    out["submit_cmd_ms"] = submit_ms
    probe = wait_for(lambda: files(probe_dir, "probe"), 60, "the spout to open")
    spout_pid, probe_file = next(iter(probe.items()))
    t_first = wait_for(lambda: first_ack(probe_file), 60, "the first ack")
    out["submit_to_first_ack_ms"] = t_first - started
    count_files = wait_for(lambda: files(probe_dir, "count"), 30, "the bolt to count")
    bolt_pid = next(iter(count_files))
    out["same_worker"] = bolt_pid == spout_pid
    time.sleep(2)
    workers = cluster.worker_pids()
    load = cluster.rss()
    load.update({"spout_worker": rss_mib(spout_pid), "bolt_worker": rss_mib(bolt_pid)})
    out["rss_load_recovery"] = load

    # kill -9 of the bolt's worker; the spout's survives and keeps its pending ids.
    slot = next(k for k, v in workers.items() if v == bolt_pid)
    with open(os.path.join(slot[0], "local", "workers", str(slot[1]), "assignment")) as f:
        # The lower index of a pair connects to the higher (transport.cpp).
        out["killed_worker_index"] = int(re.search(rf"^worker (\d+) \S+ {slot[1]}$", f.read(),
                                                   re.M).group(1))
    os.kill(bolt_pid, signal.SIGKILL)
    t_kill = now_ms()
    def relaunched():
        pid = cluster.worker_pids().get(slot, bolt_pid)
        return pid if pid != bolt_pid and alive(pid) else None

    new_pid = wait_for(relaunched, 30, "the relaunch")
    out["kill_to_relaunch_ms"] = now_ms() - t_kill
    new_count = wait_for(lambda: files(probe_dir, "count").get(new_pid), 30,
                         "the new worker's bolt")
    # CPU time is less sensitive than wall time to a loaded machine: what starting cost.
    out["new_worker_cpu_ms_at_first_tuple"] = cpu_ms(new_pid)
    # The spout's emit count at its first line at or after the kill: every id from there on
    # was emitted after the kill, so its ack went through the new worker.
    after = wait_for(lambda: next((ln["emitted"] for ln in probe_lines(probe_file)
                                   if ln["t"] >= t_kill), None), 10, "a spout line after the kill")
    acked = wait_for(lambda: next((ln["t"] for ln in probe_lines(probe_file)
                                   if ln["maxacked"] >= after and ln["t"] >= t_kill), None), 60,
                     "an ack after the kill")
    out["kill_to_first_ack_ms"] = acked - t_kill
    with open(new_count) as f:
        m = re.search(r"^t=(\d+) count=1$", f.read(), re.M)
    if m:
        out["kill_to_first_tuple_in_new_worker_ms"] = int(m.group(1)) - t_kill

    # Every id acked in the end: the spout stops after `count` and replays what failed.
    budget = args.count / args.rate + 4 * args.timeout + 60
    last = wait_for(lambda: next((ln for ln in probe_lines(probe_file)[-1:]
                                  if ln["emitted"] == args.count and ln["pending"] == 0), None),
                    budget, "every id acked")
    out["lost"] = last["pending"]
    out["duplicates"] = last["dup"]
    out["failed"] = last["failed"]
    time.sleep(2)
    idle = cluster.rss()
    idle.update({"spout_worker": rss_mib(spout_pid), "bolt_worker": rss_mib(new_pid)})
    out["rss_idle_after_run"] = idle
    kill_topology(cluster, "recovery")
    return out


def idle_run(cluster, folder, args):
    """Workers of a topology whose spout emits one tuple a second: idle, but alive."""
    probe_dir, _, _ = submit(cluster, folder, "idle", 1, 1, 0, True, 30)
    wait_for(lambda: files(probe_dir, "count"), 60, "the bolt to count")
    time.sleep(3)
    rss = cluster.rss()
    for i, pid in enumerate(sorted(cluster.worker_pids().values())):
        rss[f"worker{i}"] = rss_mib(pid)
    kill_topology(cluster, "idle")
    return rss


def throughput_run(cluster, folder, args, ackers):
    name = f"tput{ackers}"
    probe_dir, _, _ = submit(cluster, folder, name, ackers, 0, 0, ackers > 0, 30)
    count_files = wait_for(lambda: files(probe_dir, "count"), 60, "the bolt to count")
    probe = wait_for(lambda: files(probe_dir, "probe"), 60, "the spout")
    bolt_pid, count_file = next(iter(count_files.items()))
    spout_pid = next(iter(probe))
    time.sleep(args.warmup)

    def last_count():
        with open(count_file) as f:
            lines = re.findall(r"^t=(\d+) count=(\d+)$", f.read(), re.M)
        return int(lines[-1][0]), int(lines[-1][1])

    t0, c0 = last_count()
    time.sleep(args.seconds)
    t1, c1 = last_count()
    rss = cluster.rss()
    rss.update({"spout_worker": rss_mib(spout_pid), "bolt_worker": rss_mib(bolt_pid)})
    kill_topology(cluster, name)
    return {"tuples_per_s": (c1 - c0) * 1000.0 / max(1, t1 - t0),
            "same_worker": spout_pid == bolt_pid, "rss_load": rss}


def one_run(args, i):
    folder = tempfile.mkdtemp(prefix="squall-cluster-bench-")
    cluster = Cluster(args.squall, folder)
    try:
        time.sleep(2)
        out = {"rss_idle_daemons": cluster.rss()}
        out.update(recovery_run(cluster, folder, args))
        out["rss_idle_topology"] = idle_run(cluster, folder, args)
        if args.seconds > 0:
            out["no_acking"] = throughput_run(cluster, folder, args, 0)
            out["one_acker"] = throughput_run(cluster, folder, args, 1)
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"run {i}: {out}", flush=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--squall", default=os.path.join(ROOT, "build/release/src/cli/squall"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rate", type=int, default=20000, help="spout tuples/s in the recovery run")
    p.add_argument("--count", type=int, default=400000, help="ids emitted in the recovery run")
    p.add_argument("--timeout", type=int, default=5, help="topology.message.timeout.secs")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--seconds", type=float, default=6.0,
                   help="throughput window (0: no throughput runs)")
    p.add_argument("--keep", action="store_true", help="keep each run's folder")
    args = p.parse_args()
    with open("/proc/loadavg") as f:
        print("load average before:", " ".join(f.read().split()[:3]), flush=True)
    runs = [one_run(args, i) for i in range(args.runs)]
    with open("/proc/loadavg") as f:
        print("load average after:", " ".join(f.read().split()[:3]))

    def med(get):
        vals = [v for v in (get(r) for r in runs) if v is not None]
        return statistics.median(vals) if vals else float("nan")

    print(f"medians of {len(runs)} runs:")
    for key in ("submit_cmd_ms", "submit_to_first_ack_ms", "kill_to_relaunch_ms",
                "kill_to_first_tuple_in_new_worker_ms", "kill_to_first_ack_ms",
                "new_worker_cpu_ms_at_first_tuple"):
        print(f"  {key} = {med(lambda r: r.get(key)):.0f}  "
              f"(runs: {[round(r[key]) for r in runs if key in r]})")
    print(f"  lost = {[r['lost'] for r in runs]}  duplicates = {[r['duplicates'] for r in runs]}"
          f"  failed (replayed) = {[r['failed'] for r in runs]}")
    print(f"  killed worker's index = {[r['killed_worker_index'] for r in runs]}")
    for phase in ("rss_idle_daemons", "rss_idle_topology", "rss_load_recovery",
                  "rss_idle_after_run"):
        keys = runs[0][phase].keys()
        print(f"  {phase} MiB: " + ", ".join(f"{k} {med(lambda r: r[phase][k]):.1f}"
                                             for k in keys))
    if args.seconds > 0:
        for shape in ("no_acking", "one_acker"):
            print(f"  {shape}: {med(lambda r: r[shape]['tuples_per_s']) / 1e6:.2f} M tuples/s "
                  f"(runs: {[round(r[shape]['tuples_per_s'] / 1e6, 2) for r in runs]}), "
                  "RSS under load MiB: " + ", ".join(
                      f"{k} {med(lambda r: r[shape]['rss_load'][k]):.1f}"
                      for k in runs[0][shape]["rss_load"]))
    if any(r["same_worker"] for r in runs):
        print("warning: in some run the spout and the bolt shared a worker", file=sys.stderr)


if __name__ == "__main__":
    main()
