#pragma once
// FlushClock: one thread per running topology that advances a counter every
// topology.batch.flush.interval.millis (Storm's flush timer). Executors read the counter,
// never the system clock, after each call into user code: a changed value means the interval
// has passed, so partial batches are published and a burst ends (see Executor::afterUserCall).
// Reading it costs a load from a line written once per interval, where a clock read per
// emitted tuple would cost more than the emit. start() launches the thread (none when the
// interval is 0: the timer is off); stop() ends and joins it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace squall::internal {

class FlushClock {
 public:
  explicit FlushClock(std::atomic<uint64_t>& epoch) : epoch_(epoch) {}
  ~FlushClock() { stop(); }
  FlushClock(const FlushClock&) = delete;
  FlushClock& operator=(const FlushClock&) = delete;

  void start(int64_t intervalNs);
  void stop();

 private:
  std::atomic<uint64_t>& epoch_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace squall::internal
