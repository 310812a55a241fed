#pragma once
// Keeps a child that answers in round trips (storm.py waiting for task ids after each emit) on
// the CPU it runs on, so that its reader, which follows it there (child_cpu_follower.h), can
// hold the emits it routes for a few hundred microseconds and let the executors downstream
// sleep (squall.multilang.reader.follows.child; docs/PERFORMANCE.md).
//
// Why the child itself: a storm.py word is a hand-off between the child and its reader, best
// made on one CPU. While the counter and the acker yield between words on the other CPU, that
// CPU is busy and the scheduler leaves the pair alone, but the yields cost most of a core.
// Once they sleep, the other CPU is idle, the scheduler pulls the child onto it, every word is
// a wake-up across CPUs again and storm.py loses a third of its words. Pinned, the child stays.
//
// The pin is the child's main thread's affinity, set within the mask it already had, and only
// on a CPU no other pinned child on this machine holds (any worker process's). The child's mask
// comes back (on every thread it started meanwhile, which inherited the pin) when the round trips
// stop, when the child waits for a CPU more than a quarter of the time at three checks in a row
// (someone else runs there: it is let go for kBackOffNs and pinned again wherever the scheduler put
// it), or when the pin is released. A child that was given one CPU already (taskset), or that runs
// on a CPU its reader may not use, is left alone.
//
// Used by the one thread that serves the child.

#include <sched.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace squall::internal {

// How long a reader holds what a pinned child's reads bring before handing it to the
// executors (sooner if the child has no tuple left): long enough that they sleep between
// hand-offs instead of yielding (a storm.py word is a round trip of 15-20 µs), short beside a
// tuple's way through the topology. Storm.py made the same words/s holding 0.5 ms as without
// the hold.
inline constexpr int64_t kRoundTripHoldNs = 500'000;

// The hold grows with the tuples queued for the child (`inFlight`, the one it works on
// included): kBacklogHoldPerTupleNs each, up to kBacklogHoldMaxNs. Each hand-off wakes the
// executors downstream on the other CPU, about 12 µs of each side's CPU on a VM
// (bench_wake_cost), so a saturated child's words leave in fewer, larger batches. The last
// tuple queued already waits 100-150 µs (a storm.py sentence) for each one before it, so the
// hold costs it at most about twice that wait; a child that keeps up has no backlog and keeps
// the short hold. The cap is 8 ms: at 2 ms a saturated storm.py still handed over 500 times a
// second, waking the counter, the acker and then the spout each time, and cost 7 % more engine
// CPU a message (docs/PERFORMANCE.md); its tuples already queue for far longer than that
// behind topology.max.spout.pending.
inline constexpr int64_t kBacklogHoldPerTupleNs = 250'000;
inline constexpr int64_t kBacklogHoldMaxNs = 8'000'000;
// What such a hold may keep before it hands over early, above topology.producer.batch.size
// (a saturated storm.py child makes about 800 emits and acks in 8 ms).
inline constexpr size_t kRoundTripHoldMaxItems = 1024;
constexpr int64_t roundTripHoldNs(size_t inFlight) {
  int64_t byBacklog =
      static_cast<int64_t>(std::min<size_t>(inFlight, 1000)) * kBacklogHoldPerTupleNs;
  return std::clamp(byBacklog, kRoundTripHoldNs, kBacklogHoldMaxNs);
}

// Whether a pinned child waits for its CPU for good: more than a quarter of the time, at
// kContendedChecks checks in a row. A burst of the engine's own threads on that CPU fills one
// check; letting the child go then cost 0.1 s of words that each wake the other CPU, and
// complete latency's p99 went from about 2 ms to 5-80 ms at 3000 sentences/s. Someone else who
// runs there for good still frees the child within three checks.
class CpuContention {
 public:
  static constexpr int kContendedChecks = 3;
  // The child waited `waitedNs` of the `elapsedNs` since the last check; true: let it go.
  bool letGo(int64_t waitedNs, int64_t elapsedNs) {
    inARow_ = waitedNs * 4 > elapsedNs ? inARow_ + 1 : 0;
    return inARow_ >= kContendedChecks;
  }

 private:
  int inARow_ = 0;
};

class ChildCpuPin {
 public:
  explicit ChildCpuPin(bool enabled) : enabled_(enabled) {}
  ~ChildCpuPin();
  ChildCpuPin(const ChildCpuPin&) = delete;
  ChildCpuPin& operator=(const ChildCpuPin&) = delete;

  // The child `pid` answers in round trips: pin it where it runs, or check that the pin still
  // serves it (at most every kCheckNs). Called on the reader's thread. `pid` is the one the child
  // reported; it is pinned only if it is `launchedPid` or a descendant of it (a child may name any
  // process).
  void keep(int pid, int launchedPid, int64_t nowNs);
  // The round trips stopped, or the child is going: its own mask again.
  void release();

  // The CPU the child is pinned to, or -1.
  int pinnedCpu() const { return cpu_; }

  static constexpr int64_t kCheckNs = 5'000'000;
  static constexpr int64_t kBackOffNs = 100'000'000;

 private:
  void unpin();
  int64_t waitedNs() const;  // the child's time runnable but not running, so far

  bool enabled_;
  int pid_ = 0;
  bool ours_ = false;     // pid_ is the launched process or one of its descendants
  int statFd_ = -1;       // /proc/PID/stat: the CPU it last ran on, and whether it is still ours
  int schedstatFd_ = -1;  // /proc/PID/schedstat: its time waiting for a CPU
  int cpu_ = -1;
  int claimFd_ = -1;  // this machine's claim on cpu_ (see claim() in the .cpp)
  cpu_set_t childMask_{};
  int64_t nextCheckNs_ = 0;
  int64_t lastCheckNs_ = 0;
  int64_t lastWaitedNs_ = 0;
  int64_t backOffUntilNs_ = 0;
  CpuContention contention_;
};

}  // namespace squall::internal
