// Slow user code must not hold back what it already emitted, nor its acks, nor a stop:
// emits leave within about topology.batch.flush.interval.millis (1 ms) whatever the component
// does next, acks and deactivation reach a spout between two slow nextTuple calls, and a kill
// waits for at most one slow call. Before the flush clock, a spout published after a burst of
// 64 nextTuple rounds and a bolt after up to 1024 executes, so a spout sleeping 0.1 s per
// round held its tuples, acks and stop for 6.4 s.
//
// Bounds are loose (a sanitizer build on a loaded machine) but far below what batching
// without a time bound gives.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double msSince(int64_t ns) {
  return static_cast<double>(nowNs() - ns) / 1e6;
}

// Per label: when each tuple n was emitted and acked, and how long it took to arrive.
struct Timeline {
  std::mutex mu;
  std::map<int64_t, int64_t> emittedNs;
  std::map<int64_t, double> arrivalMs;  // delay from emit to execute
  std::map<int64_t, double> ackMs;      // delay from emit to the spout's ack()
  std::vector<std::string> events;      // activate, deactivate, close

  void emitted(int64_t n, int64_t ns) {
    std::lock_guard lock(mu);
    emittedNs[n] = ns;
  }
  void arrived(int64_t n, int64_t emitNs) {
    std::lock_guard lock(mu);
    arrivalMs[n] = static_cast<double>(nowNs() - emitNs) / 1e6;
  }
  void acked(int64_t n) {
    std::lock_guard lock(mu);
    ackMs[n] = msSince(emittedNs.at(n));
  }
  void event(std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  }
  size_t arrivals() {
    std::lock_guard lock(mu);
    return arrivalMs.size();
  }
  size_t acks() {
    std::lock_guard lock(mu);
    return ackMs.size();
  }
  bool saw(const std::string& e) {
    std::lock_guard lock(mu);
    return std::find(events.begin(), events.end(), e) != events.end();
  }
};

Timeline& timeline(const std::string& label) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Timeline>> all;
  std::lock_guard lock(mu);
  auto& t = all[label];
  if (!t) t = std::make_unique<Timeline>();
  return *t;
}

