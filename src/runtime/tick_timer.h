#pragma once
// TickTimer: one thread per running topology that puts tick tuples (__system/__tick, task -1,
// values [secs]) into executor queues on schedule: bolts with topology.tick.tuple.freq.secs,
// and spouts and ackers every topology.message.timeout.secs to rotate their timeout maps; and
// metrics ticks (__system/__metrics_tick, values [bucket secs], see task_metrics.h).
// A tick that finds its queue full is retried each millisecond until it fits.
// start() launches the thread; stop() ends and joins it. add() may also be called while it
// runs (a task registering a metric from its prepare), from any thread.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/executor.h"

namespace squall::internal {

class TickTimer {
 public:
  ~TickTimer() { stop(); }
  // Once per (executor, period, stream): adding the same again does nothing.
  void add(Executor* executor, int periodSecs, const StreamMeta* meta = &tickMeta());
  void start();
  void stop();

  static const StreamMeta& tickMeta();

 private:
  struct Entry {
    Executor* executor;
    int periodSecs;
    const StreamMeta* meta;
    int64_t nextNs;
    int owed = 0;  // ticks due but not yet accepted by a full queue
  };
  void run();

  std::vector<Entry> entries_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_ = false;
};

}  // namespace squall::internal
