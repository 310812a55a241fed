// Message timeouts (storm.md 3.3): the spout's pending map has two buckets rotated every
// topology.message.timeout.secs (T), so a tree nobody acks fails between T and 2T after its
// emit; topology.enable.message.timeouts=false turns that off (for the acker too);
// resetTimeout moves a tree back to the newest bucket.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "acking_support.h"

using namespace squall;
using namespace squall::testing;
using namespace std::chrono_literals;

namespace {

// What the spouts below saw, by message id.
struct Timeline {
  std::mutex mu;
  std::map<int64_t, Clock::time_point> emitted;
  std::map<int64_t, std::vector<Clock::time_point>> acked, failed;
  int64_t lastPending = -1;
  std::vector<Tuple> held;
  OutputCollector* boltOut = nullptr;
  std::atomic<int> executed{0};

  size_t failures() {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [id, v] : failed) n += v.size();
    return n;
  }
  size_t acks() {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [id, v] : acked) n += v.size();
    return n;
  }
};

// Emits `count` reliable tuples, `spacingMs` apart, so they land at different points of the
// rotation cycle.
class SpacedSpout : public BaseRichSpout {
 public:
  SpacedSpout(std::shared_ptr<Timeline> t, int count, int spacingMs)
      : tl_(std::move(t)), count_(count), spacingMs_(spacingMs) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    {
      std::lock_guard lock(tl_->mu);
      tl_->lastPending = out_->getPendingCount();
    }
    if (next_ == count_) return;
    auto now = Clock::now();
    if (next_ > 0 && msBetween(last_, now) < spacingMs_) return;
    last_ = now;
    {
      std::lock_guard lock(tl_->mu);
      tl_->emitted[next_] = now;
    }
    out_->emit(Values{next_}, Value(next_));
    ++next_;
  }
  void ack(const Value& id) override {
    std::lock_guard lock(tl_->mu);
    tl_->acked[id.asInt()].push_back(Clock::now());
  }
  void fail(const Value& id) override {
    std::lock_guard lock(tl_->mu);
    tl_->failed[id.asInt()].push_back(Clock::now());
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  std::shared_ptr<Timeline> tl_;
  SpoutOutputCollector* out_ = nullptr;
  int count_, spacingMs_;
  int64_t next_ = 0;
  Clock::time_point last_;
};

