#pragma once
// Storm's IMetricsConsumer. `topology.metrics.consumer.register: [{class, parallelism.hint,
// argument}]` adds, for each entry, a system bolt `__metrics<class>` (`#2`, `#3` for the same
// class again) that subscribes with shuffle grouping to the `__metrics` stream of every
// component. Every task emits on `__metrics`, each `topology.builtin.metrics.bucket.size.secs`
// (and each bucket of its Storm 1 IMetrics), one tuple [task-info, data-points]; the bolt hands
// them to the consumer's handleDataPoints.
//
// Register a consumer by class name with SQUALL_REGISTER_METRICS_CONSUMER(Type) (or
// registerMetricsConsumer); `org.apache.storm.metric.LoggingMetricsConsumer` is built in.
// A consumer instance lives on its bolt task's executor thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "squall/config.h"
#include "squall/value.h"

namespace squall {

class TopologyContext;

namespace metrics {

inline constexpr const char* kMetricsStream = "__metrics";
inline constexpr const char* kMetricsComponentPrefix = "__metrics";
inline constexpr const char* kLoggingMetricsConsumer =
    "org.apache.storm.metric.LoggingMetricsConsumer";

// Storm's IMetricsConsumer.TaskInfo.
struct TaskInfo {
  std::string srcWorkerHost;
  int srcWorkerPort = 0;
  std::string srcComponentId;
  int srcTaskId = 0;
  int64_t timestamp = 0;  // Unix seconds
  int updateIntervalSecs = 0;
};

// Storm's IMetricsConsumer.DataPoint.
struct DataPoint {
  std::string name;
  Value value;
};

class IErrorReporter {
 public:
  virtual ~IErrorReporter() = default;
  virtual void reportError(const std::string& message) = 0;
};

class IMetricsConsumer {
 public:
  virtual ~IMetricsConsumer() = default;
  virtual void prepare(const Config& topoConf, const Value& registrationArgument,
                       TopologyContext& context, IErrorReporter& errorReporter) = 0;
  virtual void handleDataPoints(const TaskInfo& taskInfo,
                                const std::vector<DataPoint>& dataPoints) = 0;
  virtual void cleanup() {}
};

// The `__metrics` tuple's two values (fields "task-info", "data-points") as Values, so they
// cross worker connections like any tuple: a map with TaskInfo's field names, and a list of
// {name, value} maps.
Value taskInfoValue(const TaskInfo& info);
Value dataPointsValue(const std::vector<DataPoint>& points);
// IllegalArgumentException when the values do not have that shape.
TaskInfo taskInfoFrom(const Value& v);
std::vector<DataPoint> dataPointsFrom(const Value& v);

using MetricsConsumerFactory = std::function<std::unique_ptr<IMetricsConsumer>()>;
// Registers `className` in the global component registry as the consumer bolt around a fresh
// consumer from `factory`.
void registerMetricsConsumer(const std::string& className, MetricsConsumerFactory factory);
// The built-in consumers (LoggingMetricsConsumer). Idempotent.
void registerBuiltinMetricsConsumers();

// Where LoggingMetricsConsumer writes: `<storm.log.dir>/metrics.log` when the configuration
// names a log directory, else "" (the process log).
std::string metricsLogPath(const Config& conf);

}  // namespace metrics
}  // namespace squall

#define SQUALL_REGISTER_METRICS_CONSUMER_AS(Type, name)                    \
  static const bool squall_registered_consumer_##Type [[maybe_unused]] =   \
      (::squall::metrics::registerMetricsConsumer(                         \
           name,                                                           \
           [] {                                                            \
             return std::unique_ptr< ::squall::metrics::IMetricsConsumer>( \
                 std::make_unique<Type>());                                \
           }),                                                             \
       true)
#define SQUALL_REGISTER_METRICS_CONSUMER(Type) SQUALL_REGISTER_METRICS_CONSUMER_AS(Type, #Type)
