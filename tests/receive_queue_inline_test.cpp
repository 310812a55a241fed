// ReceiveQueue's inline consumer (a worker's stand-in): inside an InlineDrainScope, a push to a
// queue whose consumer sleeps is left to the end of the scope, where the pushing thread runs
// the consumer once for all its pushes, and the sleeping consumer is not woken. A push outside
// a scope, or to a queue that then holds more than a few items, wakes the consumer as usual.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "runtime/receive_queue.h"
#include "test_support.h"

using namespace squall::internal;
using namespace std::chrono_literals;
using squall::testing::waitFor;

namespace {

// Runs on whichever thread ends the scope: records it and drains what was pushed; the
// queue's inline consumer from its construction on.
struct Recorder : InlineConsumer {
  explicit Recorder(ReceiveQueue& q) : queue(&q) { q.setInlineConsumer(this); }
  ReceiveQueue* queue;
  std::atomic<int> calls{0};
  std::atomic<size_t> drained{0};
  std::thread::id thread;
  void consumeInline() override {
    thread = std::this_thread::get_id();
    drained += queue->drainAcks([](const AckRecord&) {}, 64);
    ++calls;
  }
};

// The queue's consumer thread: sleeps until woken, counting its wake-ups.
class SleepingConsumer {
 public:
  explicit SleepingConsumer(ReceiveQueue& q) : q_(q) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        q_.sleep(60'000'000'000LL);
        if (stop_.load()) break;
        // Woken: take what was pushed, as a stand-in's thread would, then sleep again.
        q_.drainAcks([](const AckRecord&) {}, 64);
        ++wakes_;
      }
    });
  }
  ~SleepingConsumer() {
    stop_.store(true);
    q_.wake();
    thread_.join();
  }
  // Until the consumer has gone back to sleep.
  bool asleep() {
    return waitFor([&] { return q_.consumerSleeping(); }, 10s);
  }
  int wakes() const { return wakes_.load(); }

 private:
  ReceiveQueue& q_;
  std::atomic<bool> stop_{false};
  std::atomic<int> wakes_{0};
  std::thread thread_;
};

AckRecord record(uint64_t root) {
  AckRecord r;
  r.root = root;
  return r;
}

}  // namespace

TEST(ReceiveQueueInline, PushesInAScopeToASleepingConsumerRunItOnThePushingThread) {
  ReceiveQueue q(16, 16);
  Recorder r(q);
  SleepingConsumer consumer(q);
  ASSERT_TRUE(consumer.asleep());
  {
    InlineDrainScope scope;
    AckRecord a = record(1), b = record(2);
    ASSERT_EQ(q.tryPushAcks(&a, 1), 1u);
    ASSERT_EQ(q.tryPushAcks(&b, 1), 1u);
    EXPECT_EQ(r.calls.load(), 0) << "the consumer runs at the end of the scope, not per push";
  }
  EXPECT_EQ(r.calls.load(), 1);
  EXPECT_EQ(r.drained.load(), 2u);
  EXPECT_EQ(r.thread, std::this_thread::get_id());
  EXPECT_EQ(consumer.wakes(), 0);
  EXPECT_TRUE(q.consumerSleeping());
}

TEST(ReceiveQueueInline, APushOutsideAScopeWakesTheConsumer) {
  ReceiveQueue q(16, 16);
  Recorder r(q);
  SleepingConsumer consumer(q);
  ASSERT_TRUE(consumer.asleep());
  AckRecord a = record(1);
  ASSERT_EQ(q.tryPushAcks(&a, 1), 1u);
  EXPECT_TRUE(waitFor([&] { return consumer.wakes() == 1; }, 10s));
  EXPECT_EQ(r.calls.load(), 0);
}

TEST(ReceiveQueueInline, AQueueHoldingMoreThanAFewItemsWakesTheConsumer) {
  ReceiveQueue q(64, 64);
  Recorder r(q);
  SleepingConsumer consumer(q);
  ASSERT_TRUE(consumer.asleep());
  {
    InlineDrainScope scope;
    std::vector<AckRecord> many(ReceiveQueue::kInlineMaxQueued + 1, record(7));
    ASSERT_EQ(q.tryPushAcks(many.data(), many.size()), many.size());
  }
  EXPECT_TRUE(waitFor([&] { return consumer.wakes() == 1; }, 10s));
  EXPECT_EQ(r.calls.load(), 0);
}

TEST(ReceiveQueueInline, AnAwakeConsumerIsLeftToItsOwnThread) {
  ReceiveQueue q(16, 16);
  Recorder r(q);  // no consumer thread: it never sleeps
  {
    InlineDrainScope scope;
    AckRecord a = record(1);
    ASSERT_EQ(q.tryPushAcks(&a, 1), 1u);
  }
  EXPECT_EQ(r.calls.load(), 0);
  EXPECT_EQ(q.drainAcks([](const AckRecord&) {}, 64), 1u);
}