// Keeps every input and never acks it (the test may, through boltOut).
class HoldingBolt : public BaseRichBolt {
 public:
  explicit HoldingBolt(std::shared_ptr<Timeline> t) : tl_(std::move(t)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override {
    std::lock_guard lock(tl_->mu);
    tl_->boltOut = &c;
  }
  void execute(const Tuple& in) override {
    {
      std::lock_guard lock(tl_->mu);
      tl_->held.push_back(in);
    }
    tl_->executed.fetch_add(1);
  }
  void cleanup() override {
    std::lock_guard lock(tl_->mu);
    tl_->held.clear();
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<Timeline> tl_;
};

StormTopology holdTopology(const std::shared_ptr<Timeline>& tl, int count, int spacingMs) {
  TopologyBuilder b;
  b.setSpout("spout", SpacedSpout(tl, count, spacingMs));
  b.setBolt("hold", HoldingBolt(tl)).shuffleGrouping("spout");
  return b.createTopology();
}

// Allowance for tick delivery and thread scheduling on a loaded 2-core machine with sanitizers.
constexpr int64_t kSlackMs = 500;

TEST(MessageTimeout, UnackedTreeFailsBetweenTAnd2T) {
  const int kT = 1;
  auto tl = std::make_shared<Timeline>();
  Config conf;
  conf.setMessageTimeoutSecs(kT);
  LocalCluster cluster;
  // Five emits 230 ms apart cover the whole rotation cycle.
  cluster.submitTopology("timeouts", conf, holdTopology(tl, 5, 230));
  ASSERT_TRUE(waitFor([&] { return tl->failures() == 5; }, 10s)) << tl->failures() << " failed";
  std::lock_guard lock(tl->mu);
  for (const auto& [id, at] : tl->emitted) {
    ASSERT_EQ(tl->failed[id].size(), 1u) << "message " << id;
    int64_t ms = msBetween(at, tl->failed[id][0]);
    std::printf("message %lld failed %lld ms after its emit\n", static_cast<long long>(id),
                static_cast<long long>(ms));
    EXPECT_GE(ms, kT * 1000) << "message " << id << " timed out early";
    EXPECT_LE(ms, 2 * kT * 1000 + kSlackMs) << "message " << id << " timed out late";
  }
  EXPECT_TRUE(tl->acked.empty());
}

// With timeouts off, neither the spout nor the acker forgets a tree: nothing fails over three
// timeout periods, the spout keeps every tree pending, and acks sent after that still
// complete the trees.
TEST(MessageTimeout, DisabledTimeoutsNeverFailAndLateAcksStillComplete) {
  const int kT = 1;
  auto tl = std::make_shared<Timeline>();
  Config conf;
  conf.setMessageTimeoutSecs(kT);
  conf.set(Config::TOPOLOGY_ENABLE_MESSAGE_TIMEOUTS, false);
  LocalCluster cluster;
  cluster.submitTopology("no-timeouts", conf, holdTopology(tl, 5, 0));
  ASSERT_TRUE(waitFor([&] { return tl->executed.load() == 5; }, 10s));
  EXPECT_FALSE(waitFor([&] { return tl->failures() > 0; }, std::chrono::seconds(3 * kT)));
  {
    std::lock_guard lock(tl->mu);
    EXPECT_EQ(tl->lastPending, 5);
    ASSERT_EQ(tl->held.size(), 5u);
    for (const auto& t : tl->held) tl->boltOut->ack(t);
  }
  ASSERT_TRUE(waitFor([&] { return tl->acks() == 5; }, 10s));
  EXPECT_EQ(tl->failures(), 0u);
}

// The bolt keeps the "keep" tree alive with resetTimeout (prompted by unreliable heartbeat
// tuples every 50 ms) for 2.5 T, then acks it: the spout sees an ack, no fail. The "control"
// tree, held the same way but never reset, times out within 2T, and its late ack is ignored.
TEST(MessageTimeout, ResetTimeoutKeepsATreeAlivePast2T) {
  const int kT = 1;
  const int kKeep = 1, kControl = 2;
  auto tl = std::make_shared<Timeline>();

  class Spout : public BaseRichSpout {
   public:
    explicit Spout(std::shared_ptr<Timeline> t) : tl_(std::move(t)) {}
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
    void nextTuple() override {
      auto now = Clock::now();
      if (!started_) {
        started_ = true;
        {
          std::lock_guard lock(tl_->mu);
          tl_->emitted[kKeep] = now;
          tl_->emitted[kControl] = now;
        }
        out_->emit("work", Values{kKeep}, Value(kKeep));
        out_->emit("work", Values{kControl}, Value(kControl));
        lastBeat_ = now;
        return;
      }
      if (msBetween(lastBeat_, now) < 50) return;
      lastBeat_ = now;
      out_->emit("beat", Values{0});  // unreliable
    }
    void ack(const Value& id) override {
      std::lock_guard lock(tl_->mu);
      tl_->acked[id.asInt()].push_back(Clock::now());
    }
    void fail(const Value& id) override {
      std::lock_guard lock(tl_->mu);
      tl_->failed[id.asInt()].push_back(Clock::now());
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override {
      d.declareStream("work", Fields{"n"});
      d.declareStream("beat", Fields{"n"});
    }

   private:
    std::shared_ptr<Timeline> tl_;
    SpoutOutputCollector* out_ = nullptr;
    bool started_ = false;
    Clock::time_point lastBeat_;
  };

  class Resetter : public BaseRichBolt {
   public:
    explicit Resetter(std::shared_ptr<Timeline> t) : tl_(std::move(t)) {}
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
    void execute(const Tuple& in) override {
      if (in.getSourceStreamId() == "work") {
        (in.getLong(0) == kKeep ? keep_ : control_) = in;
        since_ = Clock::now();
        return;
      }
      if (!keep_.valid()) return;
      if (msBetween(since_, Clock::now()) < 2500 * kT) {
        out_->resetTimeout(keep_);
        tl_->executed.fetch_add(1);  // resets sent
        return;
      }
      out_->ack(keep_);
      keep_ = Tuple();
      if (control_.valid()) {
        out_->ack(control_);
        control_ = Tuple();
      }
    }
    void cleanup() override {
      keep_ = Tuple();
      control_ = Tuple();
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}

   private:
    std::shared_ptr<Timeline> tl_;
    OutputCollector* out_ = nullptr;
    Tuple keep_, control_;
    Clock::time_point since_;
  };

  TopologyBuilder b;
  b.setSpout("spout", Spout(tl));
  b.setBolt("resetter", Resetter(tl))
      .shuffleGrouping("spout", "work")
      .shuffleGrouping("spout", "beat");
  Config conf;
  conf.setMessageTimeoutSecs(kT);
  LocalCluster cluster;
  cluster.submitTopology("reset-timeout", conf, b.createTopology());
  ASSERT_TRUE(waitFor(
      [&] {
        std::lock_guard lock(tl->mu);
        return !tl->acked[kKeep].empty();
      },
      15s));
  // The control's late ack has been sent together with the keep's; it must not turn into an
  // ack at the spout. Both went through the same acker, so once keep's ack is seen, control's
  // has been handled.
  EXPECT_FALSE(waitFor([&] { return tl->acks() > 1; }, 300ms));
  std::lock_guard lock(tl->mu);
  int64_t keptMs = msBetween(tl->emitted[kKeep], tl->acked[kKeep][0]);
  std::printf("kept alive %lld ms with %d resets\n", static_cast<long long>(keptMs),
              tl->executed.load());
  EXPECT_GT(keptMs, 2000 * kT);
  EXPECT_EQ(tl->acked[kKeep].size(), 1u);
  EXPECT_TRUE(tl->failed[kKeep].empty()) << "the reset tree timed out";
  ASSERT_EQ(tl->failed[kControl].size(), 1u);
  EXPECT_LE(msBetween(tl->emitted[kControl], tl->failed[kControl][0]), 2000 * kT + kSlackMs);
  EXPECT_TRUE(tl->acked[kControl].empty());
}

}  // namespace
