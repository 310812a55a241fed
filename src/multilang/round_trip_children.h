#pragma once
// How many of this process's children answer in round trips right now (a storm.py bolt that
// waits for task ids after each emit, a spout asked for tuples back to back), and whether
// their engine threads should poll for the answers (reply_poll.h).
//
// A poll yields the core each turn, and pays while each such child has a CPU to itself: the
// yield hands the CPU to the child, or returns at once. With more of them than CPUs, the yield
// hands the CPU to another child instead, which then runs out its slice, and the round trips
// are slower than a plain sleep in ppoll: 4 storm.py splitters on 2 CPUs made 67-74 k words/s
// polling, 78 k not; 2 made 87-92 k polling, 80-83 k not (docs/PERFORMANCE.md).

namespace squall::internal {

// One component's place in the count: in it while set(true), out of it after set(false) or
// destruction. Owned by the thread that serves the child.
class RoundTripSlot {
 public:
  RoundTripSlot() = default;
  ~RoundTripSlot() { set(false); }
  RoundTripSlot(const RoundTripSlot&) = delete;
  RoundTripSlot& operator=(const RoundTripSlot&) = delete;

  void set(bool inRoundTrips);

 private:
  bool counted_ = false;
};

// Whether the children in round trips are no more than the CPUs this process may run on.
bool roundTripPollPays();

// The count itself (for tests).
int roundTripChildren();

}  // namespace squall::internal
