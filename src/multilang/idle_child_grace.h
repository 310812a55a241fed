#pragma once
// How long a reader's hold of a round-trip child's words (child_cpu_pin.h, kRoundTripHoldNs)
// goes on once the child has no tuple left.
//
// Handing over at once is right for a child fed now and then: nothing more would join the
// batch, and each word would only wait. A child fed steadily just below saturation runs out of
// tuples after nearly every sentence, for a few tens of microseconds, and handing over each time
// wakes the counter and the acker on the other CPU once a sentence: storm.py at 9 000 sentences
// a second (three quarters of what it can do) cost the engine 62-68 % of a core that way, and
// 51-53 % when the hold went on over those gaps, for a complete latency p50 of 330-380 µs
// instead of 190-320 (docs/PERFORMANCE.md). So the hold waits for the child's next tuple for
// up to kIdleChildGraceNs, but only while the child's idle spells average less than that.
// Waiting over longer ones (150 µs, tried) gained nothing at 6 000 sentences a second and
// raised the p50 there by half.
//
// Fed the child's queue length at each turn of the reader's loop. Used by one thread.

#include <cstddef>
#include <cstdint>

namespace squall::internal {

inline constexpr int64_t kIdleChildGraceNs = 60'000;

class IdleChildGrace {
 public:
  // The child has `inFlight` tuples queued or in hand at `nowNs`.
  void observe(size_t inFlight, int64_t nowNs) {
    if (inFlight > 0) {
      if (idleSinceNs_ >= 0) idleNs_ = (3 * idleNs_ + (nowNs - idleSinceNs_)) / 4;
      idleSinceNs_ = -1;
    } else if (idleSinceNs_ < 0) {
      idleSinceNs_ = nowNs;
    }
  }

  // How much longer a hold may wait for the child's next tuple: 0 to hand over now. Only
  // meaningful while the child is idle (otherwise the hold's own length decides).
  int64_t waitLeftNs(int64_t nowNs) const {
    if (idleSinceNs_ < 0) return kIdleChildGraceNs;
    if (idleNs_ >= kIdleChildGraceNs) return 0;
    int64_t left = idleSinceNs_ + kIdleChildGraceNs - nowNs;
    return left > 0 ? left : 0;
  }

 private:
  int64_t idleSinceNs_ = -1;  // when the child ran out of tuples; -1 while it has some
  // The child's idle spells, a moving average (the last counts a quarter); a child not yet
  // seen idle counts as fed now and then.
  int64_t idleNs_ = kIdleChildGraceNs;
};

}  // namespace squall::internal
