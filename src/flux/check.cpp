#include "flux/check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "flux/did_you_mean.h"
#include "flux/shell_components.h"
#include "runtime/executor_budget.h"
#include "squall/component_registry.h"
#include "topology/topology_plan.h"

namespace squall::flux {

namespace {

const char* kindName(ComponentKind k) {
  return k == ComponentKind::Spout ? "spout" : "bolt";
}

ComponentKind kindOf(const ComponentInstance& inst) {
  return std::holds_alternative<std::unique_ptr<IRichSpout>>(inst) ? ComponentKind::Spout
                                                                   : ComponentKind::Bolt;
}

std::string streamList(const std::map<std::string, StreamInfo>& streams) {
  if (streams.empty()) return "no streams";
  std::vector<std::string> parts;
  for (const auto& [name, info] : streams) {
    parts.push_back(fmt::format("'{}' {}", name, info.fields.toString()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// " [args]" when short enough to help; Flux component trees are named by the error itself.
std::string shortArgs(const Values& args) {
  std::string text = toString(args);
  return text.size() <= 160 ? " " + text : std::string();
}

// A dotted name whose parts are identifiers: a Java class ("com.example.MyBolt"). Scanned by
// hand: std::regex recurses per character and overflows the stack on a long name.
bool looksLikeJavaClass(const std::string& name) {
  auto identStart = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$';
  };
  size_t parts = 0;
  bool atStart = true;
  for (char c : name) {
    if (atStart) {
      if (!identStart(c)) return false;
      atStart = false;
      ++parts;
    } else if (c == '.') {
      atStart = true;
    } else if (!identStart(c) && !(c >= '0' && c <= '9')) {
      return false;
    }
  }
  return parts >= 2 && !atStart;
}

std::string unknownClass(const std::string& what, const std::string& cls,
                         const ComponentRegistry& global) {
  std::string hint = didYouMean(cls, global.componentNames());
  if (!hint.empty() || !looksLikeJavaClass(cls)) {  // a typo of a class Squall has
    return fmt::format(
        "{}: unknown class '{}'{}; `squall classes` lists the classes this squall has", what, cls,
        hint);
  }
  std::string origin = cls.rfind("org.apache.storm.", 0) == 0
                           ? "a Java class of Apache Storm that Squall does not implement"
                           : "a Java class (from a jar)";
  return fmt::format(
      "{}: unknown class '{}': it is {}, and Squall runs no JVM, so Java classes cannot be "
      "loaded; write the component in Python (a python: script or Flux's "
      "FluxShellBolt/FluxShellSpout) or in C++ (SQUALL_REGISTER_COMPONENT). `squall classes` "
      "lists the classes this squall has",
      what, cls, origin);
}

void checkComponent(const TopologyFile& file, const ComponentDef& def, CheckedTopology& out);
void checkSubscriptions(const TopologyFile& file, const CheckedTopology& out,
                        const std::set<std::string>& broken, std::vector<FluxError>& errors);

}  // namespace

CheckedTopology checkTopology(const TopologyFile& file) {
  CheckedTopology out;
  // Every problem is reported, not only the first: each component and each subscription is
  // checked on its own, and a component that failed is not checked again through its uses.
  std::vector<FluxError> errors;
  std::set<std::string> broken;
  try {
    internal::validateTopologyName(file.name);
  } catch (const InvalidTopologyException& e) {
    errors.emplace_back(file.nameWhere, e.what());
  }
  for (const auto& [key, value] : file.conf.values()) {
    try {
      validateConfigValue(key, value);
    } catch (const ConfigError& e) {
      errors.emplace_back(file.configWhere(key), e.what());
    }
  }
  const auto& defs = file.topology.def.components;
  for (const auto& def : defs) {
    try {
      checkComponent(file, def, out);
    } catch (const FluxError& e) {
      errors.push_back(e);
      broken.insert(def.id);
    }
  }
  checkSubscriptions(file, out, broken, errors);
  if (!errors.empty()) throw FluxError::all(errors);
  return out;
}

namespace {

void checkComponent(const TopologyFile& file, const ComponentDef& def, CheckedTopology& out) {
  const ComponentRegistry& global = ComponentRegistry::global();
  const ComponentRegistry& local = *file.topology.local;
  {
    const ComponentSource& src = file.source(def.id);
    std::string what = fmt::format("{} '{}'", kindName(def.kind), def.id);
    const ComponentFactory* factory = local.findComponent(def.className);
    if (!factory) factory = global.findComponent(def.className);
    if (!factory) {
      if (!isShellClass(def.className)) {
        throw FluxError(src.classWhere, unknownClass(what, def.className, global));
      }
      auto streams = shellOutputs(def);
      if (!streams) {
        throw FluxError(src.classWhere, fmt::format("{}: malformed arguments for class '{}': {}",
                                                    what, def.className, toString(def.args)));
      }
      out.outputs[def.id] = *streams;
      out.unavailable.push_back(def.id);
    } else {
      ComponentInstance inst;
      try {
        inst = (*factory)(def.args);
      } catch (const std::exception& e) {
        throw FluxError(src.classWhere,
                        fmt::format("{}: class '{}' rejects its arguments{}: {}", what,
                                    def.className, shortArgs(def.args), e.what()));
      }
      if (kindOf(inst) != def.kind) {
        throw FluxError(src.classWhere,
                        fmt::format("{}: class '{}' is a {}, but it is declared as a {}", what,
                                    def.className, kindName(kindOf(inst)), kindName(def.kind)));
      }
      OutputFieldsDeclarer declarer;
      try {
        asComponent(inst).declareOutputFields(declarer);
      } catch (const std::exception& e) {
        throw FluxError(src.classWhere, fmt::format("{}: class '{}' failed to declare its "
                                                    "outputs: {}",
                                                    what, def.className, e.what()));
      }
      out.outputs[def.id] = declarer.streams();
    }
    for (const auto& [key, value] : def.conf) {
      try {
        validateConfigValue(key, value);
      } catch (const ConfigError& e) {
        auto it = src.configKeys.find(key);
        throw FluxError(it != src.configKeys.end() ? it->second : src.where,
                        fmt::format("{}: {}", what, e.what()));
      }
    }
    int tasks = def.parallelism;
    if (auto it = def.conf.find(Config::TOPOLOGY_TASKS);
        it != def.conf.end() && it->second.isInt()) {
      tasks = static_cast<int>(it->second.asInt());
    }
    // As the engine plans it (storm.md 2.8): topology.max.task.parallelism caps the tasks.
    if (auto cap = file.conf.mergedWithComponent(def.conf).getOptionalInt(
            Config::TOPOLOGY_MAX_TASK_PARALLELISM)) {
      tasks = std::min<int>(tasks, static_cast<int>(*cap));
    }
    out.tasks[def.id] = tasks;
  }
}

void checkSubscriptions(const TopologyFile& file, const CheckedTopology& out,
                        const std::set<std::string>& broken, std::vector<FluxError>& errors) {
  const ComponentRegistry& global = ComponentRegistry::global();
  const ComponentRegistry& local = *file.topology.local;
  const auto& defs = file.topology.def.components;
  std::vector<std::string> ids;
  for (const auto& def : defs) ids.push_back(def.id);
  for (const auto& def : defs) {
    const ComponentSource& src = file.source(def.id);
    for (size_t i = 0; i < def.inputs.size(); ++i) try {
        const InputDef& in = def.inputs[i];
        if (broken.count(in.component)) continue;  // already reported
        SourceLocation where = i < src.inputs.size() ? src.inputs[i] : src.where;
        std::string what = fmt::format("bolt '{}'", def.id);
        auto from = out.outputs.find(in.component);
        if (from == out.outputs.end()) {
          throw FluxError(where, fmt::format("{} subscribes to unknown component '{}'{}", what,
                                             in.component, didYouMean(in.component, ids)));
        }
        const auto& streams = from->second;
        auto s = streams.find(in.stream);
        if (s == streams.end()) {
          std::vector<std::string> names;
          for (const auto& [name, info] : streams) names.push_back(name);
          std::string hint;
          if (streams.empty()) {
            const ComponentSource& fromSrc = file.source(in.component);
            hint = fromSrc.language == ComponentLanguage::Native
                       ? ""
                       : " (declare its outputs: fields: [...] or streams: {...})";
          }
          throw FluxError(where,
                          fmt::format("{} subscribes to stream '{}' of '{}', which is not "
                                      "declared{}; '{}' declares {}{}",
                                      what, in.stream, in.component, didYouMean(in.stream, names),
                                      in.component, streamList(streams), hint));
        }
        const StreamInfo& stream = s->second;
        const GroupingDef& g = in.grouping;
        if (g.type == GroupingType::Fields || g.type == GroupingType::PartialKey) {
          for (const auto& f : g.fields) {
            if (!stream.fields.contains(f)) {
              throw FluxError(
                  where,
                  fmt::format("{}: {} grouping on field '{}', which stream '{}' "
                              "of '{}' does not declare{} (its fields are {})",
                              what, groupingTypeName(g.type), f, in.stream, in.component,
                              didYouMean(f, stream.fields.toList()), stream.fields.toString()));
            }
          }
        }
        if (g.type == GroupingType::Direct && !stream.direct) {
          throw FluxError(where, fmt::format("{}: direct grouping on stream '{}' of '{}', which is "
                                             "not declared direct",
                                             what, in.stream, in.component));
        }
        if (g.type != GroupingType::Direct && stream.direct) {
          throw FluxError(where,
                          fmt::format("{}: {} grouping on direct stream '{}' of '{}'; a "
                                      "direct stream needs DIRECT grouping",
                                      what, groupingTypeName(g.type), in.stream, in.component));
        }
        if (g.type == GroupingType::Custom && !local.findGrouping(g.customClass) &&
            !global.findGrouping(g.customClass)) {
          throw FluxError(
              where, fmt::format("{}: unknown custom grouping class '{}'", what, g.customClass));
        }
      } catch (const FluxError& e) {
        errors.push_back(e);
      }
  }
}

}  // namespace

void planTopology(const TopologyFile& file) {
  auto plan =
      internal::TopologyPlan::build(file.name, file.name + "-check", file.conf, file.topology);
  // Each task of a shell component is a child process (a Python one holds about 12 MiB once
  // it has imported squall) with two threads of ours: its I/O and its stderr.
  constexpr uint64_t kChildBytes = 16 << 20;
  internal::ExecutorDemand demand = internal::executorDemand(*plan);
  for (const auto& def : file.topology.def.components) {
    if (!isShellClass(def.className)) continue;
    uint64_t tasks = plan->component(def.id).tasks.size();
    demand.bytes += tasks * kChildBytes;
    demand.threads += tasks * 3;  // the child counts against the same limits
  }
  internal::checkExecutorBudget(file.name, demand, internal::MachineCapacity::probe());
}

}  // namespace squall::flux
