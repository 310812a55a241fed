#include "runtime/task_metrics.h"

#include <unistd.h>

#include <chrono>

#include "squall/metrics_consumer.h"

namespace squall::internal {

namespace {

const std::string& hostName() {
  static const std::string name = [] {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string("localhost");
  }();
  return name;
}

}  // namespace

const StreamMeta& metricsTickMeta() {
  static const StreamMeta meta{kSystemComponent, kMetricsTickStream, Fields{"interval"}};
  return meta;
}

void publishTaskMetrics(const TopologyRuntime& rt, const TopologyContext& context, int bucketSecs,
                        const std::function<void(Values)>& emit) {
  const TopologyPlan& plan = *rt.plan;
  const int task = context.getThisTaskId();
  const std::string& component = context.getThisComponentId();
  std::vector<metrics::DataPoint> points;
  for (auto& [name, metric] : plan.metrics.v1Metrics(task, bucketSecs)) {
    Value v = metric->getValueAndReset();
    if (v.isNull()) continue;
    plan.metrics.update(component, task, name, v);
    points.push_back(metrics::DataPoint{name, std::move(v)});
  }
  const ComponentPlan& cp = plan.component(component);
  if (!cp.consumers.contains(metrics::kMetricsStream)) return;
  if (bucketSecs == plan.conf.getInt(Config::TOPOLOGY_BUILTIN_METRICS_BUCKET_SIZE_SECS)) {
    for (auto& s : plan.metrics.reportedSinceLastTick(task)) {
      points.push_back(metrics::DataPoint{s.name, std::move(s.value)});
    }
  }
  if (points.empty()) return;
  metrics::TaskInfo info;
  info.srcWorkerHost = hostName();
  info.srcComponentId = component;
  info.srcTaskId = task;
  info.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  info.updateIntervalSecs = bucketSecs;
  emit(Values(std::vector<Value>{metrics::taskInfoValue(info), metrics::dataPointsValue(points)}));
}

}  // namespace squall::internal
