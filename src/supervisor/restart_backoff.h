#pragma once
// RestartBackoff: when the supervisor starts again a worker that died. A first death (or one
// after a life of kLongLife) is restarted at once: the worker's peers and its spouts' pending
// tuples wait on it, and a wait buys nothing when nothing is failing in a loop. A worker that
// dies again within kLongLife is restarted after 100 ms, doubling to 5 s, so one that crashes
// at start does not take the machine. Owned by the supervisor's thread, one per slot.

#include <algorithm>
#include <chrono>

namespace squall::supervisor {

class RestartBackoff {
 public:
  static constexpr std::chrono::seconds kLongLife{30};
  static constexpr int kFirstMs = 100, kMaxMs = 5000;

  // The delay before restarting a worker that died after living `lived`.
  std::chrono::milliseconds onDeath(std::chrono::steady_clock::duration lived) {
    if (lived > kLongLife) nextMs_ = 0;
    int delay = nextMs_;
    nextMs_ = nextMs_ ? std::min(nextMs_ * 2, kMaxMs) : kFirstMs;
    return std::chrono::milliseconds(delay);
  }

 private:
  int nextMs_ = 0;
};

}  // namespace squall::supervisor
