#include "nimbus/storm_topology_translation.h"

#include <fmt/format.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <optional>
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
  } else if (s.custom_object &&
             g.custom_object.full_class_name == "org.apache.storm.grouping.PartialKeyGrouping") {
    // Storm's TopologyBuilder.partialKeyGrouping: the class with the field names.
    d.type = GroupingType::PartialKey;
    for (const auto& a : javaArgs(g.custom_object, where)) {
      if (!a.isString()) invalid(fmt::format("{}: PartialKeyGrouping takes field names", where));
      d.fields.push_back(a.asString());
    }
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
  if (auto it = def.conf.find(kComponentArgsKey); it != def.conf.end() && s.java_object) {
    if (!it->second.isList())
      invalid(fmt::format("{}: {} is not a list", where, kComponentArgsKey));
    const auto& list = it->second.asList();
    def.args.assign(list.begin(), list.end());
    def.conf.erase(it);
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

std::optional<storm::JavaObjectArg> javaArg(const Value& v) {
  storm::JavaObjectArg a;
  switch (v.type()) {
    case ValueType::Bool:
      a.__set_bool_arg(v.asBool());
      break;
    case ValueType::Int:
      a.__set_long_arg(v.asInt());
      break;
    case ValueType::Double:
      a.__set_double_arg(v.asDouble());
      break;
    case ValueType::String:
      a.__set_string_arg(v.asString());
      break;
    case ValueType::Bytes:
      a.__set_binary_arg(std::string(v.asBytes().data.begin(), v.asBytes().data.end()));
      break;
    default:
      return std::nullopt;
  }
  return a;
}

// The arguments as JavaObjectArgs, or nullopt when one of them is not a scalar.
std::optional<std::vector<storm::JavaObjectArg>> javaArgList(const Values& args) {
  std::vector<storm::JavaObjectArg> out;
  for (const auto& v : args) {
    auto a = javaArg(v);
    if (!a) return std::nullopt;
    out.push_back(*a);
  }
  return out;
}

storm::Grouping toGrouping(const GroupingDef& g, const std::string& where) {
  storm::Grouping out;
  switch (g.type) {
    case GroupingType::Shuffle:
      out.__set_shuffle({});
      break;
    case GroupingType::LocalOrShuffle:
      out.__set_local_or_shuffle({});
      break;
    case GroupingType::Fields:
      out.__set_fields(g.fields);
      break;
    case GroupingType::Global:
      out.__set_fields({});
      break;
    case GroupingType::All:
      out.__set_all({});
      break;
    case GroupingType::None:
      out.__set_none({});
      break;
    case GroupingType::Direct:
      out.__set_direct({});
      break;
    case GroupingType::PartialKey: {
      storm::JavaObject o;
      o.full_class_name = "org.apache.storm.grouping.PartialKeyGrouping";
      for (const auto& f : g.fields) {
        storm::JavaObjectArg a;
        a.__set_string_arg(f);
        o.args_list.push_back(a);
      }
      out.__set_custom_object(o);
      break;
    }
    case GroupingType::Custom: {
      storm::JavaObject o;
      o.full_class_name = g.customClass;
      auto args = javaArgList(g.customArgs);
      if (!args) {
        invalid(
            fmt::format("{}: custom grouping '{}' has an argument that is not a number, "
                        "string, boolean or bytes, which Storm's JavaObject cannot carry",
                        where, g.customClass));
      }
      o.args_list = *args;
      out.__set_custom_object(o);
      break;
    }
  }
  return out;
}

// A shell component's arguments when they fit Storm's ShellComponent.
std::optional<storm::ShellComponent> asShellComponent(const ComponentDef& c,
                                                      const ToStormOptions& options) {
  if (c.className != flux::kShellBolt && c.className != flux::kShellSpout) return std::nullopt;
  if (c.args.size() != 1 || !c.args[0].isMap()) return std::nullopt;
  const Map& m = c.args[0].asMap();
  for (const auto& [key, v] : m) {
    if (key != "command" && key != "fields" && key != "streams" && key != "cwd") {
      return std::nullopt;
    }
  }
  auto cmd = m.find("command");
  if (cmd == m.end() || !cmd->second.isList() || cmd->second.asList().size() != 2) {
    return std::nullopt;
  }
  const auto& list = cmd->second.asList();
  if (!list[0].isString() || !list[1].isString()) return std::nullopt;
  auto cwd = m.find("cwd");
  std::string dir = cwd == m.end() ? "" : (cwd->second.isString() ? cwd->second.asString() : "?");
  if (dir != options.shellCwd) return std::nullopt;
  storm::ShellComponent shell;
  shell.__set_execution_command(list[0].asString());
  shell.__set_script(list[1].asString());
  return shell;
}

storm::StreamInfo streamInfo(const StreamInfo& info) {
  storm::StreamInfo s;
  const auto& names = info.fields.toList();
  s.output_fields.assign(names.begin(), names.end());
  s.direct = info.direct;
  return s;
}

}  // namespace

storm::StormTopology toStormTopology(const TopologyDef& def, const DeclaredOutputs& outputs,
                                     const ToStormOptions& options) {
  storm::StormTopology out;
  out.__isset.worker_hooks = false;
  for (const auto& c : def.components) {
    std::string where =
        fmt::format("{} '{}'", c.kind == ComponentKind::Spout ? "spout" : "bolt", c.id);
    storm::ComponentObject object;
    storm::ComponentCommon common;
    Map conf = c.conf;
    if (auto shell = asShellComponent(c, options)) {
      object.__set_shell(*shell);
    } else {
      storm::JavaObject o;
      o.full_class_name = c.className;
      if (auto args = javaArgList(c.args)) {
        o.args_list = *args;
      } else {
        conf[kComponentArgsKey] = Value(List(c.args.begin(), c.args.end()));
      }
      object.__set_java_object(o);
    }
    std::map<std::string, StreamInfo> streams;
    if (flux::isShellClass(c.className)) {
      if (auto declared = flux::shellOutputs(c)) streams = *declared;
    } else if (auto it = outputs.find(c.id); it != outputs.end()) {
      streams = it->second;
    }
    for (const auto& [name, info] : streams) common.streams[name] = streamInfo(info);
    for (const auto& in : c.inputs) {
      storm::GlobalStreamId id;
      id.componentId = in.component;
      id.streamId = in.stream;
      common.inputs[id] =
          toGrouping(in.grouping, fmt::format("{}, input {}:{}", where, in.component, in.stream));
    }
    common.__set_parallelism_hint(c.parallelism);
    common.__set_json_conf(toJson(Value(std::move(conf))));
    if (c.kind == ComponentKind::Spout) {
      storm::SpoutSpec spec;
      spec.spout_object = object;
      spec.common = common;
      out.spouts[c.id] = spec;
    } else {
      storm::Bolt bolt;
      bolt.bolt_object = object;
      bolt.common = common;
      out.bolts[c.id] = bolt;
    }
  }
  return out;
}

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
