#pragma once
// TickTimer: one thread per running topology that puts tick tuples (__system/__tick, task -1,
// values [secs]) into executor queues on schedule: bolts with topology.tick.tuple.freq.secs,
// and spouts and ackers every topology.message.timeout.secs to rotate their timeout maps.
// A tick that finds its queue full is retried each millisecond until it fits.
// start() launches the thread; stop() ends and joins it.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/executor.h"

namespace squall::internal {

class TickTimer {
 public:
  ~TickTimer() { stop(); }
  void add(Executor* executor, int periodSecs);
  void start();
  void stop();
  bool empty() const { return entries_.empty(); }

  static const StreamMeta& tickMeta();

 private:
  struct Entry {
    Executor* executor;
    int periodSecs;
    int64_t nextNs;
    int owed = 0;  // ticks due but not yet accepted by a full queue
  };
  void run();

  std::vector<Entry> entries_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace squall::internal
