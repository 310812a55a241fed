#include "runtime/flush_clock.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace squall::internal {

void FlushClock::start(int64_t intervalNs) {
  if (intervalNs <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, intervalNs] {
    pthread_setname_np(pthread_self(), "squall-flush");
    FlushEpoch& e = epoch_;
    const auto interval = std::chrono::nanoseconds(intervalNs);
    const int64_t parkAfterTicks = std::max<int64_t>(2, kParkAfterNs / intervalNs);
    int64_t quietTicks = 0;
    // Ticks on a fixed schedule, so a late wake-up does not stretch every later interval.
    auto next = std::chrono::steady_clock::now() + interval;
    std::unique_lock lock(e.mu);
    while (!stop_) {
      if (e.parked.load(std::memory_order_relaxed)) {
        e.cv.wait(lock, [&] { return stop_ || !e.parked.load(std::memory_order_relaxed); });
        quietTicks = 0;
        next = std::chrono::steady_clock::now() + interval;
        continue;
      }
      if (e.cv.wait_until(lock, next) != std::cv_status::timeout) continue;
      e.ticks.fetch_add(1, std::memory_order_relaxed);
      if (e.active.exchange(false, std::memory_order_relaxed)) {
        quietTicks = 0;
      } else if (++quietTicks >= parkAfterTicks) {
        e.parked.store(true, std::memory_order_seq_cst);
        // An executor that marked itself active before seeing `parked` will not wake us.
        if (e.active.load(std::memory_order_seq_cst)) e.parked.store(false);
      }
      auto now = std::chrono::steady_clock::now();
      next += interval;
      if (next < now) next = now + interval;  // after a long stall, no burst of catch-up ticks
    }
  });
}

void FlushClock::stop() {
  {
    std::lock_guard lock(epoch_.mu);
    stop_ = true;
  }
  epoch_.cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace squall::internal
