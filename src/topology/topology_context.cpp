#include "squall/topology_context.h"

#include <fmt/format.h>

#include <algorithm>

#include "squall/errors.h"
#include "topology/topology_plan.h"

namespace squall {

using internal::TopologyPlan;

TopologyContext::TopologyContext(std::shared_ptr<const TopologyPlan> plan, int taskId)
    : plan_(std::move(plan)), taskId_(taskId) {}

const std::string& TopologyContext::getThisComponentId() const {
  return plan_->componentOfTask(taskId_);
}

int TopologyContext::getThisTaskIndex() const {
  const auto& tasks = getComponentTasks(getThisComponentId());
  return static_cast<int>(std::find(tasks.begin(), tasks.end(), taskId_) - tasks.begin());
}

std::vector<std::string> TopologyContext::getThisStreams() const {
  return getComponentStreams(getThisComponentId());
}

const Fields& TopologyContext::getThisOutputFields(const std::string& stream) const {
  return getComponentOutputFields(getThisComponentId(), stream);
}

std::map<GlobalStreamId, GroupingDef> TopologyContext::getThisSources() const {
  return getSources(getThisComponentId());
}

std::map<std::string, std::map<std::string, GroupingDef>> TopologyContext::getThisTargets() const {
  return getTargets(getThisComponentId());
}

const std::string& TopologyContext::getStormId() const {
  return plan_->stormId;
}

const std::string& TopologyContext::getComponentId(int taskId) const {
  return plan_->componentOfTask(taskId);
}

const std::vector<int>& TopologyContext::getComponentTasks(const std::string& componentId) const {
  static const std::vector<int> none;
  const auto* c = plan_->findComponent(componentId);
  return c ? c->tasks : none;
}

std::vector<std::string> TopologyContext::getComponentStreams(
    const std::string& componentId) const {
  std::vector<std::string> out;
  if (const auto* c = plan_->findComponent(componentId)) {
    for (const auto& [s, info] : c->streams) out.push_back(s);
  }
  return out;
}

const Fields& TopologyContext::getComponentOutputFields(const std::string& componentId,
                                                        const std::string& stream) const {
  const auto& c = plan_->component(componentId);
  auto it = c.streams.find(stream);
  if (it == c.streams.end()) {
    throw IllegalArgumentException(
        fmt::format("component '{}' declares no stream '{}'", componentId, stream));
  }
  return it->second.fields;
}

std::map<GlobalStreamId, GroupingDef> TopologyContext::getSources(
    const std::string& componentId) const {
  std::map<GlobalStreamId, GroupingDef> out;
  for (const auto& in : plan_->component(componentId).inputs) {
    out[{in.component, in.stream}] = in.grouping;
  }
  return out;
}

std::map<std::string, std::map<std::string, GroupingDef>> TopologyContext::getTargets(
    const std::string& componentId) const {
  std::map<std::string, std::map<std::string, GroupingDef>> out;
  for (const auto& [stream, subs] : plan_->component(componentId).consumers) {
    for (const auto& s : subs) out[stream][s.consumer] = s.grouping;
  }
  return out;
}

std::map<int, std::string> TopologyContext::getTaskToComponent() const {
  std::map<int, std::string> out;
  for (int t = 1; t <= plan_->numTasks(); ++t) out[t] = plan_->taskToComponent[t];
  return out;
}

std::vector<std::string> TopologyContext::getComponentIds() const {
  std::vector<std::string> out;
  for (const auto& [id, c] : plan_->components) out.push_back(id);
  return out;
}

const Config& TopologyContext::getConfig() const {
  return plan_->component(getThisComponentId()).conf;
}

const std::string& TopologyContext::getPIDDir() const {
  return plan_->pidDir;
}

void TopologyContext::reportMetric(const std::string& name, Value value) const {
  plan_->metrics.update(getThisComponentId(), taskId_, name, std::move(value));
}

metrics::Counter& TopologyContext::registerCounter(const std::string& name) const {
  return plan_->metrics.counter(getThisComponentId(), taskId_, name);
}

metrics::Histogram& TopologyContext::registerHistogram(const std::string& name) const {
  return plan_->metrics.histogram(getThisComponentId(), taskId_, name);
}

metrics::Meter& TopologyContext::registerMeter(const std::string& name) const {
  return plan_->metrics.meter(getThisComponentId(), taskId_, name);
}

void TopologyContext::registerGauge(const std::string& name, metrics::Gauge gauge) const {
  plan_->metrics.gauge(getThisComponentId(), taskId_, name, std::move(gauge));
}

void TopologyContext::registerMetricImpl(const std::string& name,
                                         std::unique_ptr<metrics::IMetric> metric,
                                         int timeBucketSizeInSecs) const {
  plan_->metrics.v1(getThisComponentId(), taskId_, name, std::move(metric), timeBucketSizeInSecs);
}

const std::string& TopologyContext::getCodeDir() const {
  return plan_->codeDir;
}

}  // namespace squall
