#include "flux/debug_tracing.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "logs/debug_sampling.h"
#include "squall/component_registry.h"
#include "squall/topology_context.h"

namespace squall::flux {

namespace {

using Slot = const std::atomic<int>*;

bool traced(Slot slot) {
  return logs::DebugSampling::global().sample(slot);
}

class TracingSpoutCollector : public SpoutOutputCollector {
 public:
  TracingSpoutCollector(SpoutOutputCollector& inner, std::string component, int task, Slot slot)
      : inner_(inner), component_(std::move(component)), task_(task), slot_(slot) {}

  const TaskIds& emit(std::string_view stream, Values values, Value messageId) override {
    if (traced(slot_)) {
      spdlog::info("Emitting Tuple: taskId={} componentId={} stream={} values={}{}", task_,
                   component_, stream, toString(values),
                   messageId.isNull() ? "" : " msgId=" + messageId.toString());
    }
    return inner_.emit(stream, std::move(values), std::move(messageId));
  }
  void emitDirect(int taskId, std::string_view stream, Values values, Value messageId) override {
    if (traced(slot_)) {
      spdlog::info("Emitting direct to task {}: taskId={} componentId={} stream={} values={}{}",
                   taskId, task_, component_, stream, toString(values),
                   messageId.isNull() ? "" : " msgId=" + messageId.toString());
    }
    inner_.emitDirect(taskId, stream, std::move(values), std::move(messageId));
  }
  int64_t getPendingCount() const override { return inner_.getPendingCount(); }
  void flush() override { inner_.flush(); }
  void reportError(const std::string& message) override { inner_.reportError(message); }

 private:
  SpoutOutputCollector& inner_;
  std::string component_;
  int task_;
  Slot slot_;
};

class TracingOutputCollector : public OutputCollector {
 public:
  TracingOutputCollector(OutputCollector& inner, std::string component, int task, Slot slot)
      : inner_(inner), component_(std::move(component)), task_(task), slot_(slot) {}

  const TaskIds& emit(std::string_view stream, std::span<const Tuple> anchors,
                      Values values) override {
    if (traced(slot_)) {
      spdlog::info("Emitting Tuple: taskId={} componentId={} stream={} values={}", task_,
                   component_, stream, toString(values));
    }
    return inner_.emit(stream, anchors, std::move(values));
  }
  void emitDirect(int taskId, std::string_view stream, std::span<const Tuple> anchors,
                  Values values) override {
    if (traced(slot_)) {
      spdlog::info("Emitting direct to task {}: taskId={} componentId={} stream={} values={}",
                   taskId, task_, component_, stream, toString(values));
    }
    inner_.emitDirect(taskId, stream, anchors, std::move(values));
  }
  void ack(const Tuple& input) override {
    if (traced(slot_)) spdlog::info("BOLT ack TASK: {} TUPLE: {}", task_, input.toString());
    inner_.ack(input);
  }
  void fail(const Tuple& input) override {
    if (traced(slot_)) spdlog::info("BOLT fail TASK: {} TUPLE: {}", task_, input.toString());
    inner_.fail(input);
  }
  void resetTimeout(const Tuple& input) override { inner_.resetTimeout(input); }
  void reportError(const std::string& message) override { inner_.reportError(message); }
  void flush() override { inner_.flush(); }

  OutputCollector& inner() { return inner_; }

 private:
  OutputCollector& inner_;
  std::string component_;
  int task_;
  Slot slot_;
};

class TracingSpout : public IRichSpout {
 public:
  explicit TracingSpout(std::unique_ptr<IRichSpout> inner) : inner_(std::move(inner)) {}

