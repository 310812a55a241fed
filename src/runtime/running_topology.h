#pragma once
// RunningTopology: one submitted topology in this process: its plan, its executors (one
// thread each), its tick timer and its flush clock. The composition root of a topology: start()
// builds and starts everything in order, kill() drains and stops it in reverse.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metrics/metrics_reporters.h"
#include "runtime/executor.h"
#include "runtime/flush_clock.h"
#include "runtime/tick_timer.h"
#include "runtime/topology_runtime.h"
#include "squall/local_cluster.h"

namespace squall::internal {

// Which executors run in this process when a topology spans several (see src/worker). The
// executors `local` rejects are stood in for by what `remote` makes (an executor that sends to
// the process running the real one) and get no ticks here. Empty: everything is local.
struct Placement {
  std::function<bool(const ExecutorPlan&)> local;
  std::function<std::unique_ptr<Executor>(TopologyRuntime&, const ExecutorPlan&, size_t index,
                                          size_t count)>
      remote;
};

class RunningTopology {
 public:
  // Validates and plans; throws InvalidTopologyException / ConfigError, starting nothing.
  RunningTopology(const std::string& name, const std::string& id, const Config& conf,
                  const StormTopology& topology, Placement placement = {});
  ~RunningTopology();

  // Starts every executor; activates the spouts unless `activateNow` is false.
  void start(bool activateNow = true);
  void activate();
  void deactivate();
  // Deactivates, lets in-flight tuples drain for `waitSecs`, then stops every thread.
  void kill(int waitSecs);

  TopologySummary summary() const;
  std::vector<ReportedError> errors() const { return rt_.errors.all(); }
  std::vector<ReportedError> errors(uint64_t* added) const { return rt_.errors.all(added); }
  const TopologyPlan& plan() const { return *rt_.plan; }
  const std::vector<std::unique_ptr<Executor>>& executors() const { return executors_; }
  // True once every executor has prepared/opened its tasks.
  bool ready() const;
  TopologyRuntime& runtime() { return rt_; }

 private:
  void scheduleMetricsTicks();

  TopologyRuntime rt_;
  Placement placement_;
  std::vector<std::unique_ptr<Executor>> executors_;
  TickTimer timer_;
  FlushClock flushClock_{rt_.flush};
  std::unique_ptr<metrics::MetricsReporters> reporters_;
  bool killed_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace squall::internal
