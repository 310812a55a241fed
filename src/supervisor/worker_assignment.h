#pragma once
// From the cluster's assignment of a topology (/assignments/ID, written by nimbus) to the file a
// `squall worker` reads (worker/assignment.h): one worker per distinct node:port, listening on
// its node's host (nodeHost) and slot port. The secret is the topology's, from /credentials/ID.
//
// Every supervisor numbers the workers alike, from the assignment alone: a worker's index is
// the rank of its first executor (by start task) among all the topology's executors. So the
// index belongs to the executors, not to a position among the slots: when another slot leaves
// or joins (a supervisor lost and its executors moved, a rebalance -n), a worker whose own
// executors stay keeps its index, and its supervisor only tells it where its peers are now
// (SIGHUP), as Storm keeps such a worker running. Numbering by (node, port) order, as before,
// shifted the survivors' indexes and so restarted them. Indexes are unique (executors do not
// share tasks), below the executor count, and may leave gaps.

#include <map>
#include <set>
#include <string>

#include "cluster/cluster_state.h"
#include "worker/assignment.h"

namespace squall::supervisor {

// The key of the topology's worker secret in /credentials/ID (written by nimbus at submit).
inline constexpr const char* kWorkerSecretCredential = "squall.worker.secret";

// std::runtime_error naming the topology and the node when a node has no host.
worker::Assignment toWorkerAssignment(const cluster::Assignment& assignment,
                                      const std::string& topologyId, const std::string& secret);

// The workers of `assignment` that run on `supervisorId`: slot port -> worker index.
std::map<int, int> localWorkers(const cluster::Assignment& assignment,
                                const std::string& supervisorId);

// The executors the worker at node:port runs (for its /workerbeats heartbeat).
std::vector<cluster::ExecutorRange> executorsOf(const cluster::Assignment& assignment,
                                                const std::string& node, int port);

// The start tasks of the executors worker `index` runs: what decides whether a running worker
// can follow a new assignment (the same set) or must be started again.
std::set<int> executorsOfWorker(const worker::Assignment& assignment, int index);

// Whether two worker assignments differ in anything a worker reads.
bool sameAssignment(const worker::Assignment& a, const worker::Assignment& b);

}  // namespace squall::supervisor
