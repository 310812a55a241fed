// topology.max.spout.pending (storm.md 3.3): per spout task. While a task's executor has
// K x (its tasks) trees pending, nextTuple is not called; acks make room again. No effect on
// unreliable emits.

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

struct PendingState {
  std::mutex mu;
  std::map<int, int64_t> calls, emitted, acked;  // by spout task id
  std::vector<Tuple> held;
  OutputCollector* boltOut = nullptr;

  int64_t total(const std::map<int, int64_t>& m) {
    std::lock_guard lock(mu);
    int64_t n = 0;
    for (const auto& [task, v] : m) n += v;
    return n;
  }
  std::map<int, int64_t> snapshot(const std::map<int, int64_t>& m) {
    std::lock_guard lock(mu);
    return m;
  }
  size_t heldCount() {
    std::lock_guard lock(mu);
    return held.size();
  }
};

// Emits one tuple per nextTuple call, reliably unless `reliable` is false, forever.
class EndlessSpout : public BaseRichSpout {
 public:
  EndlessSpout(std::shared_ptr<PendingState> s, bool reliable)
      : st_(std::move(s)), reliable_(reliable) {}
  void open(const Config&, TopologyContext& ctx, SpoutOutputCollector& c) override {
    out_ = &c;
    task_ = ctx.getThisTaskId();
  }
  void nextTuple() override {
    {
      std::lock_guard lock(st_->mu);
      ++st_->calls[task_];
      ++st_->emitted[task_];
    }
    int64_t id = task_ * 1'000'000 + next_++;
    if (reliable_) {
      out_->emit(Values{id}, Value(id));
    } else {
      out_->emit(Values{id});
    }
  }
  void ack(const Value&) override {
    std::lock_guard lock(st_->mu);
    ++st_->acked[task_];
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"id"}); }

 private:
  std::shared_ptr<PendingState> st_;
  bool reliable_;
  SpoutOutputCollector* out_ = nullptr;
  int task_ = 0;
  int64_t next_ = 0;
};

// Keeps every input, never acks; the test acks through boltOut.
using KeepBolt = HoldingBolt<PendingState, &PendingState::boltOut>;

// Acks every held tuple from the test's thread.
void ackAllHeld(PendingState& st) {
  std::lock_guard lock(st.mu);
  for (const auto& t : st.held) st.boltOut->ack(t);
  st.held.clear();
}

constexpr int kMax = 5;

StormTopology pendingTopology(const std::shared_ptr<PendingState>& st, int executors, int tasks,
                              bool reliable = true) {
  TopologyBuilder b;
  b.setSpout("spout", EndlessSpout(st, reliable), executors).setNumTasks(tasks);
  b.setBolt("keep", KeepBolt(st)).shuffleGrouping("spout");
  return b.createTopology();
}

Config pendingConfig() {
  Config conf;
  conf.setMaxSpoutPending(kMax);
  conf.setMessageTimeoutSecs(30);  // no timeout frees a slot during the test
  return conf;
}

// One spout task: exactly K nextTuple calls, then none while nothing is acked; acking the K
// trees allows exactly K more.
TEST(MaxSpoutPending, StopsCallingNextTupleAtTheLimitAndResumesOnAcks) {
  auto st = std::make_shared<PendingState>();
  LocalCluster cluster;
  cluster.submitTopology("max-pending", pendingConfig(), pendingTopology(st, 1, 1));
  ASSERT_TRUE(waitFor([&] { return st->heldCount() == kMax; }, 10s));
  EXPECT_FALSE(waitFor([&] { return st->total(st->calls) > kMax; }, 500ms))
      << "nextTuple was called at the limit";
  EXPECT_EQ(st->total(st->emitted), kMax);

  ackAllHeld(*st);
  ASSERT_TRUE(
      waitFor([&] { return st->total(st->acked) == kMax && st->heldCount() == kMax; }, 10s));
  EXPECT_FALSE(waitFor([&] { return st->total(st->calls) > 2 * kMax; }, 500ms));
  EXPECT_EQ(st->total(st->emitted), 2 * kMax);
}

// Two spout tasks in two executors: the limit applies to each task.
TEST(MaxSpoutPending, LimitIsPerSpoutTask) {
  auto st = std::make_shared<PendingState>();
  LocalCluster cluster;
  cluster.submitTopology("max-pending-2", pendingConfig(), pendingTopology(st, 2, 2));
  ASSERT_TRUE(waitFor([&] { return st->heldCount() == 2 * kMax; }, 10s));
  EXPECT_FALSE(waitFor([&] { return st->total(st->calls) > 2 * kMax; }, 500ms));
  auto emitted = st->snapshot(st->emitted);
  ASSERT_EQ(emitted.size(), 2u);
  for (const auto& [task, n] : emitted) EXPECT_EQ(n, kMax) << "spout task " << task;

  ackAllHeld(*st);
  ASSERT_TRUE(waitFor([&] { return st->heldCount() == 2 * kMax; }, 10s));
  EXPECT_FALSE(waitFor([&] { return st->total(st->calls) > 4 * kMax; }, 500ms));
  for (const auto& [task, n] : st->snapshot(st->emitted)) EXPECT_EQ(n, 2 * kMax) << "task " << task;
  for (const auto& [task, n] : st->snapshot(st->acked)) EXPECT_EQ(n, kMax) << "task " << task;
}

// Two tasks in one executor: Storm's executor limit is K x tasks; nextTuple is called on each
// task in turn, so each task emits exactly K.
TEST(MaxSpoutPending, TwoTasksInOneExecutorEachEmitK) {
  auto st = std::make_shared<PendingState>();
  LocalCluster cluster;
  cluster.submitTopology("max-pending-2t", pendingConfig(), pendingTopology(st, 1, 2));
  ASSERT_TRUE(waitFor([&] { return st->heldCount() == 2 * kMax; }, 10s));
  EXPECT_FALSE(waitFor([&] { return st->total(st->calls) > 2 * kMax; }, 500ms));
  auto emitted = st->snapshot(st->emitted);
  ASSERT_EQ(emitted.size(), 2u);
  for (const auto& [task, n] : emitted) EXPECT_EQ(n, kMax) << "spout task " << task;
}

// Unreliable emits are not pending: the limit does not hold them back.
TEST(MaxSpoutPending, DoesNotLimitUnreliableEmits) {
  auto st = std::make_shared<PendingState>();
  LocalCluster cluster;
  cluster.submitTopology("max-pending-unreliable", pendingConfig(),
                         pendingTopology(st, 1, 1, /*reliable=*/false));
  EXPECT_TRUE(waitFor([&] { return st->heldCount() >= 20 * kMax; }, 10s));
}

}  // namespace
