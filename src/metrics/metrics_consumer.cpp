// The `__metrics` tuple's shape, the bolt that runs an IMetricsConsumer, and consumer
// registration by class name.

#include "squall/metrics_consumer.h"

#include <fmt/format.h>

#include "squall/component_registry.h"
#include "squall/components.h"
#include "squall/errors.h"
#include "squall/tuple.h"

namespace squall::metrics {

namespace {

const Value& field(const Map& m, const char* name) {
  auto it = m.find(name);
  if (it == m.end()) {
    throw IllegalArgumentException(fmt::format("a __metrics tuple's task info lacks '{}'", name));
  }
  return it->second;
}

// Storm's MetricsConsumerBolt: each `__metrics` tuple becomes one handleDataPoints call, on the
// bolt's executor thread (Storm hands them to a thread of its own through a queue of
// max.retain.metric.tuples; here the bolt's receive queue is that bound).
class MetricsConsumerBolt : public IRichBolt {
 public:
  MetricsConsumerBolt(std::unique_ptr<IMetricsConsumer> consumer, Value argument)
      : consumer_(std::move(consumer)), argument_(std::move(argument)) {}

  void declareOutputFields(OutputFieldsDeclarer&) override {}
  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    reporter_.collector = &collector;
    consumer_->prepare(conf, argument_, context, reporter_);
  }
  void execute(const Tuple& input) override {
    if (input.isTick() || input.size() < 2) return;
    consumer_->handleDataPoints(taskInfoFrom(input.getValue(0)), dataPointsFrom(input.getValue(1)));
    collector_->ack(input);
  }
  void cleanup() override { consumer_->cleanup(); }

 private:
  struct Reporter : IErrorReporter {
    OutputCollector* collector = nullptr;
    void reportError(const std::string& message) override { collector->reportError(message); }
  };
  std::unique_ptr<IMetricsConsumer> consumer_;
  Value argument_;
  OutputCollector* collector_ = nullptr;
  Reporter reporter_;
};

}  // namespace

Value taskInfoValue(const TaskInfo& info) {
  return Value(Map{{"srcWorkerHost", info.srcWorkerHost},
                   {"srcWorkerPort", info.srcWorkerPort},
                   {"srcComponentId", info.srcComponentId},
                   {"srcTaskId", info.srcTaskId},
                   {"timestamp", info.timestamp},
                   {"updateIntervalSecs", info.updateIntervalSecs}});
}

Value dataPointsValue(const std::vector<DataPoint>& points) {
  List out;
  out.reserve(points.size());
  for (const auto& p : points) out.emplace_back(Map{{"name", p.name}, {"value", p.value}});
  return Value(std::move(out));
}

TaskInfo taskInfoFrom(const Value& v) {
  if (!v.isMap()) throw IllegalArgumentException("a __metrics tuple's task info is not a map");
  const Map& m = v.asMap();
  return TaskInfo{field(m, "srcWorkerHost").asString(),
                  static_cast<int>(field(m, "srcWorkerPort").asInt()),
                  field(m, "srcComponentId").asString(),
                  static_cast<int>(field(m, "srcTaskId").asInt()),
                  field(m, "timestamp").asInt(),
                  static_cast<int>(field(m, "updateIntervalSecs").asInt())};
}

std::vector<DataPoint> dataPointsFrom(const Value& v) {
  if (!v.isList()) throw IllegalArgumentException("a __metrics tuple's data points are not a list");
  std::vector<DataPoint> out;
  for (const Value& p : v.asList()) {
    if (!p.isMap()) throw IllegalArgumentException("a __metrics data point is not a map");
    const Map& m = p.asMap();
    auto name = m.find("name");
    auto value = m.find("value");
    if (name == m.end() || !name->second.isString() || value == m.end()) {
      throw IllegalArgumentException("a __metrics data point lacks its name or value");
    }
    out.push_back(DataPoint{name->second.asString(), value->second});
  }
  return out;
}

void registerMetricsConsumer(const std::string& className, MetricsConsumerFactory factory) {
  ComponentRegistry::global().addComponent(
      className, [className, factory](const Values& args) -> ComponentInstance {
        if (args.size() > 1) {
          throw IllegalArgumentException(
              fmt::format("metrics consumer '{}' takes one argument (the registration's), got {}",
                          className, args.size()));
        }
        return std::unique_ptr<IRichBolt>(
            std::make_unique<MetricsConsumerBolt>(factory(), args.empty() ? Value() : args[0]));
      });
}

}  // namespace squall::metrics
