// How long an idle executor that only a push can give work sleeps before it looks again
// (src/runtime/push_wait_timeout.h): four times its recent idle spells, from the base up to
// the cap.

#include "runtime/push_wait_timeout.h"

#include <gtest/gtest.h>

using squall::internal::PushWaitTimeout;

namespace {
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1 * kMs;
constexpr int64_t kCap = 100 * kMs;
}  // namespace

TEST(PushWaitTimeout, StartsAtTheBase) {
  PushWaitTimeout t;
  EXPECT_EQ(t.next(kBase, kCap, 0), kBase);
}

// Work every 0.3 ms (storm.py at 3000 sentences a second) keeps the base timeout; work every
// 2 ms (a saturated storm.py's hand-offs) gets a timeout that does not run out between them.
TEST(PushWaitTimeout, FollowsTheLastSpell) {
  PushWaitTimeout t;
  t.spellEnded(kMs * 3 / 10);
  EXPECT_EQ(t.next(kBase, kCap, 0), kBase * 12 / 10);
  t.spellEnded(kMs / 10);
  EXPECT_EQ(t.next(kBase, kCap, 0), kBase);
  t.spellEnded(2 * kMs);
  EXPECT_EQ(t.next(kBase, kCap, 0), 8 * kMs);
  t.spellEnded(kMs / 10);
  EXPECT_EQ(t.next(kBase, kCap, 0), kBase);
}

// An executor left idle reaches the cap within a few timeouts of one spell.
TEST(PushWaitTimeout, AnIdleExecutorReachesTheCap) {
  PushWaitTimeout t;
  int64_t slept = 0;
  int sleeps = 0;
  while (slept < 10'000 * kMs) {
    int64_t next = t.next(kBase, kCap, slept);
    if (next == kCap) break;
    slept += next;
    ++sleeps;
  }
  EXPECT_EQ(t.next(kBase, kCap, slept), kCap);
  EXPECT_LE(sleeps, 4);
}

// A base of zero (topology.bolt.wait.progressive.level3.sleep.millis: 0) still grows with the
// spell, and a cap below the base leaves the base.
TEST(PushWaitTimeout, KeepsWithinItsBounds) {
  PushWaitTimeout t;
  EXPECT_EQ(t.next(0, kCap, 0), 0);
  EXPECT_EQ(t.next(0, kCap, 5'000), 20'000);
  EXPECT_EQ(t.next(kBase, kBase / 2, 50 * kMs), kBase);
}
