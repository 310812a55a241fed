#pragma once
// LocalCluster: runs topologies inside this process, each executor on its own thread
// (Storm's LocalCluster). Several topologies may run at once; the destructor shuts all down.

#include <memory>
#include <string>
#include <vector>

#include "squall/config.h"
#include "squall/metrics_registry.h"
#include "squall/topology_builder.h"

namespace squall {

struct KillOptions {
  // Seconds between deactivation and shutdown, so in-flight tuples can finish; negative means
  // topology.message.timeout.secs (Storm's default).
  int waitSecs = -1;
};

enum class TopologyStatus { Active, Inactive, Killed };

struct TopologySummary {
  std::string name;
  std::string id;
  TopologyStatus status;
  int tasks;
  int executors;
  double uptimeSecs;
};

struct ReportedError {
  std::string component;
  int task;
  std::string message;
  int64_t timeSecs;
};

class LocalCluster {
 public:
  LocalCluster();
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Validates, then starts. InvalidTopologyException / ConfigError before anything starts.
  void submitTopology(const std::string& name, const Config& conf, const StormTopology& topology);
  // Deactivates, waits, then stops every executor and joins its thread.
  void killTopology(const std::string& name) { killTopologyWithOpts(name, KillOptions{}); }
  void killTopologyWithOpts(const std::string& name, const KillOptions& options);
  void activate(const std::string& name);
  void deactivate(const std::string& name);
  void shutdown();

  std::vector<TopologySummary> getTopologySummaries() const;
  std::vector<ReportedError> getErrors(const std::string& name) const;
  // The metrics the topology's tasks reported (multilang `metrics` commands), latest values.
  std::vector<MetricSample> getMetrics(const std::string& name) const;

  class Impl;
  // For the runtime's own tooling (statistics, tests).
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall
