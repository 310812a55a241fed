// The flush clock parks when nothing in the topology has work in hand, so an idle topology
// costs no timer wake-ups, and wakes as soon as an executor begins a batch or takes input.
// The wake-up counts as time passed, so a call that ran while the clock was parked still
// publishes what it emitted at once.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "runtime/flush_clock.h"
#include "test_support.h"

using squall::internal::FlushClock;
using squall::internal::FlushEpoch;
using squall::testing::waitFor;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kIntervalNs = 1'000'000;

uint64_t ticks(const FlushEpoch& e) {
  return e.ticks.load(std::memory_order_relaxed);
}

}  // namespace

TEST(FlushClock, TicksWhileExecutorsHoldWorkThenParks) {
  FlushEpoch e;
  FlushClock clock(e);
  clock.start(kIntervalNs);
  // Kept active, it ticks every interval.
  auto start = ticks(e);
  ASSERT_TRUE(waitFor(
      [&] {
        e.markActive();
        return ticks(e) >= start + 20;
      },
      5s));
  EXPECT_FALSE(e.parked.load());
  // Left alone for FlushClock::kParkAfterNs, it parks and stops counting.
  ASSERT_TRUE(waitFor([&] { return e.parked.load(); }, 5s));
  uint64_t parkedAt = ticks(e);
  // An observation window, not a wait for something to happen: nothing may tick in it.
  std::this_thread::sleep_for(30ms);
  EXPECT_TRUE(e.parked.load());
  EXPECT_EQ(ticks(e), parkedAt);
}

TEST(FlushClock, AMarkWakesItAndCountsTheWakeUpAsTimePassed) {
  FlushEpoch e;
  FlushClock clock(e);
  clock.start(kIntervalNs);
  ASSERT_TRUE(waitFor([&] { return e.parked.load(); }, 5s));
  uint64_t before = ticks(e);
  e.markActive();
  // At once, on the marking thread: a call that spanned the parked time reads as slow.
  EXPECT_GE(ticks(e), before + 2);
  EXPECT_FALSE(e.parked.load());
  ASSERT_TRUE(waitFor([&] { return ticks(e) >= before + 6; }, 5s)) << "the clock did not resume";
}

TEST(FlushClock, StopsPromptlyWhileParked) {
  FlushEpoch e;
  auto clock = std::make_unique<FlushClock>(e);
  clock->start(kIntervalNs);
  ASSERT_TRUE(waitFor([&] { return e.parked.load(); }, 5s));
  auto t0 = std::chrono::steady_clock::now();
  clock.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(FlushClock, ManyThreadsMarkingNeverLeaveItParked) {
  // Executors race the clock's decision to park; whichever way each race goes, a mark made
  // after the clock parked must wake it.
  FlushEpoch e;
  FlushClock clock(e);
  clock.start(kIntervalNs);
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(waitFor([&] { return e.parked.load(); }, 5s));
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { e.markActive(); });
    for (auto& t : threads) t.join();
    EXPECT_FALSE(e.parked.load()) << "round " << round;
  }
}