// A spout like Storm's tester_spout.py in C++: each nextTuple sleeps, and emits one reliable
// tuple [n, emit time] before or after the sleep.
class SlowSpout : public BaseRichSpout {
 public:
  SlowSpout(std::string label, std::chrono::milliseconds sleep, bool emitFirst)
      : label_(std::move(label)), sleep_(sleep), emitFirst_(emitFirst) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    if (!emitFirst_) std::this_thread::sleep_for(sleep_);
    int64_t n = next_++;
    int64_t at = nowNs();
    timeline(label_).emitted(n, at);
    collector_->emit(Values{n, at}, Value(n));
    if (emitFirst_) std::this_thread::sleep_for(sleep_);
  }
  void ack(const Value& id) override { timeline(label_).acked(id.asInt()); }
  void activate() override { timeline(label_).event("activate"); }
  void deactivate() override { timeline(label_).event("deactivate"); }
  void close() override { timeline(label_).event("close"); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n", "at"}); }

 private:
  std::string label_;
  std::chrono::milliseconds sleep_;
  bool emitFirst_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

// Records how long each [n, emit time] took to arrive, and acks it.
class ArrivalBolt : public BaseRichBolt {
 public:
  explicit ArrivalBolt(std::string label) : label_(std::move(label)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
  }
  void execute(const Tuple& t) override {
    timeline(label_).arrived(t.getLong(0), t.getLong(1));
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::string label_;
  OutputCollector* collector_ = nullptr;
};

double maxOf(const std::map<int64_t, double>& m) {
  double out = 0;
  for (const auto& [n, v] : m) out = std::max(out, v);
  return out;
}

std::string show(const std::map<int64_t, double>& m) {
  std::string out;
  for (const auto& [n, v] : m) out += std::to_string(n) + ":" + std::to_string(v) + "ms ";
  return out;
}

// Seconds killTopologyWithOpts takes with no drain wait.
double killSecs(LocalCluster& cluster, const std::string& name) {
  KillOptions kill;
  kill.waitSecs = 0;
  auto start = Clock::now();
  cluster.killTopologyWithOpts(name, kill);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(SlowSpout, TuplesLeaveAndAcksArriveBetweenSlowRounds) {
  const std::string label = "sleep-then-emit";
  TopologyBuilder b;
  b.setSpout("slow", SlowSpout(label, 100ms, /*emitFirst=*/false), 1);
  b.setBolt("sink", ArrivalBolt(label), 1).shuffleGrouping("slow");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(1), b.createTopology());
  Timeline& tl = timeline(label);

  // Five rounds take 0.5 s; batching without a time bound held them for 64 rounds (6.4 s).
  ASSERT_TRUE(waitFor([&] { return tl.acks() >= 5; }, 4s))
      << "arrived: " << show(tl.arrivalMs) << " acked: " << show(tl.ackMs);
  {
    std::lock_guard lock(tl.mu);
    EXPECT_LT(maxOf(tl.arrivalMs), 50.0) << show(tl.arrivalMs);
    // An ack is delivered between two rounds: at most about one round after its emit.
    EXPECT_LT(maxOf(tl.ackMs), 400.0) << show(tl.ackMs);
  }

  auto start = Clock::now();
  cluster.deactivate(label);
  ASSERT_TRUE(waitFor([&] { return tl.saw("deactivate"); }, 2s));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 0.5);

  cluster.activate(label);
  ASSERT_TRUE(waitFor([&] { return tl.arrivals() >= 8; }, 4s));
  // A kill waits for the round in progress (0.1 s), not for a burst.
  EXPECT_LT(killSecs(cluster, label), 1.0);
  EXPECT_TRUE(tl.saw("close"));
}

TEST(SlowSpout, AnEmitDoesNotWaitForTheRestOfASlowNextTuple) {
  // Emits, then sleeps 0.3 s inside the same nextTuple: once the executor has seen one slow
  // round, it publishes each emit at once instead of at the end of the call.
  const std::string label = "emit-then-sleep";
  TopologyBuilder b;
  b.setSpout("slow", SlowSpout(label, 300ms, /*emitFirst=*/true), 1);
  b.setBolt("sink", ArrivalBolt(label), 1).shuffleGrouping("slow");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(0), b.createTopology());
  Timeline& tl = timeline(label);
  ASSERT_TRUE(waitFor([&] { return tl.arrivals() >= 4; }, 5s)) << show(tl.arrivalMs);
  {
    std::lock_guard lock(tl.mu);
    for (const auto& [n, ms] : tl.arrivalMs) {
      if (n == 0) continue;  // the first round is the one that shows the spout is slow
      EXPECT_LT(ms, 150.0) << "tuple " << n << ": " << show(tl.arrivalMs);
    }
  }
  EXPECT_LT(killSecs(cluster, label), 1.5);
}

// Idle (emits nothing) for `idleFor`, long enough for the flush clock to park; then each
// nextTuple sleeps `sleep` and emits one tuple at its end.
class IdleThenSlowSpout : public BaseRichSpout {
 public:
  IdleThenSlowSpout(std::string label, std::chrono::milliseconds idleFor,
                    std::chrono::milliseconds sleep)
      : label_(std::move(label)), idleFor_(idleFor), sleep_(sleep) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    idleUntil_ = Clock::now() + idleFor_;
  }
  void nextTuple() override {
    if (Clock::now() < idleUntil_) return;
    std::this_thread::sleep_for(sleep_);
    int64_t n = next_++;
    int64_t at = nowNs();
    timeline(label_).emitted(n, at);
    collector_->emit(Values{n, at}, Value(n));
  }
  void ack(const Value& id) override { timeline(label_).acked(id.asInt()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n", "at"}); }

 private:
  std::string label_;
  std::chrono::milliseconds idleFor_, sleep_;
  Clock::time_point idleUntil_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
};

TEST(SlowSpout, AfterAnIdleSpellASlowRoundStillPublishesAtOnce) {
  // The flush clock parks while the topology is idle (FlushClock::kParkAfterNs). The first
  // slow round after it must still count as slow: its tuple leaves when the round ends, not
  // after the next slow round.
  const std::string label = "idle-then-slow";
  TopologyBuilder b;
  b.setSpout("slow", IdleThenSlowSpout(label, 400ms, 200ms), 1);
  b.setBolt("sink", ArrivalBolt(label), 1).shuffleGrouping("slow");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(0), b.createTopology());
  Timeline& tl = timeline(label);
  ASSERT_TRUE(waitFor([&] { return tl.arrivals() >= 3; }, 5s)) << show(tl.arrivalMs);
  {
    std::lock_guard lock(tl.mu);
    EXPECT_LT(maxOf(tl.arrivalMs), 100.0) << show(tl.arrivalMs);
  }
  EXPECT_LT(killSecs(cluster, label), 1.0);
}

