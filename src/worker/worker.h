#pragma once
// Worker: the composition root of one `squall worker` process: the executors an assignment
// gives it (the others stood in for by RemoteExecutors), the transport to the other workers,
// and its heartbeat. start() listens, starts the executors, waits (bounded) for every peer
// and then activates the spouts, as a Storm worker waits for its connections; stop() drains
// and stops in reverse. Owned by one thread (the process's main loop), which also calls
// reassign() and heartbeat().

#include <memory>
#include <string>
#include <vector>

#include "runtime/running_topology.h"
#include "worker/assignment.h"
#include "worker/transport.h"

namespace squall::worker {

// The exit status of a worker process that stopped because it cannot follow a new assignment
// (its own executors or address changed): whoever supervises it starts it again.
inline constexpr int kExitReassigned = 75;

class Worker {
 public:
  // Plans the topology (InvalidTopologyException / ConfigError) and checks the assignment
  // covers it (std::runtime_error); starts nothing.
  Worker(Assignment assignment, int index, const std::string& name, const Config& conf,
         const StormTopology& topology);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start(double connectTimeoutSecs);
  // Deactivates, lets in-flight tuples drain for `waitSecs`, then stops everything.
  void stop(int waitSecs);
  // A new assignment of the same topology while running (Transport::reassign): "" once handed
  // to the transport, else why this worker must be restarted to follow it.
  std::string reassign(const Assignment& next);
  // Reads the assignment file again (on SIGHUP) and applies it. False, with an error logged,
  // when the worker must be restarted to follow it; a file that cannot be read is logged and
  // the worker keeps its assignment.
  bool reloadAssignment(const std::string& path);
  std::vector<ReportedError> errors() const { return topology_->errors(); }
  TransportStats stats() const { return transport_->stats(); }
  int index() const { return index_; }
  const Assignment& assignment() const { return assignment_; }
  // Its executors' stats and errors (src/cli/worker_report.h reads them for the supervisor).
  const internal::RunningTopology& topology() const { return *topology_; }
  // Writes heartbeat-dir/worker-INDEX.heartbeat (time, pid, counters), when the assignment
  // names a heartbeat dir.
  void heartbeat() const;

 private:
  Assignment assignment_;
  int index_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<internal::RunningTopology> topology_;
  bool stopped_ = false;
};

}  // namespace squall::worker
