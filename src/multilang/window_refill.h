#pragma once
// When a ShellBolt's full in-flight window refills one slot per ack instead of from its
// low-water mark (shell_bolt.cpp, waitForWindow).
//
// A full window normally waits to drain to its low-water mark, so the executor is woken once
// per quarter window, not once per ack. A child that holds tuples above that mark until more
// arrive (a batching bolt) would never drain that far; it shows by acking nothing while the
// executor waits. After kRefillWaitMs of that, the window refills per ack for kEagerNs.
//
// A child that keeps acking, only slowly (storm.py: a round trip per emit), is not holding
// tuples: it still has a quarter of the window queued, and keeps the low-water wake. Refilling
// it per ack cost a futex wake across CPUs per ack (15 µs on a 2-vCPU VM), which the reader
// paid before the task-id reply such a child waits for (docs/PERFORMANCE.md, "storm.py's round
// trips on one CPU").

#include <cstdint>

namespace squall::internal {

inline constexpr int kRefillWaitMs = 2;
inline constexpr int64_t kEagerNs = 100'000'000;

// After one wait for the low-water mark: `timedOut` when it lasted kRefillWaitMs,
// `refillingPerAck` when the window already refills per ack, and the child's acks and fails
// ever (`leftBefore` as the wait began, `leftAfter` now). True when the window should refill
// per ack from now on, for kEagerNs.
inline bool startRefillingPerAck(bool timedOut, bool refillingPerAck, uint64_t leftBefore,
                                 uint64_t leftAfter) {
  return timedOut && !refillingPerAck && leftAfter == leftBefore;
}

}  // namespace squall::internal
