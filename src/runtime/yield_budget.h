#pragma once
// How many times an idle executor yields its core before it sleeps on its queue, learned
// from what the yields bought it.
//
// Yielding keeps an executor awake for work that comes within microseconds (the core
// benchmark's bolt at 100 k tuples/s, storm.py's word per round trip), at a system call and
// often a context switch per yield. When work comes in bursts further apart than the yields
// last (a multilang reader that takes a child's output 200 µs at a time), every idle spell
// yields in vain: three such executors yielding to one another cost a third of a core per
// 200 k messages a second on a 2-core VM, as much as the reader decoding them. So the budget
// halves each time the yields run out, and doubles back when yielding paid: work came during
// the yields, or so soon after the executor went to sleep that yielding a little longer would
// have caught it.

#include <algorithm>
#include <cstdint>

namespace squall::internal {

class YieldBudget {
 public:
  // A sleep ended sooner than this: a longer yield phase would have seen the work come.
  static constexpr int64_t kQuickWakeNs = 50'000;
  // The smallest budget a paying spell grows back to from none.
  static constexpr uint32_t kRegrowFrom = 4;

  explicit YieldBudget(uint32_t max) : max_(max), budget_(max) {}

  uint32_t yields() const { return budget_; }

  // The yields ran out: the executor goes to sleep.
  void ranOut() { budget_ /= 2; }
  // Work came while the executor yielded.
  void paid() { grow(); }
  // Work woke the executor `sleptNs` after it went to sleep.
  void wokeAfter(int64_t sleptNs) {
    if (sleptNs < kQuickWakeNs) grow();
  }

 private:
  void grow() { budget_ = std::min(max_, std::max(kRegrowFrom, budget_ * 2)); }

  uint32_t max_;
  uint32_t budget_;
};

}  // namespace squall::internal
