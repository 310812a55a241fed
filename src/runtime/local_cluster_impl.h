#pragma once
// LocalCluster::Impl: the topologies running in this process, by name. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/running_topology.h"
#include "squall/local_cluster.h"

namespace squall {

class LocalCluster::Impl {
 public:
  void submit(const std::string& name, const Config& conf, const StormTopology& topology);
  void kill(const std::string& name, int waitSecs);
  void setActive(const std::string& name, bool active);
  void shutdown();
  std::vector<TopologySummary> summaries() const;
  std::vector<ReportedError> errors(const std::string& name) const;
  std::vector<MetricSample> metrics(const std::string& name) const;
  // nullptr when no topology of that name runs. Valid until it is killed.
  internal::RunningTopology* find(const std::string& name) const;

 private:
  internal::RunningTopology& get(const std::string& name) const;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<internal::RunningTopology>> topologies_;
  int submitted_ = 0;
};

}  // namespace squall
