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
    acking and with one acker: tuples/s counted by the bolt;
  * kill -9 of a supervisor kept dead for --outage seconds (20; 0 skips it), with Storm's
    default timeouts (nimbus.supervisor.timeout.secs 60, supervisor.worker.timeout.secs 30,
    topology.message.timeout.secs 30: dev-cluster sets none of them): acks per second before
    and during the outage, then the supervisor started again as dev-cluster started it (its
    command line, config and dir): whether its workers kept running (same pids) and were
    adopted (its log says "adopted", no worker started), whether nimbus kept the assignment
    (getTopologyInfo's executors, host and port, unchanged), the time from the restart until
    nimbus lists it with a heartbeat of the new process, and ids lost and acked twice.

    bench/cluster_recovery.py [--squall build/release/src/cli/squall] [--runs 3]
                              [--rate 20000] [--count 400000] [--timeout 5] [--seconds 6]
                              [--outage 20] [--outage-rate 2000] [--outage-only]
                              [--local-sockets 0|1]

The outage scenario asks nimbus over Storm's Thrift API, with Python modules the thrift
compiler makes from src/thrift/storm.thrift (Debian's thrift-compiler and python3-thrift).

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
{timeout_line}{sockets_line}spouts:
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
        self.restarted = []  # supervisors this script started again: Popen objects
        self.proc = subprocess.Popen([squall, "dev-cluster", "--dir", os.path.join(folder, "c"),
                                      "--supervisors", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        self.supervisors = {}  # pid -> dir
        self.supervisor_ids = {}  # pid -> supervisor id
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
            m = re.match(r"^supervisor\.\d+=(\S+) pid=(\d+) slots=\S+ dir=(.*)$", line)
            if m:
                self.supervisors[int(m.group(2))] = m.group(3)
                self.supervisor_ids[int(m.group(2))] = m.group(1)
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
        # A supervisor started again here is not dev-cluster's child: stop it (and, with
        # --kill-workers-on-stop as dev-cluster gave it, its workers) first.
        for p in self.restarted:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


# --local-sockets: squall.worker.local.sockets set in every topology (unset: the default, true,
# so the two workers of this one host connect over a unix socket; 0 keeps them on TCP).
LOCAL_SOCKETS = None


def submit(cluster, folder, name, ackers, rate, count, reliable, timeout):
    # The file alone in its folder: submit packages the folder beside the topology file.
    probe_dir = os.path.join(folder, "probes", name)
    os.makedirs(probe_dir)
    os.makedirs(os.path.join(folder, "topology-" + name))
    path = os.path.join(folder, "topology-" + name, name + ".yaml")
    with open(path, "w") as f:
        # timeout None: Storm's default (30 s), as a user who sets nothing has.
        line = "" if timeout is None else f"  topology.message.timeout.secs: {timeout}\n"
        sockets = ("" if LOCAL_SOCKETS is None else
                   "  squall.worker.local.sockets: %s\n" % ("true" if LOCAL_SOCKETS else "false"))
        f.write(TOPOLOGY.format(name=name, ackers=ackers, timeout_line=line, dir=probe_dir,
                                sockets_line=sockets,
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
    # The time before the kill: read after it, a descheduled script on a loaded machine could
    # take it after the relaunch (a negative kill -> first tuple was seen at load 6.5).
    t_kill = now_ms()
    os.kill(bolt_pid, signal.SIGKILL)
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


class NimbusApi:
    """Storm's Nimbus Thrift client, from Python modules generated now out of
    src/thrift/storm.thrift: what nimbus believes (supervisors, assignment), not files."""

    def __init__(self, folder, conf):
        if not shutil.which("thrift"):
            raise RuntimeError("the outage scenario needs the thrift compiler (thrift-compiler)")
        out = os.path.join(folder, "thrift-py")
        os.makedirs(out)
        subprocess.run(["thrift", "--gen", "py", "-out", out,
                        os.path.join(ROOT, "src", "thrift", "storm.thrift")], check=True)
        sys.path.insert(0, out)
        from squall_storm_thrift import Nimbus, ttypes  # noqa: generated just above
        # Python's generated structs are not hashable; GlobalStreamId is a map key (stats).
        ttypes.GlobalStreamId.__hash__ = lambda s: hash((s.componentId, s.streamId))
        self.nimbus_module = Nimbus
        with open(conf) as f:
            text = f.read()
        self.port = int(re.search(r"^nimbus\.thrift\.port:\s*(\d+)", text, re.M).group(1))

    def call(self, method, *args):
        from thrift.protocol import TBinaryProtocol
        from thrift.transport import TSocket, TTransport
        sock = TSocket.TSocket("127.0.0.1", self.port)
        sock.setTimeout(10000)
        transport = TTransport.TFramedTransport(sock)
        transport.open()
        try:
            client = self.nimbus_module.Client(TBinaryProtocol.TBinaryProtocol(transport))
            return getattr(client, method)(*args)
        finally:
            transport.close()

    def supervisors(self):
        """{supervisor id: uptime_secs} of the supervisors nimbus lists."""
        return {s.supervisor_id: s.uptime_secs for s in self.call("getClusterInfo").supervisors}

    def assignment(self, name):
        """The executors of topology `name` as nimbus assigns them: sorted
        (component, first task, host, port)."""
        tid = next(t.id for t in self.call("getClusterInfo").topologies if t.name == name)
        return sorted((e.component_id, e.executor_info.task_start, e.host, e.port)
                      for e in self.call("getTopologyInfo", tid).executors)


def acked_per_s(lines, t0, t1):
    """Ids acked per second between wall-clock ms t0 and t1, from the probe's status lines."""
    before = [ln for ln in lines if ln["t"] <= t0]
    upto = [ln for ln in lines if ln["t"] <= t1]
    if not before or not upto or upto[-1]["t"] <= before[-1]["t"]:
        return 0.0
    a, b = before[-1], upto[-1]
    return (b["acked"] - a["acked"]) * 1000.0 / (b["t"] - a["t"])


def outage_run(cluster, folder, args):
    """kill -9 of the spout's supervisor, dead for args.outage s, started again; see the
    docstring. Storm's default timeouts throughout: nothing here or in dev-cluster sets them."""
    api = NimbusApi(folder, cluster.conf)
    settle = 10  # s after the heartbeat is back: past a few of the supervisor's sync rounds
    rate = args.outage_rate
    count = rate * (2 + 5 + args.outage + 40)
    probe_dir, _, _ = submit(cluster, folder, "outage", 1, rate, count, True, None)
    probe = wait_for(lambda: files(probe_dir, "probe"), 60, "the spout to open")
    spout_pid, probe_file = next(iter(probe.items()))
    wait_for(lambda: first_ack(probe_file), 60, "the first ack")
    time.sleep(2)
    t_before = now_ms()
    time.sleep(5)

    workers = cluster.worker_pids()
    slot = next(k for k, v in workers.items() if v == spout_pid)
    victim = next(pid for pid, d in cluster.supervisors.items() if d == slot[0])
    victim_id = cluster.supervisor_ids[victim]
    its_workers = {k: v for k, v in workers.items() if k[0] == slot[0]}
    assignment = api.assignment("outage")
    with open(f"/proc/{victim}/cmdline", "rb") as f:
        command = [a.decode() for a in f.read().split(b"\0") if a]

    t_kill = now_ms()
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not alive(victim), 10, "the supervisor to die")
    # Watched through the outage: whether its workers run, what nimbus lists and assigns.
    workers_died, listed_gone_at, reassigned = [], None, []
    end = t_kill + args.outage * 1000
    while now_ms() < end:
        workers_died += [p for p in its_workers.values() if not alive(p) and p not in workers_died]
        if listed_gone_at is None and victim_id not in api.supervisors():
            listed_gone_at = round(now_ms() - t_kill)
        now = api.assignment("outage")
        if now != assignment and now not in reassigned:
            reassigned.append(now)
        time.sleep(max(0.0, min(0.5, (end - now_ms()) / 1000.0)))
    t_outage_end = now_ms()

    # Started again the way dev-cluster started it: same command line, config and dir.
    log = os.path.join(slot[0], "supervisor-restarted.log")
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    t_restart = now_ms()
    cluster.restarted.append(proc)
    del cluster.supervisors[victim]
    cluster.supervisors[proc.pid] = slot[0]
    cluster.supervisor_ids[proc.pid] = victim_id

    def heartbeat_back():
        # Its node written by the new process: an uptime no longer than since the restart.
        up = api.supervisors().get(victim_id)
        return up is not None and up <= (now_ms() - t_restart) / 1000.0 + 1
    wait_for(heartbeat_back, 60, "the restarted supervisor's heartbeat in nimbus's list")
    heartbeat_ms = now_ms() - t_restart
    time.sleep(settle)
    t_settled = now_ms()
    after_workers = {k: v for k, v in cluster.worker_pids().items() if k[0] == slot[0]}
    with open(log, errors="replace") as f:
        text = f.read()
    adopted = sorted(int(p) for p in re.findall(r"adopted worker pid (\d+)", text))
    started = re.findall(r"worker \d+ of \S+ started on port \d+", text)
    assignment_after = api.assignment("outage")
    lines = probe_lines(probe_file)
    out = {
        "outage_s": (t_outage_end - t_kill) / 1000.0,
        "acked_per_s_before": acked_per_s(lines, t_before, t_kill),
        "acked_per_s_during": acked_per_s(lines, t_kill, t_outage_end),
        "acked_per_s_after_restart": acked_per_s(lines, t_restart + heartbeat_ms, t_settled),
        "workers_same_pids": after_workers == its_workers and not workers_died,
        "workers_died": workers_died,
        "adopted": adopted == sorted(its_workers.values()),
        "adopted_pids": adopted,
        "workers_started_by_restarted": len(started),
        "assignment_unchanged": assignment_after == assignment and not reassigned,
        "supervisor_unlisted_after_ms": listed_gone_at,
        "restart_to_heartbeat_ms": heartbeat_ms,
    }
    if lines[-1]["emitted"] >= count:
        print("warning: the spout had emitted all its ids before the checks after the "
              "restart: acked_per_s_after_restart is low for that", file=sys.stderr)
    budget = count / rate + 4 * 30 + 60
    last = wait_for(lambda: next((ln for ln in probe_lines(probe_file)[-1:]
                                  if ln["emitted"] == count and ln["pending"] == 0), None),
                    budget, "every id acked")
    out["ids"] = count
    out["lost"] = last["pending"]
    out["duplicates"] = last["dup"]
    out["failed"] = last["failed"]
    kill_topology(cluster, "outage")
    return out


def one_run(args, i):
    folder = tempfile.mkdtemp(prefix="squall-cluster-bench-")
    cluster = Cluster(args.squall, folder)
    try:
        time.sleep(2)
        out = {}
        if not args.outage_only:
            out["rss_idle_daemons"] = cluster.rss()
            out.update(recovery_run(cluster, folder, args))
            out["rss_idle_topology"] = idle_run(cluster, folder, args)
            if args.seconds > 0:
                out["no_acking"] = throughput_run(cluster, folder, args, 0)
                out["one_acker"] = throughput_run(cluster, folder, args, 1)
        if args.outage > 0:
            # Last: it leaves a supervisor started by this script rather than by dev-cluster.
            out["outage"] = outage_run(cluster, folder, args)
    finally:
        cluster.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"run {i}: {out}", flush=True)
    return out


def print_outage(runs, med):
    o = [r["outage"] for r in runs]
    print(f"  supervisor kill -9, dead {med(lambda r: r['outage']['outage_s']):.1f} s, "
          "Storm's default timeouts:")
    for key in ("acked_per_s_before", "acked_per_s_during", "acked_per_s_after_restart",
                "restart_to_heartbeat_ms"):
        print(f"    {key} = {med(lambda r: r['outage'][key]):.0f}  "
              f"(runs: {[round(x[key]) for x in o]})")
    print(f"    its workers kept running (same pids) = {[x['workers_same_pids'] for x in o]}")
    print(f"    adopted on restart = {[x['adopted'] for x in o]}  workers started by the "
          f"restarted supervisor = {[x['workers_started_by_restarted'] for x in o]}")
    print(f"    nimbus's assignment unchanged = {[x['assignment_unchanged'] for x in o]}  "
          f"supervisor gone from nimbus's list after ms = "
          f"{[x['supervisor_unlisted_after_ms'] for x in o]}")
    print(f"    ids = {[x['ids'] for x in o]}  lost = {[x['lost'] for x in o]}  "
          f"acked twice = {[x['duplicates'] for x in o]}  "
          f"failed (replayed) = {[x['failed'] for x in o]}")


def print_others(args, runs, med):
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
    p.add_argument("--outage", type=int, default=20,
                   help="seconds a supervisor stays killed (0: no outage scenario)")
    p.add_argument("--outage-rate", type=int, default=2000,
                   help="spout tuples/s in the outage scenario")
    p.add_argument("--outage-only", action="store_true", help="run the outage scenario alone")
    p.add_argument("--keep", action="store_true", help="keep each run's folder")
    p.add_argument("--local-sockets", type=int, choices=(0, 1),
                   help="set squall.worker.local.sockets in the topologies (default: unset)")
    args = p.parse_args()
    global LOCAL_SOCKETS
    if args.local_sockets is not None:
        LOCAL_SOCKETS = bool(args.local_sockets)
    if args.outage_only and args.outage <= 0:
        p.error("--outage-only needs --outage > 0")
    with open("/proc/loadavg") as f:
        print("load average before:", " ".join(f.read().split()[:3]), flush=True)
    runs = [one_run(args, i) for i in range(args.runs)]
    with open("/proc/loadavg") as f:
        print("load average after:", " ".join(f.read().split()[:3]))

    def med(get):
        vals = [v for v in (get(r) for r in runs) if v is not None]
        return statistics.median(vals) if vals else float("nan")

    print(f"medians of {len(runs)} runs:")
    if not args.outage_only:
        print_others(args, runs, med)
    if args.outage > 0:
        print_outage(runs, med)


if __name__ == "__main__":
    main()
