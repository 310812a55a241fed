#include "topology/topology_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "metrics/metrics_config.h"
#include "squall/errors.h"
#include "squall/metrics_consumer.h"

namespace squall::internal {

namespace {

[[noreturn]] void invalid(const ComponentDef& def, const std::string& problem) {
  std::string where = def.origin.empty() ? "" : " (" + def.origin + ")";
  throw InvalidTopologyException(fmt::format("component '{}'{}: {}", def.id, where, problem));
}

bool reserved(const std::string& id) {
  return id.rfind("__", 0) == 0;
}

const char* kindName(ComponentKind k) {
  return k == ComponentKind::Spout ? "spout" : "bolt";
}

ComponentKind kindOf(const ComponentInstance& inst) {
  return std::holds_alternative<std::unique_ptr<IRichSpout>>(inst) ? ComponentKind::Spout
                                                                   : ComponentKind::Bolt;
}

// Builds one throwaway instance to learn what the component declares, as Storm learns it
// from the object handed to the builder.
void declareComponent(const ComponentDef& def, ComponentPlan& plan) {
  ComponentInstance inst;
  try {
    inst = plan.factory(def.args);
  } catch (const std::exception& e) {
    invalid(def, fmt::format("constructing class '{}' failed: {}", def.className, e.what()));
  }
  if (kindOf(inst) != def.kind) {
    invalid(def, fmt::format("class '{}' is a {}, but it is declared as a {}", def.className,
                             kindName(kindOf(inst)), kindName(def.kind)));
  }
  IComponent& component = asComponent(inst);
  OutputFieldsDeclarer declarer;
  Map componentConf;
  try {
    component.declareOutputFields(declarer);
    componentConf = component.getComponentConfiguration();
  } catch (const std::exception& e) {
    invalid(def, fmt::format("declaring its outputs failed: {}", e.what()));
  }
  for (const auto& [stream, info] : declarer.streams()) {
    if (reserved(stream)) {
      invalid(def, fmt::format("stream id '{}' is reserved (ids starting with '__' are Squall's)",
                               stream));
    }
  }
  plan.streams = declarer.streams();
  for (const auto& [k, v] : def.conf) componentConf.insert_or_assign(k, v);
  for (const auto& [k, v] : componentConf) {
    try {
      validateConfigValue(k, v);
    } catch (const ConfigError& e) {
      invalid(def, e.what());
    }
  }
  plan.conf = Config(componentConf);  // temporarily the component's own; merged below
}

void checkInputs(const ComponentDef& def, const std::map<std::string, ComponentPlan>& plans,
                 const ComponentRegistry& local) {
  if (def.kind == ComponentKind::Spout && !def.inputs.empty()) {
    invalid(def, "a spout cannot subscribe to streams");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& in : def.inputs) {
    auto it = plans.find(in.component);
    if (it == plans.end() || it->second.system) {
      invalid(def, fmt::format("subscribes to unknown component '{}'", in.component));
    }
    if (!seen.emplace(in.component, in.stream).second) {
      invalid(def, fmt::format("subscribes to stream '{}' of '{}' twice", in.stream, in.component));
    }
    auto s = it->second.streams.find(in.stream);
    if (s == it->second.streams.end()) {
      std::vector<std::string> known;
      for (const auto& [id, info] : it->second.streams) known.push_back(id);
      invalid(def, fmt::format("subscribes to stream '{}' of '{}', which does not declare it "
                               "(declared: [{}])",
                               in.stream, in.component, fmt::join(known, ", ")));
    }
    const StreamInfo& stream = s->second;
    const GroupingDef& g = in.grouping;
    if (g.type == GroupingType::Fields || g.type == GroupingType::PartialKey) {
      if (g.type == GroupingType::Fields && g.fields.empty()) {
        invalid(def,
                fmt::format("fields grouping on {}:{} names no fields", in.component, in.stream));
      }
      for (const auto& f : g.fields) {
        if (!stream.fields.contains(f)) {
          invalid(def, fmt::format("{} grouping on field '{}', which stream '{}' of '{}' does not "
                                   "declare (its fields are {})",
                                   groupingTypeName(g.type), f, in.stream, in.component,
                                   stream.fields.toString()));
        }
      }
    }
    if (g.type == GroupingType::Direct && !stream.direct) {
      invalid(def, fmt::format("direct grouping on stream '{}' of '{}', which is not declared "
                               "direct",
                               in.stream, in.component));
    }
    if (g.type != GroupingType::Direct && stream.direct) {
      invalid(def, fmt::format("{} grouping on direct stream '{}' of '{}': a direct stream needs "
                               "direct grouping",
                               groupingTypeName(g.type), in.stream, in.component));
    }
    if (g.type == GroupingType::Custom && !local.findGrouping(g.customClass) &&
        !ComponentRegistry::global().findGrouping(g.customClass)) {
      invalid(def, fmt::format("custom grouping class '{}' is not registered", g.customClass));
    }
  }
}

// Storm's metrics consumer bolts: one system bolt per `topology.metrics.consumer.register`
// entry, `__metrics<class>` (`#2`... for a class registered again), fed with shuffle grouping by
// the `__metrics` stream every other component now declares.
void addMetricsConsumers(TopologyPlan& plan, const StormTopology& topology,
                         std::map<std::string, int>& taskCount) {
  const Value* reg = plan.conf.find(Config::TOPOLOGY_METRICS_CONSUMER_REGISTER);
  if (!reg || reg->isNull() || reg->asList().empty()) return;
  metrics::registerBuiltinMetricsConsumers();
  std::vector<std::string> sources;
  for (const auto& [id, cp] : plan.components) {
    if (!cp.system) sources.push_back(id);
  }
  std::map<std::string, int> seen;
  size_t index = 0;
  for (const Value& entry : reg->asList()) {
    std::string where = fmt::format("{}[{}]", Config::TOPOLOGY_METRICS_CONSUMER_REGISTER, index++);
    metrics::MetricsConsumerSpec spec = metrics::metricsConsumerSpec(entry, where);
    const ComponentFactory* f = topology.local->findComponent(spec.className);
    if (!f) f = ComponentRegistry::global().findComponent(spec.className);
    if (!f) {
      throw InvalidTopologyException(
          fmt::format("{}: metrics consumer class '{}' is not registered (register it with "
                      "SQUALL_REGISTER_METRICS_CONSUMER; built in: {})",
                      where, spec.className, metrics::kLoggingMetricsConsumer));
    }
    int n = ++seen[spec.className];
    std::string id = metrics::kMetricsComponentPrefix + spec.className +
                     (n > 1 ? fmt::format("#{}", n) : std::string());
    ComponentPlan& cp = plan.components[id];
    cp.id = id;
    cp.kind = ComponentKind::Bolt;
    cp.system = true;
    cp.factory = *f;
    cp.args = Values(std::vector<Value>{spec.argument});
    cp.conf = plan.conf;
    for (const auto& source : sources) {
      cp.inputs.push_back(InputDef{source, metrics::kMetricsStream,
                                   GroupingDef{GroupingType::Shuffle, {}, {}, {}}});
    }
    taskCount[id] = spec.parallelism;
  }
  for (const auto& source : sources) {
    plan.components[source].streams[metrics::kMetricsStream] =
        StreamInfo{Fields{"task-info", "data-points"}, false};
  }
}

}  // namespace

void validateTopologyName(const std::string& name) {
  if (name.empty()) throw InvalidTopologyException("topology name is empty");
  if (name.find_first_of("/.:\\") != std::string::npos) {
    throw InvalidTopologyException(
        fmt::format("topology name '{}' contains one of the illegal characters / . : \\", name));
  }
}

std::vector<std::pair<int, int>> splitTasks(int firstTask, int tasks, int executors) {
  executors = std::max(1, std::min(executors, tasks));
  std::vector<std::pair<int, int>> ranges;
  int base = tasks / executors, extra = tasks % executors, next = firstTask;
  for (int e = 0; e < executors; ++e) {
    int n = base + (e < extra ? 1 : 0);
    ranges.emplace_back(next, next + n - 1);
    next += n;
  }
  return ranges;
}

std::shared_ptr<TopologyPlan> TopologyPlan::build(const std::string& name,
                                                  const std::string& stormId, const Config& conf,
                                                  const StormTopology& topology) {
  validateTopologyName(name);
  metrics::registerBuiltinMetricsConsumers();  // and the checks of the metrics keys
  conf.validate();
  auto plan = std::make_shared<TopologyPlan>();
  plan->name = name;
  plan->stormId = stormId;
  plan->conf = conf;
  plan->conf.set(Config::TOPOLOGY_NAME, name);

  if (topology.def.components.empty()) {
    throw InvalidTopologyException(fmt::format("topology '{}' has no components", name));
  }
  bool anySpout = false;
  for (const auto& def : topology.def.components) {
    if (def.id.empty()) throw InvalidTopologyException("a component has an empty id");
    if (reserved(def.id)) {
      invalid(def, "the id is reserved (ids starting with '__' are Squall's)");
    }
    if (plan->components.count(def.id)) invalid(def, "the id is used by another component");
    if (def.parallelism < 1) {
      invalid(def, fmt::format("parallelism must be at least 1, got {}", def.parallelism));
    }
    anySpout |= def.kind == ComponentKind::Spout;
    ComponentPlan& cp = plan->components[def.id];
    cp.id = def.id;
    cp.kind = def.kind;
    cp.args = def.args;
    cp.inputs = def.inputs;
    const ComponentFactory* f = topology.local->findComponent(def.className);
    if (!f) f = ComponentRegistry::global().findComponent(def.className);
    if (!f) {
      invalid(def, fmt::format("class '{}' is not registered (register it with "
                               "SQUALL_REGISTER_COMPONENT, or check the spelling)",
                               def.className));
    }
    cp.factory = *f;
    declareComponent(def, cp);
  }
  if (!anySpout) throw InvalidTopologyException(fmt::format("topology '{}' has no spout", name));
  for (const auto& def : topology.def.components) {
    checkInputs(def, plan->components, *topology.local);
  }

  // Tasks per component (Storm: topology.tasks, else the parallelism hint; capped).
  std::map<std::string, int> taskCount;
  for (const auto& def : topology.def.components) {
    ComponentPlan& cp = plan->components[def.id];
    Map own = cp.conf.values();
    Config view = plan->conf.mergedWithComponent(own);  // plan->conf carries topology.name
    int tasks = def.parallelism;
    if (auto it = own.find(Config::TOPOLOGY_TASKS); it != own.end() && !it->second.isNull()) {
      tasks = static_cast<int>(it->second.asDouble());
    }
    if (auto cap = view.getOptionalInt(Config::TOPOLOGY_MAX_TASK_PARALLELISM)) {
      tasks = std::min<int>(tasks, static_cast<int>(*cap));
    }
    taskCount[def.id] = tasks;
    cp.conf = view;
  }

  // The acker: a system bolt every reliable stream reports to.
  auto ackers = conf.getOptionalInt(Config::TOPOLOGY_ACKER_EXECUTORS);
  plan->ackerTasks = static_cast<int>(ackers ? *ackers : conf.getInt(Config::TOPOLOGY_WORKERS));
  if (plan->ackerTasks > 0) {
    ComponentPlan& acker = plan->components[kAckerComponent];
    acker.id = kAckerComponent;
    acker.kind = ComponentKind::Bolt;
    acker.system = true;
    acker.conf = plan->conf;
    Fields replyFields{"id", "time-delta-ms"};
    acker.streams[kAckAckStream] = StreamInfo{replyFields, true};
    acker.streams[kAckFailStream] = StreamInfo{replyFields, true};
    acker.streams[kAckResetTimeoutStream] = StreamInfo{replyFields, true};
    taskCount[kAckerComponent] = plan->ackerTasks;
    GroupingDef byId{GroupingType::Fields, {"id"}, {}, {}};
    GroupingDef direct{GroupingType::Direct, {}, {}, {}};
    for (auto& [id, cp] : plan->components) {
      if (cp.system) continue;
      if (cp.kind == ComponentKind::Spout) {
        cp.streams[kAckInitStream] = StreamInfo{Fields{"id", "init-val", "spout-task"}, false};
        acker.inputs.push_back(InputDef{id, kAckInitStream, byId});
        for (const char* s : {kAckAckStream, kAckFailStream, kAckResetTimeoutStream}) {
          cp.inputs.push_back(InputDef{kAckerComponent, s, direct});
        }
      } else {
        cp.streams[kAckAckStream] = StreamInfo{Fields{"id", "ack-val"}, false};
        cp.streams[kAckFailStream] = StreamInfo{Fields{"id"}, false};
        cp.streams[kAckResetTimeoutStream] = StreamInfo{Fields{"id"}, false};
        for (const char* s : {kAckAckStream, kAckFailStream, kAckResetTimeoutStream}) {
          acker.inputs.push_back(InputDef{id, s, byId});
        }
      }
    }
  }

  addMetricsConsumers(*plan, topology, taskCount);

  // Bounded before the per-task tables are built: each hint may be up to 10^6.
  constexpr int64_t kMostTasks = 1'000'000;
  int64_t allTasks = 0;
  for (const auto& [id, n] : taskCount) allTasks += n;
  if (allTasks > kMostTasks) {
    throw InvalidTopologyException(
        fmt::format("topology '{}' has {} tasks in all; a topology may have at most {} (lower the "
                    "parallelism hints or numTasks, or set topology.max.task.parallelism)",
                    name, allTasks, kMostTasks));
  }

  // Task ids: components sorted by id, consecutive from 1 (std::map iterates sorted).
  plan->taskToComponent.push_back(kSystemComponent);
  for (auto& [id, cp] : plan->components) {
    int first = static_cast<int>(plan->taskToComponent.size());
    for (int i = 0; i < taskCount[id]; ++i) {
      cp.tasks.push_back(first + i);
      plan->taskToComponent.push_back(id);
    }
    int executors = cp.system ? taskCount[id] : topology.def.find(id)->parallelism;
    for (auto [s, e] : splitTasks(first, taskCount[id], executors)) {
      cp.executors.push_back(ExecutorPlan{id, s, e});
    }
  }

  for (auto& [id, cp] : plan->components) {
    for (const auto& in : cp.inputs) {
      plan->components[in.component].consumers[in.stream].push_back(Subscription{id, in.grouping});
    }
  }
  for (auto& [id, cp] : plan->components) {
    for (const auto& [stream, info] : cp.streams) {
      cp.streamMeta[stream] = std::make_unique<StreamMeta>(StreamMeta{id, stream, info.fields});
    }
  }
  return plan;
}

const ComponentPlan* TopologyPlan::findComponent(const std::string& id) const {
  auto it = components.find(id);
  return it == components.end() ? nullptr : &it->second;
}

const ComponentPlan& TopologyPlan::component(const std::string& id) const {
  const ComponentPlan* c = findComponent(id);
  if (!c) throw IllegalArgumentException(fmt::format("unknown component '{}'", id));
  return *c;
}

const std::string& TopologyPlan::componentOfTask(int taskId) const {
  static const std::string system = kSystemComponent;
  if (taskId == kSystemTaskId) return system;
  if (taskId < 1 || taskId >= static_cast<int>(taskToComponent.size())) {
    throw IllegalArgumentException(fmt::format("unknown task id {}", taskId));
  }
  return taskToComponent[taskId];
}

}  // namespace squall::internal
