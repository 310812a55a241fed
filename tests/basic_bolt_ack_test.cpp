// Basic bolts (storm.md 2.1): every emit is anchored to the input, the input is acked when
// execute() returns, FailedException fails it, and ReportedFailedException also reports the
// error (LocalCluster::getErrors).

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "acking_support.h"

using namespace squall;
using namespace squall::testing;
using namespace std::chrono_literals;

namespace {

struct BasicState {
  std::mutex mu;
  std::set<int64_t> acked, failed;
  std::set<std::pair<int64_t, int64_t>> sunk;  // (id, k)
  int64_t duplicates = 0;

  size_t ended() {
    std::lock_guard lock(mu);
    return acked.size() + failed.size();
  }
};

class OnceSpout : public BaseRichSpout {
 public:
  OnceSpout(std::shared_ptr<BasicState> s, int n) : st_(std::move(s)), n_(n) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ == n_) return;
    out_->emit(Values{next_}, Value(next_));
    ++next_;
  }
  void ack(const Value& id) override {
    std::lock_guard lock(st_->mu);
    if (!st_->acked.insert(id.asInt()).second || st_->failed.count(id.asInt())) ++st_->duplicates;
  }
  void fail(const Value& id) override {
    std::lock_guard lock(st_->mu);
    if (!st_->failed.insert(id.asInt()).second || st_->acked.count(id.asInt())) ++st_->duplicates;
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id"}); }

 private:
  std::shared_ptr<BasicState> st_;
  SpoutOutputCollector* out_ = nullptr;
  int n_;
  int64_t next_ = 0;
};

// [id] -> [id, 0], [id, 1]
class SplitTwo : public BaseBasicBolt {
 public:
  void execute(const Tuple& in, BasicOutputCollector& out) override {
    for (int k = 0; k < 2; ++k) out.emit(Values{in.getLong(0), k});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "k"}); }
};

// Passes [id, k] on, except: ids ending in 3 emit, then fail part 1 with FailedException;
// ids ending in 7 fail part 0 with ReportedFailedException.
class PassOrFail : public BaseBasicBolt {
 public:
  void execute(const Tuple& in, BasicOutputCollector& out) override {
    int64_t id = in.getLong(0), k = in.getLong(1);
    if (id % 10 == 7 && k == 0) throw ReportedFailedException("bad id " + std::to_string(id));
    out.emit(Values{id, k});
    if (id % 10 == 3 && k == 1) throw FailedException("plain failure " + std::to_string(id));
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "k"}); }
};

// Records what it acks; fails part 0 of ids ending in 5: only anchoring carries that failure
// back past the two bolts that already acked their inputs.
class RecordingSink : public BaseBasicBolt {
 public:
  explicit RecordingSink(std::shared_ptr<BasicState> s) : st_(std::move(s)) {}
  void execute(const Tuple& in, BasicOutputCollector&) override {
    int64_t id = in.getLong(0), k = in.getLong(1);
    if (id % 10 == 5 && k == 0) throw FailedException();
    std::lock_guard lock(st_->mu);
    st_->sunk.emplace(id, k);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<BasicState> st_;
};

TEST(BasicBolt, AutoAnchorsAutoAcksAndFailsOnFailedException) {
  const int kIds = 40;
  auto st = std::make_shared<BasicState>();
  TopologyBuilder b;
  b.setSpout("spout", OnceSpout(st, kIds));
  b.setBolt("split", SplitTwo(), 2).shuffleGrouping("spout");
  b.setBolt("pass", PassOrFail(), 2).shuffleGrouping("split");
  b.setBolt("sink", RecordingSink(st)).shuffleGrouping("pass");
  Config conf;
  conf.setMessageTimeoutSecs(30);  // every fail below comes from the acker, not a timeout
  LocalCluster cluster;
  cluster.submitTopology("basic", conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return st->ended() == kIds; }, 15s)) << st->ended() << " ended";

  std::lock_guard lock(st->mu);
  EXPECT_EQ(st->duplicates, 0);
  for (int64_t id = 0; id < kIds; ++id) {
    bool shouldFail = id % 10 == 3 || id % 10 == 5 || id % 10 == 7;
    EXPECT_EQ(st->failed.count(id), shouldFail ? 1u : 0u) << "id " << id;
    EXPECT_EQ(st->acked.count(id), shouldFail ? 0u : 1u) << "id " << id;
    if (!shouldFail) {
      EXPECT_TRUE(st->sunk.count({id, 0}) && st->sunk.count({id, 1})) << "id " << id;
    }
  }
  // Only ReportedFailedException is reported; plain FailedException is not.
  std::set<std::string> reported;
  for (const auto& e : cluster.getErrors("basic")) {
    EXPECT_EQ(e.component, "pass") << e.message;
    EXPECT_EQ(e.message.find("plain failure"), std::string::npos) << e.message;
    for (int64_t id = 7; id < kIds; id += 10) {
      if (e.message.find("bad id " + std::to_string(id)) != std::string::npos) {
        reported.insert(std::to_string(id));
      }
    }
  }
  EXPECT_EQ(reported.size(), static_cast<size_t>(kIds / 10)) << "one report per failed id";
}

// A longer chain of basic bolts with fan-out: every tree completes and nothing fails.
TEST(BasicBolt, TreesCompleteThroughAChainOfBasicBolts) {
  const int kIds = 300;
  auto st = std::make_shared<BasicState>();
  class Pass : public BaseBasicBolt {
   public:
    void execute(const Tuple& in, BasicOutputCollector& out) override {
      out.emit(Values{in.getLong(0), in.getLong(1)});
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id", "k"}); }
  };
  class Sink : public BaseBasicBolt {
   public:
    explicit Sink(std::shared_ptr<BasicState> s) : st_(std::move(s)) {}
    void execute(const Tuple& in, BasicOutputCollector&) override {
      std::lock_guard lock(st_->mu);
      st_->sunk.emplace(in.getLong(0), in.getLong(1));
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}

   private:
    std::shared_ptr<BasicState> st_;
  };
  TopologyBuilder b;
  b.setSpout("spout", OnceSpout(st, kIds));
  b.setBolt("split", SplitTwo(), 2).shuffleGrouping("spout");
  b.setBolt("a", Pass(), 2).shuffleGrouping("split");
  b.setBolt("b", Pass()).fieldsGrouping("a", Fields{"id"});
  b.setBolt("sink", Sink(st), 2).shuffleGrouping("b");
  Config conf;
  conf.setMessageTimeoutSecs(30);
  LocalCluster cluster;
  cluster.submitTopology("basic-chain", conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return st->ended() == kIds; }, 15s)) << st->ended() << " ended";
  std::lock_guard lock(st->mu);
  EXPECT_EQ(st->acked.size(), static_cast<size_t>(kIds));
  EXPECT_TRUE(st->failed.empty());
  EXPECT_EQ(st->sunk.size(), static_cast<size_t>(2 * kIds));
  EXPECT_EQ(st->duplicates, 0);
}

}  // namespace
