// Backpressure keeps memory bounded (storm.md 3.6): a spout that emits as fast as it can,
// unreliably and without max pending, into a bolt about 100x slower must be held back by the
// bolt's bounded receive queue, not buffered without limit. Resident memory stays flat and the
// spout is never more than a queue's worth (plus its own small overflow) ahead of the bolt.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "acking_support.h"

using namespace squall;
using namespace squall::testing;
using namespace std::chrono_literals;

namespace {

struct Counts {
  std::atomic<int64_t> emitted{0};
  std::atomic<int64_t> executed{0};
};

class FloodSpout : public BaseRichSpout {
 public:
  explicit FloodSpout(std::shared_ptr<Counts> c) : c_(std::move(c)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    out_->emit(Values{next_++, "payload"});  // unreliable
    c_->emitted.fetch_add(1, std::memory_order_relaxed);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n", "text"}); }

 private:
  std::shared_ptr<Counts> c_;
  SpoutOutputCollector* out_ = nullptr;
  int64_t next_ = 0;
};

// About 10 us of work per tuple.
class SlowBolt : public BaseRichBolt {
 public:
  explicit SlowBolt(std::shared_ptr<Counts> c) : c_(std::move(c)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple& in) override {
    auto until = Clock::now() + 10us;
    uint64_t x = static_cast<uint64_t>(in.getLong(0));
    while (Clock::now() < until) x = x * 6364136223846793005ULL + 1;
    sink_ ^= x;
    c_->executed.fetch_add(1, std::memory_order_relaxed);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<Counts> c_;
  uint64_t sink_ = 0;
};

TEST(Backpressure, SlowBoltKeepsMemoryFlatAndHoldsTheSpoutBack) {
  const int kQueue = 1024;
  auto c = std::make_shared<Counts>();
  TopologyBuilder b;
  b.setSpout("flood", FloodSpout(c));
  b.setBolt("slow", SlowBolt(c)).shuffleGrouping("flood");
  Config conf;
  conf.set(Config::TOPOLOGY_EXECUTOR_RECEIVE_BUFFER_SIZE, kQueue);
  LocalCluster cluster;
  cluster.submitTopology("flood", conf, b.createTopology());
  ASSERT_TRUE(waitReady(cluster, "flood"));

  // Warm-up: queues full, pools and allocator caches at their working size.
  ASSERT_TRUE(waitFor([&] { return c->executed.load() >= 20'000; }, 30s));
  int64_t rss0 = residentBytes();
  ASSERT_GT(rss0, 0);
  int64_t executed0 = c->executed.load(), emitted0 = c->emitted.load();

  // Measure while the slow bolt executes 30,000 more tuples (about 3 s): resident memory and
  // how far the spout runs ahead of the bolt, sampled at every poll.
  int64_t rssMax = rss0, aheadMax = 0;
  ASSERT_TRUE(waitFor(
      [&] {
        int64_t executed = c->executed.load();  // first, so `ahead` can only be overestimated
        int64_t emitted = c->emitted.load();
        aheadMax = std::max(aheadMax, emitted - executed);
        rssMax = std::max(rssMax, residentBytes());
        return executed - executed0 >= 30'000;
      },
      60s));
  int64_t executed = c->executed.load() - executed0;
  int64_t emitted = c->emitted.load() - emitted0;
  int64_t growth = rssMax - rss0;
  std::printf(
      "rss after warm-up %.1f MiB, max %.1f MiB (+%.1f MiB); while measuring the spout emitted "
      "%lld and the bolt executed %lld; spout at most %lld tuples ahead\n",
      rss0 / 1048576.0, rssMax / 1048576.0, growth / 1048576.0, static_cast<long long>(emitted),
      static_cast<long long>(executed), static_cast<long long>(aheadMax));
  RecordProperty("rss_growth_bytes", std::to_string(growth));
  RecordProperty("max_spout_lead", std::to_string(aheadMax));

  EXPECT_GT(executed, 10'000) << "the bolt barely ran";
  EXPECT_LT(growth, 64LL << 20);
  // The bolt's queue, plus the spout's batch and the overflow of one burst of nextTuple calls.
  EXPECT_LE(aheadMax, kQueue + 4096);
}

}  // namespace
