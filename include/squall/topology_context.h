#pragma once
// TopologyContext: what a task knows about itself and the topology (Storm's TopologyContext).
// Immutable; valid for the life of the task.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "squall/config.h"
#include "squall/fields.h"
#include "squall/metrics.h"
#include "squall/topology_def.h"
#include "squall/value.h"

namespace squall {

namespace internal {
class TopologyPlan;
}

// (component, stream), Storm's GlobalStreamId.
using GlobalStreamId = std::pair<std::string, std::string>;

class TopologyContext {
 public:
  TopologyContext(std::shared_ptr<const internal::TopologyPlan> plan, int taskId);

  int getThisTaskId() const { return taskId_; }
  const std::string& getThisComponentId() const;
  // Index of this task among its component's tasks, from 0.
  int getThisTaskIndex() const;
  std::vector<std::string> getThisStreams() const;
  const Fields& getThisOutputFields(const std::string& stream) const;
  std::map<GlobalStreamId, GroupingDef> getThisSources() const;
  std::map<std::string, std::map<std::string, GroupingDef>> getThisTargets() const;

  const std::string& getStormId() const;
  // "__system" for -1; IllegalArgumentException for an unknown task.
  const std::string& getComponentId(int taskId) const;
  // Sorted ascending; empty for an unknown component.
  const std::vector<int>& getComponentTasks(const std::string& componentId) const;
  std::vector<std::string> getComponentStreams(const std::string& componentId) const;
  const Fields& getComponentOutputFields(const std::string& componentId,
                                         const std::string& stream) const;
  std::map<GlobalStreamId, GroupingDef> getSources(const std::string& componentId) const;
  std::map<std::string, std::map<std::string, GroupingDef>> getTargets(
      const std::string& componentId) const;
  std::map<int, std::string> getTaskToComponent() const;
  std::vector<std::string> getComponentIds() const;
  // The topology configuration merged with this component's own.
  const Config& getConfig() const;
  const std::string& getPIDDir() const;
  const std::string& getCodeDir() const;
  // Records the latest value of this task's metric `name` in the topology's MetricsRegistry
  // (LocalCluster::getMetrics). Any thread.
  void reportMetric(const std::string& name, Value value) const;

  // Storm 2's user metrics (squall/metrics.h), this task's, in the topology's MetricsRegistry,
  // where every reporter reads them. Call from open/prepare; the objects live as long as the
  // topology, and registering a name again returns the same one. IllegalArgumentException when
  // the name is already another kind of metric of this task.
  metrics::Counter& registerCounter(const std::string& name) const;
  metrics::Histogram& registerHistogram(const std::string& name) const;
  metrics::Meter& registerMeter(const std::string& name) const;
  // Called on the reporters' threads (see metrics::Gauge); dropped when the task's instance is.
  void registerGauge(const std::string& name, metrics::Gauge gauge) const;
  // Storm 1's registerMetric: `metric` is read and reset on this task's executor thread every
  // `timeBucketSizeInSecs` (a metrics tick); each non-null value becomes the metric's latest
  // value and a DataPoint for the metrics consumers. Owned by the registry until the task's
  // instance goes (a restarted task registers again).
  template <class T>
  T& registerMetric(const std::string& name, std::unique_ptr<T> metric,
                    int timeBucketSizeInSecs) const {
    T& out = *metric;
    registerMetricImpl(name, std::move(metric), timeBucketSizeInSecs);
    return out;
  }

  const internal::TopologyPlan& plan() const { return *plan_; }

 private:
  void registerMetricImpl(const std::string& name, std::unique_ptr<metrics::IMetric> metric,
                          int timeBucketSizeInSecs) const;

  std::shared_ptr<const internal::TopologyPlan> plan_;
  int taskId_;
};

}  // namespace squall
