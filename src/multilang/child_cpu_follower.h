#pragma once
// Keeps a ShellBolt's reader thread on the CPU its child last ran on, while the child waits for
// a task-id reply after each emit (storm.py; squall.multilang.reader.follows.child).
//
// Such a child and its reader hand each word back and forth: the emit, then the reply the child
// blocks on. On two CPUs the scheduler often puts them on different ones, and each hand-off is
// then a wake-up across CPUs; on a VM that halts an idle vCPU that is an interrupt to a halted
// vCPU, 10-20 µs of every word. On one CPU the hand-off is a local switch: the child's write
// wakes the reader, which answers before the child reads (docs/PERFORMANCE.md: storm.py
// 30-35 k words/s -> 50-54 k). The follower looks up the child's CPU every few milliseconds and
// moves the reader; when the child stops asking for task ids the reader gets its old mask back.
// A bolt's child is also kept on that CPU while it asks (child_cpu_pin.h).
//
// A ShellSpout's executor follows its child the same way: each of its calls is a round trip.
// An executor may run several spout tasks, each with its own follower: the thread's own mask is
// kept once per thread, and comes back when the last of them releases it.
//
// Used by one thread, the one it moves. Released (or destroyed) on another, it leaves that
// thread's mask alone: the thread has stopped using it.

#include <sched.h>

#include <cstdint>
#include <optional>

namespace squall::internal {

// The CPU a process last ran on: field 39 of /proc/PID/stat, read through `statFd` (an open
// descriptor of that file; pread from 0). nullopt when the text cannot be read or parsed.
std::optional<int> lastCpuOf(int statFd);

// Field 39 of /proc/PID/stat text (exposed for tests; metrics::procStatField reads it).
std::optional<int> parseLastCpu(const char* text, size_t size);

class ChildCpuFollower {
 public:
  explicit ChildCpuFollower(bool enabled) : enabled_(enabled) {}
  ~ChildCpuFollower();
  ChildCpuFollower(const ChildCpuFollower&) = delete;
  ChildCpuFollower& operator=(const ChildCpuFollower&) = delete;

  // The child `pid` waits for replies: keep the calling thread on its CPU (checked at most
  // every kCheckNs).
  void follow(int pid, int64_t nowNs);
  // The child no longer waits for replies (or is gone): the thread's own mask again.
  void release();

  // The CPU the thread was moved to, or -1 (for tests and logs).
  int followedCpu() const { return cpu_; }

  static constexpr int64_t kCheckNs = 5'000'000;

 private:
  bool enabled_;
  int pid_ = 0;
  int statFd_ = -1;
  int cpu_ = -1;
  int tid_ = 0;  // the thread this follower moved (it holds one of its pins), or 0
  int64_t nextCheckNs_ = 0;
};

}  // namespace squall::internal
