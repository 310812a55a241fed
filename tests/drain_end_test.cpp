// Drain-end calls (squall/detail/drain_end.h): a bolt's execute() may ask its executor to call
// back once the batch of input being delivered is done (a multilang bolt writes a burst of
// tuples to its child in one write). The call runs on the executor's thread after the
// execute() calls of its batch and before the bolt waits for more; outside a drain (another
// thread) the request is refused, and a cancelled request is never run.

#include <gtest/gtest.h>
#include <squall/detail/drain_end.h>
#include <squall/squall.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "test_support.h"

using namespace squall;

namespace {

constexpr int64_t kTuples = 2000;

struct Shared {
  std::atomic<int64_t> executed{0};
  std::atomic<int64_t> flushedUpTo{0};  // tuples executed when the last drain-end call ran
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> refusedOnExecutor{0};
  std::atomic<int64_t> wrongThread{0};
  std::atomic<int64_t> cancelledRan{0};
};

class Numbers : public BaseRichSpout {
 public:
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    if (next_ < kTuples) out_->emit(Values{next_++});
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"n"}); }

 private:
  SpoutOutputCollector* out_ = nullptr;
  int64_t next_ = 0;
};

class Buffering : public BaseRichBolt {
 public:
  explicit Buffering(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void execute(const Tuple&) override {
    s_->executed.fetch_add(1);
    thread_ = std::this_thread::get_id();
    if (!scheduled_) {
      if (!detail::callAtDrainEnd(&Buffering::atDrainEnd, this)) {
        s_->refusedOnExecutor.fetch_add(1);
        return;
      }
      scheduled_ = true;
    }
    // Asked and cancelled at once: must never run.
    if (detail::callAtDrainEnd(&Buffering::cancelled, &cancelToken_)) {
      detail::cancelDrainEnd(&cancelToken_);
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  static void atDrainEnd(void* p) {
    auto* self = static_cast<Buffering*>(p);
    self->scheduled_ = false;
    if (std::this_thread::get_id() != self->thread_) self->s_->wrongThread.fetch_add(1);
    self->s_->calls.fetch_add(1);
    self->s_->flushedUpTo.store(self->s_->executed.load());
  }
  static void cancelled(void* p) { static_cast<Buffering*>(p)->s_->cancelledRan.fetch_add(1); }

  std::shared_ptr<Shared> s_;
  bool scheduled_ = false;
  std::thread::id thread_;
  char cancelToken_ = 0;
};

TEST(DrainEndTest, RefusedOutsideAnExecutorDrain) {
  int ctx = 0;
  EXPECT_FALSE(detail::callAtDrainEnd([](void*) {}, &ctx));
}

TEST(DrainEndTest, RunsOnTheExecutorAfterEachBatchAndNeverWhenCancelled) {
  auto s = std::make_shared<Shared>();
  TopologyBuilder b;
  b.setSpout("numbers", Numbers());
  b.setBolt("buffering", Buffering(s)).shuffleGrouping("numbers");
  LocalCluster cluster;
  cluster.submitTopology("drain-end", Config{}, b.createTopology());
  // Every executed tuple is followed by a drain-end call before the bolt waits for more.
  EXPECT_TRUE(squall::testing::waitFor([&] {
    return s->executed.load() == kTuples && s->flushedUpTo.load() == kTuples;
  })) << s->executed.load()
      << " executed, flushed up to " << s->flushedUpTo.load();
  cluster.killTopologyWithOpts("drain-end", KillOptions{0});
  EXPECT_EQ(s->refusedOnExecutor.load(), 0);
  EXPECT_EQ(s->wrongThread.load(), 0);
  EXPECT_EQ(s->cancelledRan.load(), 0);
  EXPECT_GT(s->calls.load(), 0);
  // Batches, not one call per tuple, whenever input queued up (at most one call per tuple).
  EXPECT_LE(s->calls.load(), kTuples);
}

}  // namespace