// Sleeps in every execute, then emits [n, emit time] downstream.
class SlowBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    collector_ = &collector;
  }
  void execute(const Tuple& t) override {
    std::this_thread::sleep_for(20ms);
    collector_->emit(Values{t.getLong(1), nowNs()});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n", "at"}); }

 private:
  OutputCollector* collector_ = nullptr;
};

TEST(SlowBolt, OutputsLeaveWhileItsInputQueueIsLong) {
  // 200 tuples queue up at once; the bolt takes 20 ms each. Without a time bound its outputs
  // waited for a chunk of 64 executes (1.3 s), and a kill for up to 1024 (the whole queue).
  const std::string label = "slow-bolt";
  TopologyBuilder b;
  b.setSpout("fast", SeqSpout(label + ".spout", 200), 1);
  b.setBolt("slow", SlowBolt(), 1).shuffleGrouping("fast");
  b.setBolt("sink", ArrivalBolt(label), 1).shuffleGrouping("slow");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(0), b.createTopology());
  Timeline& tl = timeline(label);
  ASSERT_TRUE(waitFor([&] { return tl.arrivals() >= 5; }, 4s));
  {
    std::lock_guard lock(tl.mu);
    EXPECT_LT(maxOf(tl.arrivalMs), 100.0) << show(tl.arrivalMs);
  }
  // The bolt still has well over a hundred tuples queued (2+ s of work).
  EXPECT_LT(tl.arrivals(), 150u);
  EXPECT_LT(killSecs(cluster, label), 1.0);
}

// Emits [n, emit time] from a thread of its own every 20 ms, with no input at all.
class OwnThreadBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    state_ = std::make_shared<State>();
    state_->thread = std::thread([&collector, s = state_] {
      for (int64_t n = 0; !s->stop; ++n) {
        collector.emit(Values{n, nowNs()});
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  void execute(const Tuple&) override {}
  void cleanup() override {
    state_->stop = true;
    if (state_->thread.joinable()) state_->thread.join();
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n", "at"}); }

 private:
  struct State {
    std::atomic<bool> stop{false};
    std::thread thread;
  };
  std::shared_ptr<State> state_;
};

TEST(OwnThreadBolt, EmitsFromItsThreadLeaveAtOnce) {
  const std::string label = "own-thread";
  TopologyBuilder b;
  b.setSpout("idle", SeqSpout(label + ".spout", 0), 1);
  b.setBolt("emitter", OwnThreadBolt(), 1).shuffleGrouping("idle");
  b.setBolt("sink", ArrivalBolt(label), 1).shuffleGrouping("emitter");
  LocalCluster cluster;
  cluster.submitTopology(label, testConfig(0), b.createTopology());
  Timeline& tl = timeline(label);
  ASSERT_TRUE(waitFor([&] { return tl.arrivals() >= 10; }, 4s));
  {
    std::lock_guard lock(tl.mu);
    EXPECT_LT(maxOf(tl.arrivalMs), 50.0) << show(tl.arrivalMs);
  }
  EXPECT_LT(killSecs(cluster, label), 1.0);
}

}  // namespace
