// An idle executor's yields before it sleeps (src/runtime/yield_budget.h): they halve while
// they run out without work coming, and come back once yielding pays; and one spell's yields
// last at most YieldSpell::kMaxSpellNs.

#include "runtime/yield_budget.h"

#include <gtest/gtest.h>

using squall::internal::YieldBudget;
using squall::internal::YieldSpell;

TEST(YieldBudget, StartsAtItsLimit) {
  EXPECT_EQ(YieldBudget(32).yields(), 32u);
}

TEST(YieldBudget, HalvesEachTimeTheYieldsRunOutUntilNoneAreLeft) {
  YieldBudget b(32);
  b.ranOut();
  EXPECT_EQ(b.yields(), 16u);
  for (int i = 0; i < 10; ++i) b.ranOut();
  EXPECT_EQ(b.yields(), 0u);
}

TEST(YieldBudget, WorkCameWhileYieldingDoublesItUpToTheLimit) {
  YieldBudget b(32);
  b.ranOut();
  b.ranOut();
  EXPECT_EQ(b.yields(), 8u);
  b.paid();
  EXPECT_EQ(b.yields(), 16u);
  b.paid();
  b.paid();
  EXPECT_EQ(b.yields(), 32u);
}

TEST(YieldBudget, AQuickWakeGrowsItBackFromNone) {
  YieldBudget b(32);
  for (int i = 0; i < 6; ++i) b.ranOut();
  ASSERT_EQ(b.yields(), 0u);
  // With no yields nothing can pay while yielding: only a wake soon after the sleep shows
  // that yielding would have caught the work.
  b.wokeAfter(YieldBudget::kQuickWakeNs / 2);
  EXPECT_EQ(b.yields(), YieldBudget::kRegrowFrom);
  b.wokeAfter(YieldBudget::kQuickWakeNs / 2);
  EXPECT_EQ(b.yields(), 2 * YieldBudget::kRegrowFrom);
}

TEST(YieldBudget, ALongSleepLeavesItAsItIs) {
  YieldBudget b(32);
  b.ranOut();
  b.wokeAfter(YieldBudget::kQuickWakeNs * 4);
  EXPECT_EQ(b.yields(), 16u);
}

TEST(YieldBudget, BurstsFartherApartThanTheYieldsEndUpSleepingAtOnce) {
  // A multilang reader's batches, 200 µs apart: every spell yields in vain, then sleeps long.
  YieldBudget b(32);
  for (int burst = 0; burst < 8; ++burst) {
    if (b.yields() > 0) b.ranOut();
    b.wokeAfter(200'000);
  }
  EXPECT_EQ(b.yields(), 0u);
}

TEST(YieldBudget, WorkEveryFewMicrosecondsKeepsTheYields) {
  // The core benchmark's bolt at 100 k tuples/s: one spell in a few runs out, the rest pay.
  YieldBudget b(32);
  for (int spell = 0; spell < 100; ++spell) {
    if (spell % 4 == 0) {
      b.ranOut();
      b.wokeAfter(5'000);
    } else {
      b.paid();
    }
  }
  EXPECT_GE(b.yields(), 16u);
}

TEST(YieldSpell, YieldsGoOnUntilTheSpellHasLastedItsLimit) {
  YieldSpell s;
  const int64_t t0 = 5'000'000;
  EXPECT_TRUE(s.goesOn(t0));
  EXPECT_TRUE(s.goesOn(t0 + 1'000));
  EXPECT_TRUE(s.goesOn(t0 + YieldSpell::kMaxSpellNs - 1));
  EXPECT_FALSE(s.goesOn(t0 + YieldSpell::kMaxSpellNs));
  EXPECT_FALSE(s.goesOn(t0 + 10 * YieldSpell::kMaxSpellNs));
}

TEST(YieldSpell, TheNextSpellHasItsOwnLimit) {
  YieldSpell s;
  EXPECT_TRUE(s.goesOn(0));
  EXPECT_FALSE(s.goesOn(YieldSpell::kMaxSpellNs));
  s.end();
  const int64_t later = 3 * YieldSpell::kMaxSpellNs;
  EXPECT_TRUE(s.goesOn(later));
  EXPECT_TRUE(s.goesOn(later + YieldSpell::kMaxSpellNs / 2));
}
