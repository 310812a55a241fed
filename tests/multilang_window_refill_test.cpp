// When a ShellBolt's full window refills per ack (src/multilang/window_refill.h).

#include "multilang/window_refill.h"

#include <gtest/gtest.h>

using squall::internal::startRefillingPerAck;

TEST(WindowRefill, AChildThatAckedNothingWhileTheWindowWaitedHoldsTuples) {
  EXPECT_TRUE(startRefillingPerAck(true, false, 500, 500));
}

TEST(WindowRefill, AChildThatKeptAckingOnlySlowlyKeepsTheLowWaterWake) {
  // storm.py: a 100-tuple window drains 25 tuples in about 3.5 ms, one ack at a time.
  EXPECT_FALSE(startRefillingPerAck(true, false, 500, 501));
  EXPECT_FALSE(startRefillingPerAck(true, false, 500, 520));
}

TEST(WindowRefill, OnlyAWaitThatRanOutCounts) {
  // Woken before the wait ran out: the low-water mark, or the topology stopping.
  EXPECT_FALSE(startRefillingPerAck(false, false, 500, 500));
}

TEST(WindowRefill, AWindowAlreadyRefillingPerAckIsNotRestarted) {
  EXPECT_FALSE(startRefillingPerAck(true, true, 500, 500));
}
