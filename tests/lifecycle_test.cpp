// Topology lifecycle (storm.md 2.1, 3.3, 5.5): activate/deactivate reach the spouts, nothing
// calls nextTuple() while inactive, kill closes and cleans up every task and frees the name,
// several topologies share a LocalCluster, and its destructor stops them all.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

using Clock = std::chrono::steady_clock;

struct Counters {
  std::atomic<int64_t> nextTuple{0};
  std::atomic<int64_t> emitted{0};
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> executed{0};
};

Counters& counters(const std::string& label) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Counters>> all;
  std::lock_guard lock(mu);
  auto& c = all[label];
  if (!c) c = std::make_unique<Counters>();
  return *c;
}

size_t countOf(const std::string& label, const std::string& event) {
  auto ev = events().get(label);
  return static_cast<size_t>(std::count(ev.begin(), ev.end(), event));
}

// Logs its lifecycle calls, counts nextTuple() and flags any call made while inactive. Emits
// [n] at most once a millisecond (so it idles most of the time), up to `limit` tuples, with
// n as message id when `reliable`.
class LifecycleSpout : public BaseRichSpout {
 public:
  explicit LifecycleSpout(std::string label, int64_t limit = -1, bool reliable = false)
      : label_(std::move(label)), limit_(limit), reliable_(reliable) {}

  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    counters_ = &counters(label_);
    events().add(label_, "open");
  }
  void activate() override {
    active_ = true;
    events().add(label_, "activate");
  }
  void deactivate() override {
    active_ = false;
    events().add(label_, "deactivate");
  }
  void close() override { events().add(label_, "close"); }
  void nextTuple() override {
    ++counters_->nextTuple;
    if (!active_) events().add(label_ + ".violation", "nextTuple while inactive");
    if (limit_ >= 0 && emitted_ >= limit_) return;
    auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(1)) return;
    last_ = now;
    int64_t n = emitted_++;
    collector_->emit(Values{n}, reliable_ ? Value(n) : Value());
    ++counters_->emitted;
  }
  void ack(const Value&) override { ++counters_->acked; }
  void fail(const Value&) override { events().add(label_, "fail"); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  std::string label_;
  int64_t limit_;
  bool reliable_;
  SpoutOutputCollector* collector_ = nullptr;
  Counters* counters_ = nullptr;
  bool active_ = false;
  int64_t emitted_ = 0;
  Clock::time_point last_{};
};

class CountingBolt : public BaseRichBolt {
 public:
  explicit CountingBolt(std::string label) : label_(std::move(label)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
    counters_ = &counters(label_);
    events().add(label_, "prepare");
  }
  void execute(const Tuple& t) override {
    ++counters_->executed;
    collector_->ack(t);
  }
  void cleanup() override { events().add(label_, "cleanup"); }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  OutputCollector* collector_ = nullptr;
  Counters* counters_ = nullptr;
};

StormTopology simpleTopology(const std::string& label, int spouts = 1, int bolts = 1,
                             int boltTasks = 1) {
  TopologyBuilder b;
  b.setSpout("spout", LifecycleSpout(label + ".spout"), spouts);
  b.setBolt("bolt", CountingBolt(label + ".bolt"), bolts)
      .setNumTasks(boltTasks)
      .shuffleGrouping("spout");
  return b.createTopology();
}

TopologyStatus statusOf(const LocalCluster& cluster, const std::string& name) {
  for (const auto& s : cluster.getTopologySummaries()) {
    if (s.name == name) return s.status;
  }
  ADD_FAILURE() << "no topology " << name;
  return TopologyStatus::Killed;
}

