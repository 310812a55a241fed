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
//   worker INDEX HOST PORT     (one per worker, indexes 0..N-1)
//   executor START_TASK INDEX  (one per executor, by its first task)

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "topology/topology_plan.h"

namespace squall::worker {

struct WorkerAddress {
  std::string host;
  int port = 0;
};

struct Assignment {
  std::string topologyId;
  std::string secret;
  std::string heartbeatDir;
  // Workers whose host is the same connect over an abstract unix socket instead of TCP.
  bool localSockets = false;
  std::vector<WorkerAddress> workers;
  std::map<int, int> executorWorker;  // executor start task -> worker index

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
