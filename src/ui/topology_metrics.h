#pragma once
// A running topology as the UI's renderers read it, and the /metrics text of a process that
// runs executors. snapshotTopology() fills a TopologySnapshot from a RunningTopology and its
// TopologyStats (LocalSource's pages use it too); TopologyMetrics is what a cluster worker
// (`squall worker`) serves at /metrics: the same families, names and labels as `squall run
// --ui` (prometheus.h), plus the process's own (metrics/process_metrics.h). Thread-safe, as
// long as the RunningTopology outlives it.

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "runtime/running_topology.h"
#include "ui/prometheus.h"
#include "ui/storm_api.h"
#include "ui/topology_stats.h"

namespace squall::ui {

// Storm's status name of a topology: ACTIVE, INACTIVE, KILLED.
std::string topologyStatusName(TopologyStatus s);

// Everything of `topology` but its metrics, with the windows asked for filled from `stats`.
void snapshotTopology(const internal::RunningTopology& topology, TopologyStats& stats,
                      std::initializer_list<size_t> windows, TopologySnapshot& out);

// The topology's multilang children as they are now: one read of /proc/PID/stat per running
// child; a child that has just exited reads as not running.
std::vector<ShellChildSample> sampleShellChildren(const internal::TopologyPlan& plan);

class TopologyMetrics {
 public:
  using KafkaPartitions = std::function<std::vector<KafkaPartitionSample>(const std::string&)>;
  explicit TopologyMetrics(const internal::RunningTopology& topology,
                           KafkaPartitions kafkaPartitions = {});

  // The Prometheus text of a scrape.
  std::string text();

 private:
  const internal::RunningTopology& topology_;
  KafkaPartitions kafkaPartitions_;
  TopologyStats stats_;
};

}  // namespace squall::ui
