#pragma once
// How long a ShellBolt's reader polls its child's stdout after answering an emit with task ids,
// before it sleeps in ppoll (squall.multilang.reply.poll.micros).
//
// storm.py waits for the task ids of every emit: each word is a round trip, the reply to the
// child and its next emit back. On a VM that halts an idle vCPU at once (no halt polling in the
// guest), a reader asleep in ppoll is woken by an interrupt to a halted vCPU, 10-20 µs of the
// round trip. A reader that keeps polling for as long as the child usually takes to answer
// catches the next emit as it lands, and the child's write wakes no one. The poll yields the
// core on every turn, so a child sharing the reader's core still runs.
//
// The reader learns the child's pace: it polls for twice the recent gap between a reply and
// the child's next output, and not at all while that gap is longer than the limit (a child that
// works between emits gains nothing from a poll that would run out first).

#include <algorithm>
#include <cstdint>

namespace squall::internal {

class ReplyPoll {
 public:
  explicit ReplyPoll(int64_t limitNs) : limitNs_(limitNs) {}

  // The child's output came `gapNs` after a task-id reply was written.
  void observe(int64_t gapNs) { recentGapNs_ += (gapNs - recentGapNs_) / 4; }

  // How long to poll after a read of a child that waits for replies; 0: sleep at once.
  int64_t pollNs() const {
    if (limitNs_ <= 0 || recentGapNs_ > limitNs_) return 0;
    return std::min(limitNs_, 2 * recentGapNs_);
  }

 private:
  int64_t limitNs_;
  int64_t recentGapNs_ = 0;
};

}  // namespace squall::internal
