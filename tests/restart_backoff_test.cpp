// When a supervisor restarts a dead worker (src/supervisor/restart_backoff.h): at once after a
// first death or a long life, with a backoff doubling to 5 s while it keeps dying quickly.

#include "supervisor/restart_backoff.h"

#include <gtest/gtest.h>

using squall::supervisor::RestartBackoff;
using namespace std::chrono_literals;

TEST(RestartBackoff, AFirstDeathIsRestartedAtOnce) {
  RestartBackoff b;
  EXPECT_EQ(b.onDeath(2s), 0ms);
}

TEST(RestartBackoff, QuickDeathsBackOffDoublingToFiveSeconds) {
  RestartBackoff b;
  EXPECT_EQ(b.onDeath(2s), 0ms);
  EXPECT_EQ(b.onDeath(1s), 100ms);
  EXPECT_EQ(b.onDeath(1s), 200ms);
  EXPECT_EQ(b.onDeath(1s), 400ms);
  for (int i = 0; i < 10; ++i) b.onDeath(1s);
  EXPECT_EQ(b.onDeath(1s), 5000ms);
}

TEST(RestartBackoff, ALongLifeForgivesThePastDeaths) {
  RestartBackoff b;
  for (int i = 0; i < 5; ++i) b.onDeath(1s);
  EXPECT_EQ(b.onDeath(31s), 0ms);
  EXPECT_EQ(b.onDeath(1s), 100ms);
}
