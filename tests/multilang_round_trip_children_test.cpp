// The count of this process's children in round trips, and the rule that their engine threads
// poll only while those children are no more than the process's CPUs
// (src/multilang/round_trip_children.h).

#include "multilang/round_trip_children.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <memory>
#include <vector>

using squall::internal::roundTripChildren;
using squall::internal::roundTripPollPays;
using squall::internal::RoundTripSlot;

namespace {

int processCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(sched_getaffinity(getpid(), sizeof set, &set), 0);
  return CPU_COUNT(&set);
}

}  // namespace

TEST(RoundTripChildren, ASlotCountsOnceHoweverOftenItIsSet) {
  ASSERT_EQ(roundTripChildren(), 0);
  {
    RoundTripSlot slot;
    slot.set(true);
    slot.set(true);
    EXPECT_EQ(roundTripChildren(), 1);
    slot.set(false);
    slot.set(false);
    EXPECT_EQ(roundTripChildren(), 0);
    slot.set(true);
  }
  EXPECT_EQ(roundTripChildren(), 0);  // leaves the count when destroyed
}

TEST(RoundTripChildren, PollingPaysUpToOneChildPerCpu) {
  const int cpus = processCpus();
  std::vector<std::unique_ptr<RoundTripSlot>> slots;
  for (int i = 0; i < cpus; ++i) {
    slots.push_back(std::make_unique<RoundTripSlot>());
    slots.back()->set(true);
    EXPECT_TRUE(roundTripPollPays()) << i + 1 << " children on " << cpus << " CPUs";
  }
  slots.push_back(std::make_unique<RoundTripSlot>());
  slots.back()->set(true);
  EXPECT_FALSE(roundTripPollPays()) << cpus + 1 << " children on " << cpus << " CPUs";
  slots.front()->set(false);
  EXPECT_TRUE(roundTripPollPays());
}
