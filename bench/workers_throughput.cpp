// spout -> bolt across two worker processes over a unix socket (--unix 0: TCP loopback), as
// `squall run --workers 2` connects them by default: the spout's executor in
// worker 0, the bolt's (and the acker's, when there is one) in worker 1, the same components
// as bench_spout_to_bolt. The process forks before any thread starts; the bolt counts into
// shared memory, so the parent measures what crossed and was executed.
//
//   bench_workers_throughput [--ackers 0|1] [--seconds S] [--max-pending P] [--unix 0|1]
//                            [--rate R]
// Prints tuples/s executed by the bolt after a warm-up, both workers' resident memory, the
// CPU time per tuple of each worker's threads over the measured seconds (user + system, from
// /proc: less sensitive to other load on the machine than the rate is), and the spout worker's
// tuples per send(2) with the share of its sends made on the spout's own thread (see
// src/worker/remote_executor.h).
//
// --rate R (with --ackers 1): complete latency at a fixed offered rate across the two workers,
// as bench_latency_at_rate measures it in one process: each tuple has a scheduled emit time
// (start + i / R), and its latency runs from then to the spout's ack() of it, in worker 0,
// after the ack crossed back from the acker in worker 1. Prints p50/p99/p99.9/max, and the
// same percentiles of each stage: from the scheduled time to the spout's emit (worker 0), from
// the emit to the bolt's execute (worker 1: the tuple's way out), and from the execute to the
// spout's ack() (the way back, through the acker). The stages are read from one clock
// (CLOCK_MONOTONIC is the same in both processes), per tuple, in memory both processes share.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <squall/squall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "topology/topology_plan.h"
#include "vcpu_steal.h"
#include "worker/assignment.h"
#include "worker/handshake_auth.h"
#include "worker/worker.h"

using namespace squall;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<uint64_t>* executed = nullptr;  // in memory shared by both processes

// --rate: the schedule, and the latencies the spout (in this process, worker 0) records.
struct Latency {
  double rate = 0;
  Clock::time_point start;
  int64_t warmupTuples = 0;
  std::atomic<int64_t> acked{0}, failed{0};
  std::mutex mu;
  std::vector<int64_t> ns;
  // Per tuple id, ns since `start`: when the spout emitted it, when the bolt executed it (in
  // shared memory: written in worker 1) and when the spout's ack() saw it; 0 when not seen.
  size_t stageCapacity = 0;
  int64_t* emittedAt = nullptr;
  int64_t* executedAt = nullptr;
  int64_t* ackedAt = nullptr;
  int64_t sinceStart() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  }
  void stamp(int64_t* at, int64_t id) const {
    if (id >= 0 && static_cast<size_t>(id) < stageCapacity) at[id] = sinceStart();
  }
};
Latency latency;

class ConstSpout : public BaseRichSpout {
 public:
  explicit ConstSpout(bool reliable) : reliable_(reliable) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    if (latency.rate > 0) {
      // Emit everything that is due, catching up after any stall.
      double elapsed = std::chrono::duration<double>(Clock::now() - latency.start).count();
      auto due = static_cast<int64_t>(elapsed * latency.rate);
      for (int n = 0; id_ < due && n < 64; ++n, ++id_) {
        latency.stamp(latency.emittedAt, id_);
        collector_->emit(Values{Value(id_)}, Value(id_));  // the bolt stamps its arrival
      }
      return;
    }
    if (reliable_) {
      collector_->emit(Values{payload_}, Value(++id_));
    } else {
      collector_->emit(Values{payload_});
    }
  }
  void ack(const Value& id) override {
    if (latency.rate <= 0) return;
    int64_t i = id.asInt();
    latency.stamp(latency.ackedAt, i);
    auto scheduled =
        latency.start +
        std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 / latency.rate));
    if (i >= latency.warmupTuples) {
      local_.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - scheduled).count());
    }
    if (local_.size() >= 4096) flushLocal();
    latency.acked.fetch_add(1, std::memory_order_relaxed);
  }
  void fail(const Value&) override { latency.failed.fetch_add(1); }
  void close() override { flushLocal(); }
  void deactivate() override { flushLocal(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"str"}); }

 private:
  void flushLocal() {
    std::lock_guard lock(latency.mu);
    latency.ns.insert(latency.ns.end(), local_.begin(), local_.end());
    local_.clear();
  }
  std::vector<int64_t> local_;
  bool reliable_;
  const Value payload_{"some data"};
  SpoutOutputCollector* collector_ = nullptr;
  int64_t id_ = 0;
};

class DevNullBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { collector_ = &c; }
  void execute(const Tuple& t) override {
    if (latency.rate > 0) latency.stamp(latency.executedAt, t.getValue(0).asInt());
    collector_->ack(t);
    if (++local_ == 1024) {
      executed->fetch_add(local_, std::memory_order_relaxed);
      local_ = 0;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
  uint64_t local_ = 0;
};

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

long rssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// CPU time (user + system, in clock ticks) of each thread of `pid`, summed by thread name.
std::map<std::string, int64_t> threadTicks(pid_t pid) {
  std::map<std::string, int64_t> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/stat");
    std::string line;
    std::getline(in, line);
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    int64_t utime = 0, stime = 0;
    // Fields 3.. after the name: state is field 3; utime and stime are fields 14 and 15.
    for (int f = 3; f <= 15 && rest >> field; ++f) {
      if (f == 14) utime = std::atoll(field.c_str());
      if (f == 15) stime = std::atoll(field.c_str());
    }
    out[name] += utime + stime;
    // Voluntary context switches: each is a sleep (a futex, poll(2), a blocking call) ended by a
    // wake-up; per tuple, they count what crossing costs in hand-offs, which load changes less
    // than the times.
    std::ifstream status(dir + "/" + e->d_name + "/status");
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        out["~" + name] += std::atoll(line.c_str() + 24);
      }
    }
  }
  closedir(d);
  return out;
}

// "name ns/tuple ..." for what each thread name of a worker used over the window.
std::string cpuPerTuple(const std::map<std::string, int64_t>& before,
                        const std::map<std::string, int64_t>& after, uint64_t tuples,
                        double& totalNs) {
  std::string s;
  double tickNs = 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
  totalNs = 0;
  for (const auto& [name, ticks] : after) {
    auto it = before.find(name);
    int64_t used = ticks - (it == before.end() ? 0 : it->second);
    double ns =
        static_cast<double>(used) * tickNs / static_cast<double>(std::max<uint64_t>(tuples, 1));
    if (name[0] == '~') continue;  // context switches: see switchesPerTuple
    totalNs += ns;
    if (used > 0) s += " " + name + " " + std::to_string(static_cast<int>(ns + 0.5));
  }
  return s;
}