TEST(Lifecycle, DeactivateStopsNextTupleAndActivateResumesIt) {
  LocalCluster cluster;
  cluster.submitTopology("toggle", testConfig(), simpleTopology("toggle"));
  Counters& spout = counters("toggle.spout");
  Counters& bolt = counters("toggle.bolt");
  ASSERT_TRUE(waitFor([&] {
    return countOf("toggle.spout", "activate") == 1 && bolt.executed > 0;
  })) << describe(cluster.getErrors("toggle"));
  EXPECT_EQ(statusOf(cluster, "toggle"), TopologyStatus::Active);

  cluster.deactivate("toggle");
  EXPECT_EQ(statusOf(cluster, "toggle"), TopologyStatus::Inactive);
  ASSERT_TRUE(waitFor([] { return countOf("toggle.spout", "deactivate") == 1; }));
  int64_t calls = spout.nextTuple;
  int64_t emits = spout.emitted;
  // Absence can only be observed over a window: 300 ms is ~300 idle loops of an active spout.
  EXPECT_FALSE(waitFor([&] { return spout.nextTuple > calls; }, std::chrono::milliseconds(300)))
      << "nextTuple() was called on a deactivated spout";
  EXPECT_EQ(spout.emitted.load(), emits);
  // Everything emitted before deactivation is still delivered.
  EXPECT_TRUE(waitFor([&] { return bolt.executed == emits; }));

  cluster.activate("toggle");
  EXPECT_EQ(statusOf(cluster, "toggle"), TopologyStatus::Active);
  ASSERT_TRUE(waitFor([&] {
    return countOf("toggle.spout", "activate") == 2 && spout.emitted > emits + 10 &&
           bolt.executed > emits + 10;
  }));
  cluster.killTopologyWithOpts("toggle", KillOptions{0});

  EXPECT_EQ(events().count("toggle.spout.violation"), 0u);
  auto ev = events().get("toggle.spout");
  ASSERT_GE(ev.size(), 5u);
  EXPECT_EQ((std::vector<std::string>(ev.begin(), ev.begin() + 4)),
            (std::vector<std::string>{"open", "activate", "deactivate", "activate"}));
  EXPECT_EQ(ev.back(), "close");
  EXPECT_EQ(events().get("toggle.bolt"), (std::vector<std::string>{"prepare", "cleanup"}));
}

TEST(Lifecycle, KillWithAWaitDeactivatesFirstThenClosesAndFreesTheName) {
  LocalCluster cluster;
  cluster.submitTopology("drain", testConfig(), simpleTopology("drain"));
  ASSERT_TRUE(waitFor([] { return counters("drain.bolt").executed > 0; }));
  auto before = Clock::now();
  cluster.killTopologyWithOpts("drain", KillOptions{1});
  EXPECT_GE(Clock::now() - before, std::chrono::milliseconds(950));
  EXPECT_EQ(events().get("drain.spout"),
            (std::vector<std::string>{"open", "activate", "deactivate", "close"}));
  EXPECT_EQ(events().count("drain.spout.violation"), 0u);
  EXPECT_EQ(events().get("drain.bolt"), (std::vector<std::string>{"prepare", "cleanup"}));
  EXPECT_TRUE(cluster.getTopologySummaries().empty());
  EXPECT_THROW(cluster.killTopology("drain"), IllegalArgumentException);
}

TEST(Lifecycle, KillClosesAndCleansUpEveryTaskAndTheNameCanBeReused) {
  LocalCluster cluster;
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    cluster.submitTopology("reuse", testConfig(1), simpleTopology("reuse", 2, 2, 3));
    ASSERT_TRUE(waitFor([&] {
      return countOf("reuse.spout", "activate") == 2u * round &&
             countOf("reuse.bolt", "prepare") == 3u * round;
    })) << describe(cluster.getErrors("reuse"));
    auto summaries = cluster.getTopologySummaries();
    ASSERT_EQ(summaries.size(), 1u);
    EXPECT_EQ(summaries[0].name, "reuse");
    EXPECT_EQ(summaries[0].tasks, 2 + 3 + 1);
    EXPECT_EQ(summaries[0].executors, 2 + 2 + 1);

    cluster.killTopologyWithOpts("reuse", KillOptions{0});
    EXPECT_TRUE(cluster.getTopologySummaries().empty());
    EXPECT_EQ(countOf("reuse.spout", "open"), 2u * round);
    EXPECT_EQ(countOf("reuse.spout", "close"), 2u * round);
    EXPECT_EQ(countOf("reuse.bolt", "cleanup"), 3u * round);
  }
  EXPECT_EQ(events().count("reuse.spout.violation"), 0u);
}

