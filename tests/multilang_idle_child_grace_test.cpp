// A reader's hold of a round-trip child's words waits over the child's short idle spells (a
// child fed steadily below saturation) and hands over at once after long ones
// (src/multilang/idle_child_grace.h).

#include "multilang/idle_child_grace.h"

#include <gtest/gtest.h>

namespace {

using squall::internal::IdleChildGrace;
using squall::internal::kIdleChildGraceNs;

constexpr int64_t kUs = 1000;

// Feeds `grace` a child that works `busyNs`, then waits `idleNs` for its next tuple, `spells`
// times from `t`; returns the time after the last spell.
int64_t feed(IdleChildGrace& grace, int64_t t, int64_t busyNs, int64_t idleNs, int spells) {
  for (int i = 0; i < spells; ++i) {
    grace.observe(1, t);
    t += busyNs;
    grace.observe(0, t);
    t += idleNs;
    grace.observe(1, t);
  }
  return t;
}

TEST(IdleChildGrace, AChildNotYetSeenIdleIsHandedOverAtOnce) {
  IdleChildGrace grace;
  grace.observe(0, 1'000'000);
  EXPECT_EQ(grace.waitLeftNs(1'000'000), 0);
}

TEST(IdleChildGrace, ShortIdleSpellsAreWaitedOverForAtMostTheGrace) {
  IdleChildGrace grace;
  int64_t t = feed(grace, 1'000'000, 80 * kUs, 30 * kUs, 8);
  grace.observe(0, t);  // out of tuples again
  EXPECT_EQ(grace.waitLeftNs(t), kIdleChildGraceNs);
  EXPECT_EQ(grace.waitLeftNs(t + 20 * kUs), kIdleChildGraceNs - 20 * kUs);
  EXPECT_EQ(grace.waitLeftNs(t + kIdleChildGraceNs), 0);
  EXPECT_EQ(grace.waitLeftNs(t + 10 * kIdleChildGraceNs), 0);
}

TEST(IdleChildGrace, LongIdleSpellsAreNotWaitedFor) {
  IdleChildGrace grace;
  int64_t t = feed(grace, 1'000'000, 80 * kUs, 250 * kUs, 8);
  grace.observe(0, t);
  EXPECT_EQ(grace.waitLeftNs(t), 0);
}

TEST(IdleChildGrace, OneLongSpellAmongShortOnesDoesNotEndTheWaiting) {
  IdleChildGrace grace;
  int64_t t = feed(grace, 1'000'000, 80 * kUs, 20 * kUs, 8);
  t = feed(grace, t, 80 * kUs, 100 * kUs, 1);
  grace.observe(0, t);
  EXPECT_GT(grace.waitLeftNs(t), 0);
  // ...but a load that drops for good does, within a few spells.
  t = feed(grace, t, 80 * kUs, 300 * kUs, 4);
  grace.observe(0, t);
  EXPECT_EQ(grace.waitLeftNs(t), 0);
}

TEST(IdleChildGrace, WhileTheChildHasTuplesTheGraceDoesNotLimitTheHold) {
  IdleChildGrace grace;
  grace.observe(3, 1'000'000);
  EXPECT_EQ(grace.waitLeftNs(5'000'000), kIdleChildGraceNs);
}

}  // namespace
