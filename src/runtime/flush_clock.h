#pragma once
// FlushClock: one thread per running topology that advances a counter every
// topology.batch.flush.interval.millis (Storm's flush timer). Executors read the counter,
// never the system clock, after each call into user code: a changed value means the interval
// has passed, so partial batches are published and a burst ends (see Executor::afterUserCall).
// Reading it costs a load from a line written once per interval, where a clock read per
// emitted tuple would cost more than the emit.
//
// An idle topology should cost nothing, so the clock parks once no executor has had work in
// hand (a batch begun, input to process) for kParkAfterNs, and the first executor to have some
// again wakes it. The counter only matters to an executor that holds something, and holding
// something is exactly what wakes the clock; the wake-up itself counts as time passed (see
// unpark()), so the call that woke it publishes at once and later ones batch as usual.
// start() launches the thread (none when the interval is 0: the timer is off); stop() ends
// and joins it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace squall::internal {

// What the executors share with the clock; one cache line, written by the clock once per
// interval and by each executor at most once per interval.
struct alignas(64) FlushEpoch {
  std::atomic<uint64_t> ticks{0};
  // Set by an executor with work in hand, cleared by the clock at every tick.
  std::atomic<bool> active{false};
  std::atomic<bool> parked{false};
  std::mutex mu;
  std::condition_variable cv;

  // Executor threads, when they begin a batch or take input. Costs a load of this line unless
  // the clock has ticked since the last mark.
  // Inlined into every emit path, so only the load and the branch are here.
  void markActive() {
    if (!active.load(std::memory_order_relaxed)) [[unlikely]]
      markActiveSlow();
  }
  // Paired with the clock's store of `parked` then load of `active` (both sequentially
  // consistent): either the clock sees this mark and stays awake, or we see it parked and
  // wake it.
  [[gnu::noinline]] void markActiveSlow() {
    active.store(true, std::memory_order_seq_cst);
    if (parked.load(std::memory_order_seq_cst)) unpark();
  }
  [[gnu::noinline]] void unpark() {
    // Parked, the clock counted no time, so a call that ran across the wake-up may have been
    // slow: count the wake-up as two intervals, and the caller's afterUserCall() publishes
    // what that call emitted at once (a spout that slept seconds in nextTuple, then emitted).
    ticks.fetch_add(2, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu);
      parked.store(false, std::memory_order_relaxed);
    }
    cv.notify_all();
  }
};

class FlushClock {
 public:
  // Quiet time after which the clock parks.
  static constexpr int64_t kParkAfterNs = 100'000'000;

  explicit FlushClock(FlushEpoch& epoch) : epoch_(epoch) {}
  ~FlushClock() { stop(); }
  FlushClock(const FlushClock&) = delete;
  FlushClock& operator=(const FlushClock&) = delete;

  void start(int64_t intervalNs);
  void stop();

 private:
  FlushEpoch& epoch_;
  std::thread thread_;
  bool stop_ = false;  // guarded by epoch_.mu
};

}  // namespace squall::internal
