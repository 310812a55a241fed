#include "nimbus/storm_topology_translation.h"

#include <fmt/format.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <set>

#include "flux/shell_components.h"
#include "nimbus/json_conf.h"
#include "squall/component_registry.h"

namespace squall::nimbus {
namespace {

[[noreturn]] void invalid(const std::string& msg) {
  storm::InvalidTopologyException e;
  e.msg = msg;
  throw e;
}

Value argValue(const storm::JavaObjectArg& a, const std::string& where) {
  const auto& s = a.__isset;
  int set = s.int_arg + s.long_arg + s.string_arg + s.bool_arg + s.binary_arg + s.double_arg;
  if (set != 1) invalid(fmt::format("{}: a JavaObjectArg must set exactly one field", where));
  if (s.int_arg) return Value(a.int_arg);
  if (s.long_arg) return Value(a.long_arg);
  if (s.string_arg) return Value(a.string_arg);
  if (s.bool_arg) return Value(a.bool_arg);
  if (s.binary_arg) return Value(Bytes{a.binary_arg});
  return Value(a.double_arg);
}

Values javaArgs(const storm::JavaObject& o, const std::string& where) {
  Values args;
  for (const auto& a : o.args_list) args.push_back(argValue(a, where));
  return args;
}

GroupingDef grouping(const storm::Grouping& g, const std::string& where, bool requireRegistered) {
  const auto& s = g.__isset;
  int set = s.fields + s.shuffle + s.all + s.none + s.direct + s.custom_object +
            s.custom_serialized + s.local_or_shuffle;
  if (set != 1) invalid(fmt::format("{}: a Grouping must set exactly one field", where));
  GroupingDef d;
  if (s.fields) {
    // Storm: an empty field list is the global grouping.
    d.type = g.fields.empty() ? GroupingType::Global : GroupingType::Fields;
    d.fields = g.fields;
  } else if (s.shuffle) {
    d.type = GroupingType::Shuffle;
  } else if (s.all) {
    d.type = GroupingType::All;
  } else if (s.none) {
    d.type = GroupingType::None;
  } else if (s.direct) {
    d.type = GroupingType::Direct;
  } else if (s.local_or_shuffle) {
    d.type = GroupingType::LocalOrShuffle;
  } else if (s.custom_object) {
    d.type = GroupingType::Custom;
    d.customClass = g.custom_object.full_class_name;
    d.customArgs = javaArgs(g.custom_object, where);
    if (requireRegistered && !ComponentRegistry::global().findGrouping(d.customClass)) {
      invalid(fmt::format("{}: custom grouping class '{}' is not one Squall has", where,
                          d.customClass));
    }
  } else {
    invalid(fmt::format(
        "{}: the grouping is a serialized Java object (custom_serialized); Squall has no JVM to "
        "load it: name a registered grouping class with custom_object instead",
        where));
  }
  return d;
}

ComponentDef component(const std::string& id, ComponentKind kind,
                       const storm::ComponentObject& object, const storm::ComponentCommon& common,
                       const TranslateOptions& options) {
  std::string where = fmt::format("{} '{}'", kind == ComponentKind::Spout ? "spout" : "bolt", id);
  ComponentDef def;
  def.id = id;
  def.kind = kind;
  def.origin = where;
  const auto& s = object.__isset;
  if (s.serialized_java + s.shell + s.java_object != 1) {
    invalid(fmt::format("{}: a ComponentObject must set exactly one field", where));
  }
  if (s.serialized_java) {
    invalid(fmt::format(
        "{}: the component is a serialized Java object; Squall has no JVM to run it: write it "
        "as a shell (multilang) component or name a class Squall has (squall classes lists "
        "them) with java_object",
        where));
  }
  if (s.shell) {
    if (object.shell.execution_command.empty()) {
      invalid(fmt::format("{}: the shell component has no execution_command", where));
    }
    flux::ShellArgs shell;
    // Storm's ShellBolt(ShellComponent): the command is exactly these two strings.
    shell.command = {object.shell.execution_command, object.shell.script};
    shell.cwd = options.shellCwd;
    for (const auto& [stream, info] : common.streams) {
      shell.streams[stream] = StreamInfo{Fields(info.output_fields), info.direct};
    }
    def.className = kind == ComponentKind::Spout ? flux::kShellSpout : flux::kShellBolt;
    def.args = shell.args();
  } else {
    def.className = object.java_object.full_class_name;
    def.args = javaArgs(object.java_object, where);
    if (options.requireRegisteredClasses &&
        !ComponentRegistry::global().findComponent(def.className)) {
      invalid(fmt::format(
          "{}: class '{}' is not one Squall has (squall classes lists them); Java classes cannot "
          "run without a JVM",
          where, def.className));
    }
  }
  if (common.__isset.parallelism_hint) {
    if (common.parallelism_hint <= 0) {
      invalid(fmt::format("{}: parallelism_hint must be positive, got {}", where,
                          common.parallelism_hint));
    }
    def.parallelism = common.parallelism_hint;
  }
  if (common.__isset.json_conf && !common.json_conf.empty()) {
    Value conf;
    try {
      conf = parseJson(common.json_conf);
    } catch (const std::exception& e) {
      invalid(fmt::format("{}: json_conf: {}", where, e.what()));
    }
    if (!conf.isNull() && !conf.isMap())
      invalid(fmt::format("{}: json_conf is not an object", where));
    if (conf.isMap()) def.conf = conf.asMap();
  }
  for (const auto& [source, g] : common.inputs) {
    std::string inputWhere =
        fmt::format("{}, input {}:{}", where, source.componentId, source.streamId);
    InputDef in;
    in.component = source.componentId;
    in.stream = source.streamId;
    in.grouping = grouping(g, inputWhere, options.requireRegisteredClasses);
    def.inputs.push_back(std::move(in));
  }
  return def;
}

}  // namespace

bool isValidTopologyName(const std::string& name) {
  return !name.empty() && name.find_first_of("/.:\\") == std::string::npos;
}

TopologyDef toTopologyDef(const storm::StormTopology& topology, const TranslateOptions& options) {
  if (!topology.state_spouts.empty()) {
    invalid(
        fmt::format("state spout '{}': state spouts are not implemented (nor are they in Storm)",
                    topology.state_spouts.begin()->first));
  }
  if (!topology.worker_hooks.empty()) {
    invalid("worker_hooks are serialized Java objects; Squall has no JVM to run them");
  }
  TopologyDef def;
  std::set<std::string> ids;
  for (const auto& [id, spec] : topology.spouts) {
    if (!spec.common.inputs.empty()) {
      invalid(fmt::format("spout '{}': a spout may not have inputs", id));
    }
    ids.insert(id);
    def.components.push_back(
        component(id, ComponentKind::Spout, spec.spout_object, spec.common, options));
  }
  for (const auto& [id, bolt] : topology.bolts) {
    if (!ids.insert(id).second) {
      invalid(fmt::format("'{}' is both a spout and a bolt; component ids must be unique", id));
    }
    def.components.push_back(
        component(id, ComponentKind::Bolt, bolt.bolt_object, bolt.common, options));
  }
  // Storm's validateStructure: every input names a component and a stream it declares.
  auto declares = [&](const std::string& component, const std::string& stream) {
    if (auto it = topology.spouts.find(component); it != topology.spouts.end()) {
      return it->second.common.streams.count(stream) > 0;
    }
    if (auto it = topology.bolts.find(component); it != topology.bolts.end()) {
      return it->second.common.streams.count(stream) > 0;
    }
    return false;
  };
  for (const auto& c : def.components) {
    for (const auto& in : c.inputs) {
      if (!ids.count(in.component)) {
        invalid(fmt::format("{}: subscribes to component '{}', which does not exist", c.origin,
                            in.component));
      }
      if (!declares(in.component, in.stream)) {
        invalid(fmt::format("{}: subscribes to stream '{}' of '{}', which it does not declare",
                            c.origin, in.stream, in.component));
      }
    }
  }
  return def;
}

std::string serializeTopology(const storm::StormTopology& topology) {
  auto buf = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocol proto(buf);
  topology.write(&proto);
  return buf->getBufferAsString();
}

storm::StormTopology deserializeTopology(const std::string& bytes) {
  auto buf = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
      reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
      static_cast<uint32_t>(bytes.size()));
  apache::thrift::protocol::TBinaryProtocol proto(buf);
  storm::StormTopology t;
  t.read(&proto);
  return t;
}

}  // namespace squall::nimbus
