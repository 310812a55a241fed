// A bolt's OutputCollector may be used from the bolt's own threads (storm.md 2.1: Storm
// documents it as thread-safe, and ShellBolt emits and acks from its reader thread). Run it
// under the tsan preset: a data race here is a test failure.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPerStream = 50;

// Emits [n] with message id "a<n>" on stream "a" for n < 50, then, a little later, the same
// on stream "b": a helper thread is then already acking while the executor sees its first
// tuple of a second stream.
class TwoPhaseSpout : public BaseRichSpout {
 public:
  explicit TwoPhaseSpout(std::string label) : label_(std::move(label)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& collector) override {
    collector_ = &collector;
  }
  void nextTuple() override {
    if (next_ < kPerStream) {
      if (next_ == 0) firstEmit_ = Clock::now();
      int64_t n = next_++;
      collector_->emit("a", Values{n}, Value("a" + std::to_string(n)));
      return;
    }
    if (next_ >= 2 * kPerStream) return;
    // Timing only shapes the interleaving; nothing below depends on it for correctness.
    if (Clock::now() - firstEmit_ < std::chrono::milliseconds(100)) return;
    int64_t n = next_++ - kPerStream;
    collector_->emit("b", Values{n}, Value("b" + std::to_string(n)));
  }
  void ack(const Value& id) override { events().add(label_ + ".ack", id.asString()); }
  void fail(const Value& id) override { events().add(label_ + ".fail", id.asString()); }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declareStream("a", Fields{"n"});
    d.declareStream("b", Fields{"n"});
  }

 private:
  std::string label_;
  SpoutOutputCollector* collector_ = nullptr;
  int64_t next_ = 0;
  Clock::time_point firstEmit_;
};

// Hands every input to its own thread, which emits anchored to it and acks it. The handoff
// is a one-way publication (the helper never writes what the executor reads), so the helper's
// collector calls are ordered with the executor's only by the collector's own locking.
class HelperThreadBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& collector) override {
    state_ = std::make_shared<State>();
    state_->collector = &collector;
    state_->helper = std::thread([s = state_] { s->run(); });
  }
  void execute(const Tuple& t) override {
    int i = state_->published.load(std::memory_order_relaxed);
    ASSERT_LT(i, 2 * kPerStream) << "unexpected input " << t.toString();
    state_->slots.at(static_cast<size_t>(i)) = t;
    state_->published.store(i + 1, std::memory_order_release);
  }
  void cleanup() override {
    state_->stop = true;
    state_->helper.join();
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"stream", "n"}); }

 private:
  struct State {
    OutputCollector* collector = nullptr;
    std::array<Tuple, 2 * kPerStream> slots;
    std::atomic<int> published{0};
    std::atomic<bool> stop{false};
    std::thread helper;

    void run() {
      int done = 0;
      while (!stop) {
        int ready = published.load(std::memory_order_acquire);
        if (done == ready) {
          // Polls rather than blocks: a mutex or condition variable here would order this
          // thread with the executor and hide from TSan the races this test looks for.
          std::this_thread::yield();
          continue;
        }
        for (; done < ready; ++done) {
          Tuple& t = slots[static_cast<size_t>(done)];
          collector->emit(t, Values{t.getSourceStreamId(), t.getLong(0)});
          collector->ack(t);
          // The tuple is kept until the bolt goes: were its body recycled now, the pool's
          // hand-back would order the executor after this thread and hide a race from TSan.
        }
      }
    }
  };
  std::shared_ptr<State> state_;
};

void runHelperThreadTopology(const std::string& name, int ackers) {
  TopologyBuilder b;
  b.setSpout("spout", TwoPhaseSpout(name), 1);
  b.setBolt("helper", HelperThreadBolt(), 1)
      .shuffleGrouping("spout", "a")
      .shuffleGrouping("spout", "b");
  b.setBolt("sink", RecordingBolt(name + ".sink"), 2).shuffleGrouping("helper");
  LocalCluster cluster;
  cluster.submitTopology(name, testConfig(ackers), b.createTopology());
  ASSERT_TRUE(waitFor([&] {
    return dataCount(name + ".sink") >= 2 * kPerStream &&
           (ackers == 0 || events().count(name + ".ack") >= 2 * kPerStream);
  })) << describe(cluster.getErrors(name));
  auto errors = cluster.getErrors(name);
  cluster.killTopologyWithOpts(name, KillOptions{0});

  EXPECT_TRUE(errors.empty()) << describe(errors);
  EXPECT_EQ(events().count(name + ".fail"), 0u);
  auto acked = events().get(name + ".ack");
  // Without ackers a reliable emit is acked at once, inside emit().
  EXPECT_EQ(std::set<std::string>(acked.begin(), acked.end()).size(), 2u * kPerStream);
  auto sink = dataSeen(name + ".sink");
  ASSERT_EQ(sink.size(), 2u * kPerStream);
  std::set<std::pair<std::string, int64_t>> got;
  for (const auto& s : sink) got.emplace(s.values.at(0).asString(), s.values.at(1).asInt());
  EXPECT_EQ(got.size(), 2u * kPerStream);
}

// With acking on, the helper's acks reach the spout before it moves on to stream "b".
TEST(CollectorThreads, EmitAndAckFromABoltsOwnThreadWithAckers) {
  runHelperThreadTopology("threads-acking", 1);
}

// Without ackers nothing orders the helper's collector calls with the executor thread's
// bookkeeping for the new stream "b" except the collector itself.
TEST(CollectorThreads, EmitAndAckFromABoltsOwnThreadWithoutAckers) {
  runHelperThreadTopology("threads-plain", 0);
}

}  // namespace
