#pragma once
// From the cluster's assignment of a topology (/assignments/ID, written by nimbus) to the file a
// `squall worker` reads (worker/assignment.h). Every supervisor numbers the workers alike: one
// worker per distinct node:port, ordered by (node, port), each listening on its node's host
// (nodeHost) and slot port. The secret is the topology's, from /credentials/ID.

#include <map>
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

// Whether two worker assignments differ in anything a worker reads.
bool sameAssignment(const worker::Assignment& a, const worker::Assignment& b);

}  // namespace squall::supervisor
