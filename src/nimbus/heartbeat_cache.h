#pragma once
// HeartbeatCache: Storm's nimbus heartbeat cache, which decides which executors are alive.
//
// Heartbeats are per worker (/workerbeats/ID/NODE-PORT, relayed by the worker's supervisor and
// listing the worker's executors); liveness is kept per executor, as Storm does, so an executor
// that moves to another slot starts afresh there. Nimbus does not trust the worker's clock: it
// records, by its own clock, when the heartbeat's reported time last *changed* as it saw it.
// An executor is alive while it is within nimbus.task.launch.secs of its start time in the
// assignment, or while that change is less than nimbus.task.timeout.secs old. An executor first
// seen by this cache counts as just changed, so a nimbus that starts (or becomes leader) gives
// every executor a full timeout from when it first looks.
//
// Pure and single-threaded: the caller reads ZooKeeper, passes its own clock and serialises
// calls (ClusterNimbus holds its scheduling mutex).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/cluster_state.h"

namespace squall::nimbus {

// A slot holding executors that are not alive: the scheduler moves them elsewhere.
struct DeadSlot {
  cluster::NodePort slot;
  std::vector<cluster::ExecutorRange> executors;  // the dead ones, in task order
  bool everBeat = false;     // nimbus saw a heartbeat listing them (else: none since it looked)
  int64_t silentMs = 0;      // since nimbus saw their heartbeat change (or first looked)
  int64_t sinceStartMs = 0;  // since their start time in the assignment
};

class HeartbeatCache {
 public:
  HeartbeatCache(int taskTimeoutSecs, int taskLaunchSecs)
      : timeoutMs_(int64_t{taskTimeoutSecs} * 1000), launchMs_(int64_t{taskLaunchSecs} * 1000) {}

  // One look at a topology: its assignment and the heartbeat read now for each of its slots
  // (nullopt: no heartbeat node). A slot missing from `beats` could not be read; its executors
  // keep what was seen before. Executors no longer assigned are forgotten.
  void update(const std::string& topologyId, const cluster::Assignment& assignment,
              const std::map<cluster::NodePort, std::optional<cluster::WorkerHeartbeat>>& beats,
              int64_t nowMs);

  // The assignment's slots holding an executor past its launch grace whose heartbeat has not
  // changed for the task timeout. Executors not yet looked at by update() are alive.
  std::vector<DeadSlot> deadSlots(const std::string& topologyId,
                                  const cluster::Assignment& assignment, int64_t nowMs) const;

  // The earliest time after nowMs at which a tracked executor would be dead if its heartbeat
  // did not change again; nullopt when none would.
  std::optional<int64_t> nextDeadlineMs(int64_t nowMs) const;

  // Keeps only these topologies (the others were killed).
  void retain(const std::set<std::string>& topologyIds);
  void clear() { topologies_.clear(); }

 private:
  struct Entry {
    cluster::NodePort slot;
    std::optional<int64_t> reported;  // the heartbeat's timeSecs when it last changed
    int64_t nimbusMs = 0;             // nimbus's clock when it saw that change (or first looked)
    int64_t startMs = 0;              // the executor's start time in the assignment
  };
  int64_t deadlineOf(const Entry& e) const;

  int64_t timeoutMs_;
  int64_t launchMs_;
  std::map<std::string, std::map<cluster::ExecutorRange, Entry>> topologies_;
};

}  // namespace squall::nimbus
