#pragma once
// Assignment: which worker runs which executor of a topology, where every worker listens, and
// the topology's secret. Written by the launcher (`squall run --workers N`; the cluster's
// nimbus later) into a file only its owner can read, read by each `squall worker`.
//
// File format, one entry per line:
//   squall-assignment 1
//   topology-id ID
//   secret HEX
//   heartbeat-dir DIR          (optional)
//   local-sockets 1            (optional: workers with the same host use unix sockets)
//   worker INDEX HOST PORT     (one per worker; indexes may have gaps, see below)
//   executor START_TASK INDEX  (one per executor, by its first task)
//
// Indexes: the launcher numbers its workers 0..N-1. A cluster's supervisors number each worker
// after its first executor (supervisor/worker_assignment.h), so a worker keeps its index while
// its executors stay, whoever else joins or leaves; the indexes in between are gaps, workers
// that do not exist.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "topology/topology_plan.h"

namespace squall::worker {

struct WorkerAddress {
  std::string host;
  int port = 0;  // 0: no worker has this index (a gap)
};

// The highest worker index a file may name: bounds what a reader allocates.
inline constexpr int kMaxWorkerIndex = 1 << 16;

struct Assignment {
  std::string topologyId;
  std::string secret;
  std::string heartbeatDir;
  // Workers whose host is the same connect over an abstract unix socket instead of TCP.
  bool localSockets = false;
  std::vector<WorkerAddress> workers;  // by index; a gap has port 0
  std::map<int, int> executorWorker;   // executor start task -> worker index

  bool hasWorker(int index) const {
    return index >= 0 && index < static_cast<int>(workers.size()) &&
           workers[static_cast<size_t>(index)].port > 0;
  }
  // How many workers there are (the gaps not counted).
  int numWorkers() const;

  // -1 when the executor is not assigned.
  int workerOf(int startTask) const {
    auto it = executorWorker.find(startTask);
    return it == executorWorker.end() ? -1 : it->second;
  }
  // Every executor of `plan` assigned to an existing worker; std::runtime_error otherwise.
  void checkCovers(const internal::TopologyPlan& plan) const;
};

// Storm's even scheduler on one machine: the executors sorted by start task, dealt round-robin
// to `workers` slots.
std::map<int, int> evenSchedule(const internal::TopologyPlan& plan, int workers);

// Writes with mode 0600 (the secret must stay with its owner). std::runtime_error on failure.
void writeAssignment(const std::string& path, const Assignment& a);
// std::runtime_error naming the file and line on a malformed file.
Assignment readAssignment(const std::string& path);

// A hash of what both ends of a connection must agree on: components, their tasks and
// executors, and their streams with fields. Workers built from different definitions refuse
// each other.
uint64_t planFingerprint(const internal::TopologyPlan& plan);

}  // namespace squall::worker
