// EmitBatchScope: a bolt's own thread (as a multilang reader thread does) emits and acks in
// bursts inside a scope; what it holds must reach the executors, in order, when the scope
// ends or fills, and every tuple tree must still complete exactly once.

#include <gtest/gtest.h>
#include <squall/detail/emit_batch_scope.h>
#include <squall/squall.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "test_support.h"

using namespace squall;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kRoots = 3000;
constexpr int kChildren = 5;

struct Shared {
  std::mutex mu;
  std::map<int64_t, int> acked;  // message id -> spout acks
  int failed = 0;
  std::map<int64_t, std::vector<int64_t>> children;  // root -> child indexes, arrival order
  size_t childCount = 0;
};

class CountingSpout : public BaseRichSpout {
 public:
  explicit CountingSpout(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ < kRoots) {
      int64_t n = next_++;
      out_->emit(Values{n}, Value(n));
    }
  }
  void ack(const Value& id) override {
    std::lock_guard lock(s_->mu);
    ++s_->acked[id.asInt()];
  }
  void fail(const Value&) override {
    std::lock_guard lock(s_->mu);
    ++s_->failed;
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  std::shared_ptr<Shared> s_;
  SpoutOutputCollector* out_ = nullptr;
  int64_t next_ = 0;
};

// Hands each input to its own thread, which emits the children and acks the input inside
// one EmitBatchScope per burst of inputs.
class BurstBolt : public BaseRichBolt {
 public:
  BurstBolt() = default;
  BurstBolt(const BurstBolt&) : BaseRichBolt() {}
  ~BurstBolt() override { stop(); }
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override {
    out_ = &c;
    worker_ = std::thread([this] { work(); });
  }
  void execute(const Tuple& in) override {
    {
      std::lock_guard lock(mu_);
      inbox_.push_back(in);
    }
    cv_.notify_one();
  }
  void cleanup() override { stop(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"root", "child"}); }

 private:
  void work() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || !inbox_.empty(); });
      if (inbox_.empty()) return;
      std::deque<Tuple> burst;
      burst.swap(inbox_);
      lock.unlock();
      {
        detail::EmitBatchScope scope;
        for (const Tuple& t : burst) {
          for (int64_t k = 0; k < kChildren; ++k) out_->emit(t, Values{t.getLong(0), k});
          out_->ack(t);
        }
      }
      lock.lock();
    }
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (worker_.joinable()) worker_.join();
  }
  OutputCollector* out_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Tuple> inbox_;
  bool stopping_ = false;
  std::thread worker_;
};

class ChildSink : public BaseRichBolt {
 public:
  explicit ChildSink(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& in) override {
    {
      std::lock_guard lock(s_->mu);
      s_->children[in.getLong(0)].push_back(in.getLong(1));
      ++s_->childCount;
    }
    out_->ack(in);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::shared_ptr<Shared> s_;
  OutputCollector* out_ = nullptr;
};

TEST(EmitBatchScope, HeldEmitsAndAcksArriveInOrderAndEveryTreeCompletesOnce) {
  auto s = std::make_shared<Shared>();
  TopologyBuilder b;
  b.setSpout("spout", CountingSpout(s));
  b.setBolt("burst", BurstBolt()).shuffleGrouping("spout");
  b.setBolt("sink", ChildSink(s)).globalGrouping("burst");
  Config conf;
  conf.setNumAckers(1);
  conf.setMaxSpoutPending(500);
  conf.setMessageTimeoutSecs(60);  // a completion below is never a timeout's replay
  LocalCluster cluster;
  cluster.submitTopology("bursts", conf, b.createTopology());
  ASSERT_TRUE(squall::testing::waitFor(
      [&] {
        std::lock_guard lock(s->mu);
        return s->acked.size() == static_cast<size_t>(kRoots) &&
               s->childCount == static_cast<size_t>(kRoots * kChildren);
      },
      60s));
  cluster.killTopologyWithOpts("bursts", KillOptions{0});
  std::lock_guard lock(s->mu);
  EXPECT_EQ(s->failed, 0);
  for (const auto& [id, n] : s->acked) ASSERT_EQ(n, 1) << "message id " << id;
  // One sink task, one emitting thread: each root's children arrive in emit order.
  const std::vector<int64_t> expected{0, 1, 2, 3, 4};
  for (const auto& [root, order] : s->children) ASSERT_EQ(order, expected) << "root " << root;
}

}  // namespace