// "name switches/tuple ..." of the voluntary context switches of each thread name.
std::string switchesPerTuple(const std::map<std::string, int64_t>& before,
                             const std::map<std::string, int64_t>& after, uint64_t tuples) {
  std::string s;
  char buf[64];
  for (const auto& [name, n] : after) {
    if (name[0] != '~') continue;
    auto it = before.find(name);
    int64_t used = n - (it == before.end() ? 0 : it->second);
    std::snprintf(buf, sizeof buf, " %s %.2f", name.c_str() + 1,
                  static_cast<double>(used) / static_cast<double>(std::max<uint64_t>(tuples, 1)));
    s += buf;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int ackers = 0, seconds = 10, unixSockets = 1;
  int64_t maxPending = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ackers")) ackers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--max-pending")) maxPending = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--unix")) unixSockets = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) latency.rate = std::atof(argv[i + 1]);
  }
  if (latency.rate > 0 && ackers == 0) {
    std::fprintf(stderr, "--rate measures complete latency: it needs --ackers 1\n");
    return 2;
  }
  // The first two seconds' tuples are the warm-up; the schedule starts after the workers.
  latency.warmupTuples = static_cast<int64_t>(latency.rate * 2);
  if (latency.rate > 0) {
    latency.stageCapacity = static_cast<size_t>(latency.rate * (seconds + 4));
    auto shm = [&] {
      return static_cast<int64_t*>(mmap(nullptr, latency.stageCapacity * sizeof(int64_t),
                                        PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    };
    latency.emittedAt = shm();
    latency.executedAt = shm();
    latency.ackedAt = shm();
  }
  // Before the fork: both workers read the schedule (the bolt's worker to stamp arrivals).
  latency.start = Clock::now() + std::chrono::milliseconds(200);
  void* shared = mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  executed = new (shared) std::atomic<uint64_t>(0);

  TopologyBuilder builder;
  builder.setSpout("spout", ConstSpout(ackers > 0), 1);
  builder.setBolt("bolt", DevNullBolt(), 1).shuffleGrouping("spout");
  StormTopology topology = builder.createTopology();
  Config conf;
  conf.setNumAckers(ackers);
  conf.setNumWorkers(2);
  if (maxPending) conf.setMaxSpoutPending(maxPending);
  auto plan = internal::TopologyPlan::build("bench", "bench-1-1", conf, topology);
  worker::Assignment a;
  a.topologyId = "bench-1-1";
  a.secret = worker::newSecret();
  a.workers = {{"127.0.0.1", freePort()}, {"127.0.0.1", freePort()}};
  a.localSockets = unixSockets != 0;  // between the two: an abstract unix socket, not TCP
  for (const auto& [id, cp] : plan->components) {
    for (const auto& ep : cp.executors) a.executorWorker[ep.startTask] = id == "spout" ? 0 : 1;
  }

  int done[2];
  if (pipe(done) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(done[1]);
    worker::Worker w(a, 1, "bench", conf, topology);
    w.start(30);
    char c;
    [[maybe_unused]] auto n = read(done[0], &c, 1);  // until the parent is done
    w.stop(0);
    _exit(0);
  }
  close(done[0]);
  worker::Worker w(a, 0, "bench", conf, topology);
  w.start(30);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up
  uint64_t before = executed->load();
  int64_t stealBefore = vcpuStealMs();
  auto cpuSpoutBefore = threadTicks(getpid()), cpuBoltBefore = threadTicks(child);
  uint64_t sendsBefore = w.stats().batchSends, inlineBefore = w.stats().inlineSends;
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  uint64_t after = executed->load();
  uint64_t sendsAfter = w.stats().batchSends, inlineAfter = w.stats().inlineSends;
  auto cpuSpoutAfter = threadTicks(getpid()), cpuBoltAfter = threadTicks(child);
  int64_t stealMs = vcpuStealMs() - stealBefore;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rssSpout = rssKiB(getpid()), rssBolt = rssKiB(child);
  w.stop(0);
  close(done[1]);
  int status = 0;
  waitpid(child, &status, 0);
  double rate = static_cast<double>(after - before) / secs;
  double spoutNs = 0, boltNs = 0;
  std::string spoutCpu = cpuPerTuple(cpuSpoutBefore, cpuSpoutAfter, after - before, spoutNs);
  std::string boltCpu = cpuPerTuple(cpuBoltBefore, cpuBoltAfter, after - before, boltNs);
  if (latency.rate > 0) {
    auto& v = latency.ns;
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) {
      return v.empty() ? 0.0
                       : static_cast<double>(
                             v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))]) /
                             1e3;
    };
    std::printf(
        "2 workers rate=%.0f/s acked=%lld failed=%lld measured=%zu  complete latency us: p50 %.1f  "
        "p99 %.1f  p99.9 %.1f  max %.1f  vcpu_steal_ms %lld\n",
        latency.rate, static_cast<long long>(latency.acked.load()),
        static_cast<long long>(latency.failed.load()), v.size(), pct(0.5), pct(0.99), pct(0.999),
        pct(1.0), static_cast<long long>(stealMs));
    // Each stage over the measured tuples that completed.
    std::vector<int64_t> emit, out, back;
    for (size_t i = static_cast<size_t>(latency.warmupTuples); i < latency.stageCapacity; ++i) {
      if (!latency.ackedAt[i] || !latency.executedAt[i] || !latency.emittedAt[i]) continue;
      int64_t scheduled = static_cast<int64_t>(static_cast<double>(i) * 1e9 / latency.rate);
      emit.push_back(latency.emittedAt[i] - scheduled);
      out.push_back(latency.executedAt[i] - latency.emittedAt[i]);
      back.push_back(latency.ackedAt[i] - latency.executedAt[i]);
    }
    auto stage = [](const char* name, std::vector<int64_t>& x) {
      std::sort(x.begin(), x.end());
      auto at = [&](double p) {
        return x.empty() ? 0.0
                         : static_cast<double>(
                               x[static_cast<size_t>(p * static_cast<double>(x.size() - 1))]) /
                               1e3;
      };
      std::printf("  %-28s p50 %.1f  p99 %.1f  p99.9 %.1f us\n", name, at(0.5), at(0.99),
                  at(0.999));
    };
    stage("scheduled -> emit (spout)", emit);
    stage("emit -> execute (way out)", out);
    stage("execute -> ack() (way back)", back);
    std::printf("  cpu ns/tuple: spout worker %.0f (%s ), bolt worker %.0f (%s )\n", spoutNs,
                spoutCpu.c_str(), boltNs, boltCpu.c_str());
    const double tuples = static_cast<double>(std::max<uint64_t>(after - before, 1));
    std::printf("  sends/tuple from the spout worker: %.2f (from the spout's own thread: %.2f)\n",
                static_cast<double>(sendsAfter - sendsBefore) / tuples,
                static_cast<double>(inlineAfter - inlineBefore) / tuples);
    std::printf("  wake-ups/tuple: spout worker (%s ), bolt worker (%s )\n",
                switchesPerTuple(cpuSpoutBefore, cpuSpoutAfter, after - before).c_str(),
                switchesPerTuple(cpuBoltBefore, cpuBoltAfter, after - before).c_str());
    return 0;
  }
  std::printf(
      "2 workers spout->bolt ackers=%d max_pending=%lld unix=%d: %.2f M tuples/s  rss spout worker "
      "%ld "
      "MiB, bolt worker %ld MiB  vcpu_steal_ms %lld\n",
      ackers, static_cast<long long>(maxPending), unixSockets, rate / 1e6, rssSpout / 1024,
      rssBolt / 1024, static_cast<long long>(stealMs));
  std::printf("  cpu ns/tuple: spout worker %.0f (%s ), bolt worker %.0f (%s )\n", spoutNs,
              spoutCpu.c_str(), boltNs, boltCpu.c_str());
  const double tuples = static_cast<double>(std::max<uint64_t>(after - before, 1));
  std::printf(
      "  tuples/send from the spout worker: %.1f (sends from the spout's own thread: %.1f %%)\n",
      tuples / static_cast<double>(std::max<uint64_t>(sendsAfter - sendsBefore, 1)),
      100.0 * static_cast<double>(inlineAfter - inlineBefore) /
          static_cast<double>(std::max<uint64_t>(sendsAfter - sendsBefore, 1)));
  return 0;
}
