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

// How long one idle spell's yields may last, whatever the budget says. A yield returns at once
// when no other thread wants the core, but where the engine's idle executors share one (the
// counter, the acker and the spout beside a multilang reader) each yield switches to another
// that yields straight back, about 1.5 µs a switch on a VM: a spell of 32 such yields lasted
// 100 µs and still counted as paid whenever the reader's next hand-off came within it. Past
// kMaxSpellNs a sleep is cheaper than the yields: the squall package's word count went from
// 0.61 to 0.46 µs of engine CPU a message with this limit (share 44 -> 38 %), while the core
// benchmark's latency at 100 k tuples/s, whose executors are fed every 10 µs, kept its p50
// (docs/PERFORMANCE.md).
class YieldSpell {
 public:
  static constexpr int64_t kMaxSpellNs = 50'000;

  // Before each yield of a spell, at `nowNs`: false once the spell's yields have lasted
  // kMaxSpellNs (the executor then sleeps, and the budget counts the yields as run out).
  bool goesOn(int64_t nowNs) {
    if (startNs_ < 0) {
      startNs_ = nowNs;
      return true;
    }
    return nowNs - startNs_ < kMaxSpellNs;
  }
  // The spell ended (work came, or the executor slept).
  void end() { startNs_ = -1; }

 private:
  int64_t startNs_ = -1;
};

}  // namespace squall::internal
