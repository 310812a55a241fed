// spout -> bolt throughput, 1 spout executor and 1 bolt executor, the shape of Storm's
// ConstSpoutNullBoltTopo: the spout emits a constant string, the bolt acks and drops it.
//
//   bench_spout_to_bolt [--ackers N] [--seconds S] [--batch B] [--max-pending P] [--metrics 1]
//                       [--tuples N]
// Prints tuples/s executed by the bolt, measured after a warm-up. --tuples N: no warm-up; the
// spout emits N tuples (rounded up to a multiple of 1024) and stops, and the run ends when the
// bolt has executed them all and, with acking, the spout has had every ack, so a run's work is
// fixed: run it under `valgrind --tool=callgrind` twice with two counts and the difference of
// the instruction totals over the difference of the counts is the instructions per tuple. --metrics
// 1: the bolt counts every tuple in a registered counter and a meter, a statsd reporter (to a
// loopback port nobody listens on) reports every second, and LoggingMetricsConsumer gets every
// task's data points every second (metrics ticks on every executor): the cost of metrics reporting.

#include <squall/squall.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "vcpu_steal.h"

using namespace squall;

namespace {

std::atomic<uint64_t> executed{0};
std::atomic<uint64_t> acked{0};
uint64_t tupleLimit = 0;  // 0: emit until killed

class ConstSpout : public BaseRichSpout {
 public:
  explicit ConstSpout(bool reliable) : reliable_(reliable) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { collector_ = &c; }
  void nextTuple() override {
    if (tupleLimit && emitted_ == tupleLimit) return;
    ++emitted_;
    // As Storm's ConstSpout: a new Values per emit around one prebuilt payload.
    if (reliable_) {
      collector_->emit(Values{payload_}, Value(++id_));
    } else {
      collector_->emit(Values{payload_});
    }
  }
  void ack(const Value&) override {
    if (++acked_ == 1024) {
      acked.fetch_add(acked_, std::memory_order_relaxed);
      acked_ = 0;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"str"}); }

 private:
  bool reliable_;
  uint64_t emitted_ = 0;
  uint64_t acked_ = 0;
  const Value payload_{"some data"};
  SpoutOutputCollector* collector_ = nullptr;
  int64_t id_ = 0;
};

bool withMetrics = false;

class DevNullBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext& context, OutputCollector& c) override {
    collector_ = &c;
    if (withMetrics) {
      counter_ = &context.registerCounter("executed");
      meter_ = &context.registerMeter("rate");
    }
  }
  void execute(const Tuple& t) override {
    if (counter_) {
      counter_->inc();
      meter_->mark();
    }
    collector_->ack(t);
    // One shared counter update per 1024 tuples keeps the measurement out of the way.
    if (++local_ == 1024) {
      executed.fetch_add(local_, std::memory_order_relaxed);
      local_ = 0;
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
  metrics::Counter* counter_ = nullptr;
  metrics::Meter* meter_ = nullptr;
  uint64_t local_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int ackers = 0, seconds = 10, batch = 0;
  int64_t maxPending = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ackers")) ackers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--max-pending")) maxPending = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--metrics")) withMetrics = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--tuples")) tupleLimit = std::strtoull(argv[i + 1], nullptr, 10);
  }
  tupleLimit = (tupleLimit + 1023) / 1024 * 1024;
  TopologyBuilder builder;
  builder.setSpout("spout", ConstSpout(ackers > 0), 1);
  builder.setBolt("bolt", DevNullBolt(), 1).localOrShuffleGrouping("spout");
  Config conf;
  conf.setNumAckers(ackers);
  if (batch) conf.set(Config::TOPOLOGY_PRODUCER_BATCH_SIZE, batch);
  batch = static_cast<int>(conf.getInt(Config::TOPOLOGY_PRODUCER_BATCH_SIZE));
  if (maxPending) conf.setMaxSpoutPending(maxPending);
  if (withMetrics) {
    conf.set(Config::TOPOLOGY_METRICS_REPORTERS, List{Value(Map{{"class", "StatsdReporter"},
                                                                {"host", "127.0.0.1"},
                                                                {"port", 9},
                                                                {"report.period", 1}})});
    conf.set(Config::TOPOLOGY_METRICS_CONSUMER_REGISTER,
             List{Value(Map{{"class", "org.apache.storm.metric.LoggingMetricsConsumer"}})});
    conf.set(Config::TOPOLOGY_BUILTIN_METRICS_BUCKET_SIZE_SECS, 1);
  }

  LocalCluster cluster;
  if (tupleLimit) {
    auto t0 = std::chrono::steady_clock::now();
    cluster.submitTopology("bench", conf, builder.createTopology());
    // Every tuple executed and, with acking, acked; a deadline so a lost tuple cannot hang it.
    auto deadline = t0 + std::chrono::minutes(30);
    while ((executed.load() < tupleLimit || (ackers > 0 && acked.load() < tupleLimit)) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bool complete = executed.load() >= tupleLimit && (ackers == 0 || acked.load() >= tupleLimit);
    cluster.killTopologyWithOpts("bench", KillOptions{0});
    std::printf("spout->bolt ackers=%d metrics=%d tuples=%llu: %s in %.2f s\n", ackers,
                withMetrics ? 1 : 0, static_cast<unsigned long long>(tupleLimit),
                complete ? "done" : "NOT DONE", secs);
    return complete ? 0 : 1;
  }
  cluster.submitTopology("bench", conf, builder.createTopology());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up
  uint64_t before = executed.load();
  int64_t stealBefore = vcpuStealMs();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  uint64_t after = executed.load();
  int64_t stealMs = vcpuStealMs() - stealBefore;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cluster.killTopologyWithOpts("bench", KillOptions{0});
  double rate = static_cast<double>(after - before) / secs;
  std::printf(
      "spout->bolt ackers=%d batch=%d max_pending=%lld metrics=%d: %.2f M tuples/s  "
      "vcpu_steal_ms %lld\n",
      ackers, batch, static_cast<long long>(maxPending), withMetrics ? 1 : 0, rate / 1e6,
      static_cast<long long>(stealMs));
  return 0;
}