TEST(Lifecycle, TopologiesInOneClusterRunAndDieIndependently) {
  LocalCluster cluster;
  cluster.submitTopology("first", testConfig(1), simpleTopology("first"));
  cluster.submitTopology("second", testConfig(), simpleTopology("second", 2, 2));
  Counters& first = counters("first.bolt");
  Counters& second = counters("second.bolt");
  ASSERT_TRUE(waitFor([&] { return first.executed > 0 && second.executed > 0; }));
  auto summaries = cluster.getTopologySummaries();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_NE(summaries[0].id, summaries[1].id);

  cluster.deactivate("first");
  EXPECT_EQ(statusOf(cluster, "first"), TopologyStatus::Inactive);
  EXPECT_EQ(statusOf(cluster, "second"), TopologyStatus::Active);
  int64_t secondBefore = second.executed;
  EXPECT_TRUE(waitFor([&] { return second.executed > secondBefore + 10; }))
      << "deactivating one topology stalled the other";

  cluster.killTopologyWithOpts("first", KillOptions{0});
  EXPECT_EQ(countOf("first.spout", "close"), 1u);
  EXPECT_EQ(countOf("second.spout", "close"), 0u);
  secondBefore = second.executed;
  EXPECT_TRUE(waitFor([&] { return second.executed > secondBefore + 10; }))
      << "killing one topology stalled the other";
  summaries = cluster.getTopologySummaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].name, "second");
  EXPECT_EQ(summaries[0].status, TopologyStatus::Active);
  EXPECT_TRUE(cluster.getErrors("second").empty()) << describe(cluster.getErrors("second"));
}

TEST(Lifecycle, DestroyingTheClusterStopsEveryTopology) {
  {
    LocalCluster cluster;
    cluster.submitTopology("d1", testConfig(1), simpleTopology("d1", 2, 1, 2));
    cluster.submitTopology("d2", testConfig(), simpleTopology("d2"));
    ASSERT_TRUE(waitFor([] {
      return counters("d1.bolt").executed > 0 && counters("d2.bolt").executed > 0;
    }));
  }
  // Every executor has been joined and every task closed or cleaned up.
  EXPECT_EQ(countOf("d1.spout", "close"), 2u);
  EXPECT_EQ(countOf("d1.bolt", "cleanup"), 2u);
  EXPECT_EQ(countOf("d2.spout", "close"), 1u);
  EXPECT_EQ(countOf("d2.bolt", "cleanup"), 1u);
  EXPECT_EQ(events().get("d2.spout").back(), "close");
}

TEST(Lifecycle, ShutdownIsIdempotentAndUnknownNamesAreErrors) {
  LocalCluster cluster;
  EXPECT_THROW(cluster.killTopology("ghost"), IllegalArgumentException);
  EXPECT_THROW(cluster.activate("ghost"), IllegalArgumentException);
  EXPECT_THROW(cluster.deactivate("ghost"), IllegalArgumentException);
  EXPECT_THROW(cluster.getErrors("ghost"), IllegalArgumentException);
  cluster.submitTopology("once", testConfig(), simpleTopology("once"));
  ASSERT_TRUE(waitFor([] { return counters("once.bolt").executed > 0; }));
  cluster.shutdown();
  EXPECT_TRUE(cluster.getTopologySummaries().empty());
  EXPECT_EQ(countOf("once.spout", "close"), 1u);
  cluster.shutdown();
  EXPECT_EQ(countOf("once.spout", "close"), 1u);
}

// Keeps every tuple unacked until `release` is set, then acks what it holds on its next tick.
std::atomic<bool> release{false};

class HoldingBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
  }
  void execute(const Tuple& t) override {
    if (!t.isTick()) {
      held_.push_back(t);
      ++counters("hold.bolt").executed;
      return;
    }
    if (!release) return;
    for (const auto& h : held_) collector_->ack(h);
    held_.clear();
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  OutputCollector* collector_ = nullptr;
  std::vector<Tuple> held_;
};

TEST(Lifecycle, AcksReachADeactivatedSpout) {
  TopologyBuilder b;
  b.setSpout("spout", LifecycleSpout("hold.spout", 5, /*reliable=*/true), 1);
  b.setBolt("hold", HoldingBolt(), 1)
      .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1)
      .shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("hold", testConfig(1), b.createTopology());
  Counters& spout = counters("hold.spout");
  ASSERT_TRUE(waitFor([] { return counters("hold.bolt").executed == 5; }));
  EXPECT_EQ(spout.acked.load(), 0);

  cluster.deactivate("hold");
  ASSERT_TRUE(waitFor([] { return countOf("hold.spout", "deactivate") == 1; }));
  release = true;
  ASSERT_TRUE(waitFor([&] { return spout.acked == 5; })) << describe(cluster.getErrors("hold"));
  EXPECT_EQ(statusOf(cluster, "hold"), TopologyStatus::Inactive);
  EXPECT_EQ(countOf("hold.spout", "fail"), 0u);
  cluster.killTopologyWithOpts("hold", KillOptions{0});
  EXPECT_EQ(events().count("hold.spout.violation"), 0u);
}

}  // namespace
