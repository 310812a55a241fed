// How long a ShellBolt's reader polls a child that waits for task ids after each emit
// (squall.multilang.reply.poll.micros, src/multilang/reply_poll.h).

#include "multilang/reply_poll.h"

#include <gtest/gtest.h>

using squall::internal::ReplyPoll;

namespace {
constexpr int64_t kLimit = 60'000;

ReplyPoll learned(int64_t gapNs, int times = 40) {
  ReplyPoll p(kLimit);
  for (int i = 0; i < times; ++i) p.observe(gapNs);
  return p;
}
}  // namespace

TEST(ReplyPoll, SleepsAtOnceUntilItHasSeenTheChildAnswer) {
  EXPECT_EQ(ReplyPoll(kLimit).pollNs(), 0);
}

TEST(ReplyPoll, PollsAboutTwiceTheChildsUsualAnswerTime) {
  // storm.py: its next emit 20 µs after the reply.
  int64_t poll = learned(20'000).pollNs();
  EXPECT_GE(poll, 38'000);
  EXPECT_LE(poll, 40'000);
}

TEST(ReplyPoll, NeverPollsLongerThanTheLimit) {
  EXPECT_EQ(learned(45'000).pollNs(), kLimit);
}

TEST(ReplyPoll, AChildThatWorksBetweenEmitsIsNotPolled) {
  // A poll that runs out before the child answers only burns the core.
  EXPECT_EQ(learned(500'000).pollNs(), 0);
}

TEST(ReplyPoll, FollowsAChildThatSpeedsUpAgain) {
  ReplyPoll p = learned(500'000);
  ASSERT_EQ(p.pollNs(), 0);
  // Unpolled, the gap it sees includes the reader's wake-up, and still falls under the limit.
  for (int i = 0; i < 40; ++i) p.observe(30'000);
  EXPECT_GT(p.pollNs(), 0);
}

TEST(ReplyPoll, ZeroTurnsItOff) {
  ReplyPoll p(0);
  for (int i = 0; i < 40; ++i) p.observe(10'000);
  EXPECT_EQ(p.pollNs(), 0);
}
