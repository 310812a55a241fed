// Complete latency at a fixed offered rate, with acking: spout -> bolt, one acker. Each tuple
// has a scheduled emit time (start + i / rate); latency runs from that time to the spout's
// ack() of it, so time spent waiting to be emitted counts too (as Storm's ThroughputVsLatency
// measures it: queueing is not hidden).
//
//   bench_latency_at_rate [--rate R] [--seconds S]

#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "vcpu_steal.h"

using namespace squall;
using Clock = std::chrono::steady_clock;

namespace {

struct Shared {
  double rate = 100000;
  Clock::time_point start;
  int64_t warmupTuples = 0;
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::mutex mu;
  std::vector<int64_t> latenciesNs;
};
Shared shared;

class ScheduledSpout : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - shared.start).count();
    auto due = static_cast<int64_t>(elapsed * shared.rate);
    // Emit everything that is due, catching up after any stall.
    for (int n = 0; next_ < due && n < 64; ++n, ++next_) {
      collector_->emit(Values{"payload"}, Value(next_));
    }
  }
  void ack(const Value& id) override {
    int64_t i = id.asInt();
    auto scheduled =
        shared.start +
        std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 / shared.rate));
    int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - scheduled).count();
    if (i >= shared.warmupTuples) local_.push_back(ns);
    if (local_.size() >= 4096) flushLocal();
    shared.acked.fetch_add(1, std::memory_order_relaxed);
  }
  void fail(const Value&) override { shared.failed.fetch_add(1); }
  void close() override { flushLocal(); }
  void deactivate() override { flushLocal(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"str"}); }

 private:
  void flushLocal() {
    std::lock_guard lock(shared.mu);
    shared.latenciesNs.insert(shared.latenciesNs.end(), local_.begin(), local_.end());
    local_.clear();
  }
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
  std::vector<int64_t> local_;
};

class AckBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { collector_ = &c; }
  void execute(const Tuple& t) override { collector_->ack(t); }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rate")) shared.rate = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
  }
  shared.warmupTuples = static_cast<int64_t>(shared.rate * 2);  // the first two seconds
  TopologyBuilder builder;
  builder.setSpout("spout", ScheduledSpout(), 1);
  builder.setBolt("bolt", AckBolt(), 1).shuffleGrouping("spout");
  Config conf;
  conf.setNumAckers(1);
  LocalCluster cluster;
  shared.start = Clock::now() + std::chrono::milliseconds(200);
  cluster.submitTopology("latency", conf, builder.createTopology());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the warm-up tuples
  int64_t stealBefore = vcpuStealMs();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  int64_t stealMs = vcpuStealMs() - stealBefore;
  cluster.deactivate("latency");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cluster.killTopologyWithOpts("latency", KillOptions{0});

  auto& v = shared.latenciesNs;
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    return v.empty() ? 0.0 : static_cast<double>(v[static_cast<size_t>(p * (v.size() - 1))]) / 1e3;
  };
  std::printf(
      "rate=%.0f/s acked=%lld failed=%lld measured=%zu  latency us: p50 %.1f  p99 %.1f  "
      "p99.9 %.1f  max %.1f  vcpu_steal_ms %lld\n",
      shared.rate, static_cast<long long>(shared.acked.load()),
      static_cast<long long>(shared.failed.load()), v.size(), pct(0.5), pct(0.99), pct(0.999),
      pct(1.0), static_cast<long long>(stealMs));
  return 0;
}
