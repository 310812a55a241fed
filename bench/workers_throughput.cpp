// spout -> bolt across two worker processes over TCP loopback: the spout's executor in
// worker 0, the bolt's (and the acker's, when there is one) in worker 1, the same components
// as bench_spout_to_bolt. The process forks before any thread starts; the bolt counts into
// shared memory, so the parent measures what crossed and was executed.
//
//   bench_workers_throughput [--ackers 0|1] [--seconds S] [--max-pending P] [--unix 0|1]
// Prints tuples/s executed by the bolt after a warm-up, and both workers' resident memory.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <squall/squall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "topology/topology_plan.h"
#include "vcpu_steal.h"
#include "worker/assignment.h"
#include "worker/handshake_auth.h"
#include "worker/worker.h"

using namespace squall;

namespace {

std::atomic<uint64_t>* executed = nullptr;  // in memory shared by both processes

class ConstSpout : public BaseRichSpout {
 public:
  explicit ConstSpout(bool reliable) : reliable_(reliable) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    if (reliable_) {
      collector_->emit(Values{payload_}, Value(++id_));
    } else {
      collector_->emit(Values{payload_});
    }
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"str"}); }

 private:
  bool reliable_;
  const Value payload_{"some data"};
  SpoutOutputCollector* collector_ = nullptr;
  int64_t id_ = 0;
};

class DevNullBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { collector_ = &c; }
  void execute(const Tuple& t) override {
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

}  // namespace

int main(int argc, char** argv) {
  int ackers = 0, seconds = 10, unixSockets = 0;
  int64_t maxPending = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ackers")) ackers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--max-pending")) maxPending = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--unix")) unixSockets = std::atoi(argv[i + 1]);
  }
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
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  uint64_t after = executed->load();
  int64_t stealMs = vcpuStealMs() - stealBefore;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rssSpout = rssKiB(getpid()), rssBolt = rssKiB(child);
  w.stop(0);
  close(done[1]);
  int status = 0;
  waitpid(child, &status, 0);
  double rate = static_cast<double>(after - before) / secs;
  std::printf(
      "2 workers spout->bolt ackers=%d max_pending=%lld unix=%d: %.2f M tuples/s  rss spout worker "
      "%ld "
      "MiB, bolt worker %ld MiB  vcpu_steal_ms %lld\n",
      ackers, static_cast<long long>(maxPending), unixSockets, rate / 1e6, rssSpout / 1024,
      rssBolt / 1024, static_cast<long long>(stealMs));
  return 0;
}
