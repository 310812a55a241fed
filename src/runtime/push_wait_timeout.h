#pragma once
// How long an idle executor that only a push can give work (an idle bolt or acker, a spout at
// max pending) sleeps before it looks again.
//
// The push wakes it, so the timeout never finds work; it only costs. Too short, and it runs out
// between hand-offs: a storm.py word count hands its words over every 1-2 ms, and with 1 ms
// timeouts the counter, the acker and the spout each slept one out per hand-off, about 30 µs of
// CPU each time on a VM (bench_wake_cost). Too long, and the executor's vCPU sleeps deeper: a
// topology at 3000 storm.py sentences a second, whose executors get work every 0.3 ms, had its
// complete latency's p50 rise from 443 to 500 µs with 100 ms timeouts instead of 1 ms ones,
// which ran out only rarely there. So the timeout follows the spells: four times the longer of
// the last spell's sleep and this spell's sleep so far, from `baseNs` up to `capNs`. Bursts
// 0.3 ms apart keep the 1 ms timeout, bursts 2 ms apart get 8 ms ones that do not run out, and
// an executor left idle reaches the cap within a few sleeps.

#include <algorithm>
#include <cstdint>

namespace squall::internal {

class PushWaitTimeout {
 public:
  static constexpr int64_t kSpellsPerTimeout = 4;

  // The timeout for the next sleep of a spell that has slept `sleptNs` so far.
  int64_t next(int64_t baseNs, int64_t capNs, int64_t sleptNs) const {
    int64_t basis = std::max(lastSpellNs_, sleptNs);
    return std::clamp(basis * kSpellsPerTimeout, baseNs, std::max(baseNs, capNs));
  }
  // A spell ended by work after `sleptNs` of sleep.
  void spellEnded(int64_t sleptNs) { lastSpellNs_ = sleptNs; }

 private:
  int64_t lastSpellNs_ = 0;
};

}  // namespace squall::internal
