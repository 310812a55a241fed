#include "runtime/flush_clock.h"

#include <pthread.h>

#include <chrono>

namespace squall::internal {

void FlushClock::start(int64_t intervalNs) {
  if (intervalNs <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, intervalNs] {
    pthread_setname_np(pthread_self(), "squall-flush");
    const auto interval = std::chrono::nanoseconds(intervalNs);
    // Ticks on a fixed schedule, so a late wake-up does not stretch every later interval.
    auto next = std::chrono::steady_clock::now() + interval;
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (cv_.wait_until(lock, next) == std::cv_status::timeout) {
        epoch_.fetch_add(1, std::memory_order_relaxed);
        auto now = std::chrono::steady_clock::now();
        next += interval;
        if (next < now) next = now + interval;  // after a long stall, no burst of catch-up ticks
      }
    }
  });
}

void FlushClock::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace squall::internal
