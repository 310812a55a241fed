#include "multilang/round_trip_children.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>

namespace squall::internal {

namespace {

std::atomic<int> inRoundTrips{0};

// The CPUs the process may run on: its main thread's mask (a taskset, a cpuset) when first
// asked; the asking thread's own may be one CPU, a follower's pin.
int processCpus() {
  static const int cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(::getpid(), sizeof set, &set) != 0) return 1;
    return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
  }();
  return cpus;
}

}  // namespace

void RoundTripSlot::set(bool inRoundTripsNow) {
  if (inRoundTripsNow == counted_) return;
  counted_ = inRoundTripsNow;
  inRoundTrips.fetch_add(counted_ ? 1 : -1, std::memory_order_relaxed);
}

bool roundTripPollPays() {
  return inRoundTrips.load(std::memory_order_relaxed) <= processCpus();
}

int roundTripChildren() {
  return inRoundTrips.load(std::memory_order_relaxed);
}

}  // namespace squall::internal
