#pragma once
// WorkerReporter: what a `squall worker` started by a supervisor tells it beside its
// heartbeat: its executors' statistics over Storm's windows and its components' new errors
// (cluster/worker_report.h), written to heartbeat-dir/worker-INDEX.report before each
// heartbeat. The supervisor relays them to ZooKeeper (the worker holds no ZooKeeper session).
// The figures come from the tasks' own counters through ui::TopologyStats' rolling windows,
// as `squall run --ui` shows them; writing costs the executors nothing. One thread.

#include <deque>
#include <string>

#include "cluster/worker_report.h"
#include "runtime/running_topology.h"
#include "ui/topology_stats.h"

namespace squall::cli {

class WorkerReporter {
 public:
  explicit WorkerReporter(const internal::RunningTopology& topology);

  // The report as of now (samples the windows; takes the errors reported since the last call).
  cluster::WorkerReport report();
  // Writes `dir`/worker-`index`.report atomically; a failure is logged, never thrown.
  void write(const std::string& dir, int index);

 private:
  void takeNewErrors();

  const internal::RunningTopology& topology_;
  ui::TopologyStats stats_;
  double sampleRate_;
  uint64_t seen_ = 0;                                 // errors taken so far
  std::deque<cluster::ReportedComponentError> kept_;  // the last kMaxReportErrors
  bool warnedSize_ = false;
};

}  // namespace squall::cli
