// Resident memory per idle executor: a topology of N idle spout executors and N idle bolt
// executors (one task each, acking on), started and left idle; prints the growth of VmRSS
// (from /proc/self/status) divided by the executors started.
//
//   bench_idle_executor_memory [--executors N]   (N spouts + N bolts + 1 acker; default 500)

#include <squall/squall.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

using namespace squall;

namespace {

std::atomic<int> opened{0};

long vmRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

class IdleSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector&) override { opened++; }
  void nextTuple() override {}
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"x"}); }
};

class IdleBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override { opened++; }
  void execute(const Tuple&) override {}
  void declareOutputFields(OutputFieldsDeclarer&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  int n = 500;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--executors")) n = std::atoi(argv[i + 1]);
  }
  TopologyBuilder builder;
  builder.setSpout("spout", IdleSpout(), n);
  builder.setBolt("bolt", IdleBolt(), n).shuffleGrouping("spout");
  Config conf;
  conf.setNumAckers(1);
  LocalCluster cluster;
  long before = vmRssKb();
  cluster.submitTopology("idle", conf, builder.createTopology());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (opened.load() < 2 * n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Let every executor reach its idle loop (the pages its first iterations touch).
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long after = vmRssKb();
  int executors = 2 * n + 1;
  std::printf("executors %d  VmRSS before %ld KiB  after %ld KiB  per executor %.1f KiB\n",
              executors, before, after, static_cast<double>(after - before) / executors);
  KillOptions now;
  now.waitSecs = 0;
  cluster.killTopologyWithOpts("idle", now);
  cluster.shutdown();
  return opened.load() == 2 * n ? 0 : 1;
}