  void open(const Config& conf, TopologyContext& context,
            SpoutOutputCollector& collector) override {
    task_ = context.getThisTaskId();
    slot_ = logs::DebugSampling::global().slot(context.getThisComponentId());
    collector_ = std::make_unique<TracingSpoutCollector>(collector, context.getThisComponentId(),
                                                         task_, slot_);
    inner_->open(conf, context, *collector_);
  }
  void close() override { inner_->close(); }
  void activate() override { inner_->activate(); }
  void deactivate() override { inner_->deactivate(); }
  void nextTuple() override { inner_->nextTuple(); }
  void ack(const Value& id) override {
    if (traced(slot_)) spdlog::info("SPOUT Acking message {} TASK: {}", id.toString(), task_);
    inner_->ack(id);
  }
  void fail(const Value& id) override {
    if (traced(slot_)) spdlog::info("SPOUT Failing {} TASK: {}", id.toString(), task_);
    inner_->fail(id);
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override { inner_->declareOutputFields(d); }
  Map getComponentConfiguration() override { return inner_->getComponentConfiguration(); }

 private:
  std::unique_ptr<IRichSpout> inner_;
  std::unique_ptr<TracingSpoutCollector> collector_;
  int task_ = 0;
  Slot slot_ = nullptr;
};

class TracingBolt : public IRichBolt {
 public:
  explicit TracingBolt(std::unique_ptr<IRichBolt> inner) : inner_(std::move(inner)) {}

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override {
    task_ = context.getThisTaskId();
    slot_ = logs::DebugSampling::global().slot(context.getThisComponentId());
    collector_ = std::make_unique<TracingOutputCollector>(collector, context.getThisComponentId(),
                                                          task_, slot_);
    inner_->prepare(conf, context, *collector_);
  }
  void execute(const Tuple& input) override {
    if (traced(slot_))
      spdlog::info("Processing received message FOR {} TUPLE: {}", task_, input.toString());
    inner_->execute(input);
  }
  void cleanup() override { inner_->cleanup(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { inner_->declareOutputFields(d); }
  Map getComponentConfiguration() override { return inner_->getComponentConfiguration(); }

 private:
  std::unique_ptr<IRichBolt> inner_;
  std::unique_ptr<TracingOutputCollector> collector_;
  int task_ = 0;
  Slot slot_ = nullptr;
};

class TracingBasicBolt : public IBasicBolt {
 public:
  explicit TracingBasicBolt(std::unique_ptr<IBasicBolt> inner) : inner_(std::move(inner)) {}

  void prepare(const Config& conf, TopologyContext& context) override {
    task_ = context.getThisTaskId();
    component_ = context.getThisComponentId();
    slot_ = logs::DebugSampling::global().slot(component_);
    inner_->prepare(conf, context);
  }
  void execute(const Tuple& input, BasicOutputCollector& collector) override {
    bool on = traced(slot_);
    if (on) spdlog::info("Processing received message FOR {} TUPLE: {}", task_, input.toString());
    if (!tracer_ || &tracer_->inner() != &collector.getOutputter()) {
      tracer_ = std::make_unique<TracingOutputCollector>(collector.getOutputter(), component_,
                                                         task_, slot_);
    }
    BasicOutputCollector traced(*tracer_, input);
    try {
      inner_->execute(input, traced);
    } catch (const FailedException&) {
      if (on) spdlog::info("BOLT fail TASK: {} TUPLE: {}", task_, input.toString());
      throw;
    }
    if (on) spdlog::info("BOLT ack TASK: {} TUPLE: {}", task_, input.toString());
  }
  void cleanup() override { inner_->cleanup(); }
  void declareOutputFields(OutputFieldsDeclarer& d) override { inner_->declareOutputFields(d); }
  Map getComponentConfiguration() override { return inner_->getComponentConfiguration(); }

 private:
  std::unique_ptr<IBasicBolt> inner_;
  std::unique_ptr<TracingOutputCollector> tracer_;
  std::string component_;
  int task_ = 0;
  Slot slot_ = nullptr;
};

// A component's own topology.debug, when its configuration sets one.
std::optional<bool> componentDebug(const ComponentDef& def) {
  if (auto it = def.conf.find(Config::TOPOLOGY_DEBUG);
      it != def.conf.end() && it->second.isBool()) {
    return it->second.asBool();
  }
  return std::nullopt;
}

}  // namespace

void enableDebugTracing(StormTopology& topology, const Config& conf, bool switchable) {
  auto& sampling = logs::DebugSampling::global();
  Value v = conf.get(Config::TOPOLOGY_DEBUG);
  sampling.setTopology(v.isBool() && v.asBool(), 100);
  for (auto& def : topology.def.components) {
    auto own = componentDebug(def);
    if (own) {
      sampling.setComponent(def.id, *own, 100);
    } else {
      sampling.unsetComponent(def.id);
    }
    if (!switchable && !own.value_or(v.isBool() && v.asBool())) continue;
    const ComponentFactory* f = topology.local->findComponent(def.className);
    if (!f) f = ComponentRegistry::global().findComponent(def.className);
    if (!f) continue;  // submit reports the unknown class
    std::string traced = "squall.debug:" + def.className;
    if (!topology.local->findComponent(traced)) {
      ComponentFactory inner = *f;
      topology.local->addComponent(traced, [inner](const Values& args) -> ComponentInstance {
        ComponentInstance inst = inner(args);
        if (auto* s = std::get_if<std::unique_ptr<IRichSpout>>(&inst)) {
          return std::unique_ptr<IRichSpout>(std::make_unique<TracingSpout>(std::move(*s)));
        }
        if (auto* b = std::get_if<std::unique_ptr<IRichBolt>>(&inst)) {
          return std::unique_ptr<IRichBolt>(std::make_unique<TracingBolt>(std::move(*b)));
        }
        auto& basic = std::get<std::unique_ptr<IBasicBolt>>(inst);
        return std::unique_ptr<IBasicBolt>(std::make_unique<TracingBasicBolt>(std::move(basic)));
      });
    }
    def.className = traced;
  }
}

}  // namespace squall::flux
