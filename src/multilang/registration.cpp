// Shell components by class name, for topology definitions (Flux YAML, the Python DSL).

#include <fmt/format.h>

#include <mutex>

#include "multilang/serializer.h"
#include "squall/component_registry.h"
#include "squall/config.h"
#include "squall/config_value_check.h"
#include "squall/errors.h"
#include "squall/shell_bolt.h"
#include "squall/shell_spout.h"

namespace squall {

namespace {

constexpr const char* kFluxShellBolt = "org.apache.storm.flux.wrappers.bolts.FluxShellBolt";
constexpr const char* kFluxShellSpout = "org.apache.storm.flux.wrappers.spouts.FluxShellSpout";
constexpr const char* kShellBolt = "squall.ShellBolt";
constexpr const char* kShellSpout = "squall.ShellSpout";

std::vector<std::string> stringList(const char* cls, const char* what, const Value& v) {
  std::vector<std::string> out;
  if (v.isString()) {
    out.push_back(v.asString());  // one word, e.g. a script that is its own interpreter
    return out;
  }
  if (!v.isList()) {
    throw IllegalArgumentException(
        fmt::format("{}: {} must be a list of strings, got {}", cls, what, v.toString()));
  }
  for (const Value& e : v.asList()) {
    if (!e.isString()) {
      throw IllegalArgumentException(
          fmt::format("{}: {} must be a list of strings, got {}", cls, what, v.toString()));
    }
    out.push_back(e.asString());
  }
  return out;
}

// Flux: constructorArgs [[command...], [output fields...]].
ShellCommand fluxSpec(const char* cls, const Values& args) {
  if (args.size() != 2) {
    throw IllegalArgumentException(fmt::format(
        "{} takes two constructor arguments, the command and the output fields, e.g. "
        "[[\"python3\", \"splitsentence.py\"], [\"word\"]]; got {}",
        cls, toString(args)));
  }
  ShellCommand spec;
  spec.command = stringList(cls, "the command", args[0]);
  std::vector<std::string> fields = stringList(cls, "the output fields", args[1]);
  spec.streams[kDefaultStream] = StreamInfo{Fields(std::move(fields)), false};
  return spec;
}

// squall: [{"command": [...], "fields": [...] | "streams": {id: [...]}, "cwd": s, "env": {},
//           "serializer": s}].
ShellCommand mapSpec(const char* cls, const Values& args) {
  if (args.size() != 1 || !args[0].isMap()) {
    throw IllegalArgumentException(fmt::format(
        "{} takes one constructor argument, a map with \"command\" and \"fields\" or "
        "\"streams\" (optional \"cwd\", \"env\", \"serializer\"); got {}",
        cls, toString(args)));
  }
  const Map& m = args[0].asMap();
  for (const auto& [k, v] : m) {
    if (k != "command" && k != "fields" && k != "streams" && k != "cwd" && k != "env" &&
        k != "serializer") {
      throw IllegalArgumentException(fmt::format(
          "{}: unknown key '{}' (known: command, fields, streams, cwd, env, serializer)", cls, k));
    }
  }
  ShellCommand spec;
  const Value* command = args[0].find("command");
  if (!command) throw IllegalArgumentException(fmt::format("{}: \"command\" is missing", cls));
  spec.command = stringList(cls, "\"command\"", *command);
  if (spec.command.empty()) {
    throw IllegalArgumentException(fmt::format("{}: \"command\" is empty", cls));
  }
  const Value* fields = args[0].find("fields");
  const Value* streams = args[0].find("streams");
  if (fields && streams) {
    throw IllegalArgumentException(
        fmt::format("{}: give \"fields\" (the default stream) or \"streams\", not both", cls));
  }
  if (fields) {
    spec.streams[kDefaultStream] =
        StreamInfo{Fields(stringList(cls, "\"fields\"", *fields)), false};
  }
  if (streams) {
    if (!streams->isMap()) {
      throw IllegalArgumentException(fmt::format(
          "{}: \"streams\" must map stream ids to field lists, got {}", cls, streams->toString()));
    }
    for (const auto& [id, f] : streams->asMap()) {
      spec.streams[id] = StreamInfo{Fields(stringList(cls, "a stream's fields", f)), false};
    }
  }
  if (const Value* cwd = args[0].find("cwd")) {
    if (!cwd->isString()) {
      throw IllegalArgumentException(fmt::format("{}: \"cwd\" must be a string", cls));
    }
    spec.cwd = cwd->asString();
  }
  if (const Value* serializer = args[0].find("serializer")) {
    if (!serializer->isString()) {
      throw IllegalArgumentException(fmt::format("{}: \"serializer\" must be a string", cls));
    }
    spec.serializer = serializer->asString();
  }
  if (const Value* env = args[0].find("env")) {
    if (!env->isMap()) {
      throw IllegalArgumentException(fmt::format("{}: \"env\" must be a map", cls));
    }
    for (const auto& [k, v] : env->asMap()) {
      spec.env[k] = v.isString() ? v.asString() : v.toString();
    }
  }
  return spec;
}

template <class T, ShellCommand (*Parse)(const char*, const Values&)>
ComponentFactory factory(const char* cls) {
  return [cls](const Values& args) -> ComponentInstance {
    auto component = std::make_unique<T>(Parse(cls, args));
    if constexpr (std::is_base_of_v<IRichSpout, T>) {
      return std::unique_ptr<IRichSpout>(std::move(component));
    } else {
      return std::unique_ptr<IRichBolt>(std::move(component));
    }
  };
}

}  // namespace

void registerMultilangComponents() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& r = ComponentRegistry::global();
    r.addComponent(kFluxShellBolt, factory<ShellBolt, fluxSpec>(kFluxShellBolt));
    r.addComponent(kFluxShellSpout, factory<ShellSpout, fluxSpec>(kFluxShellSpout));
    r.addComponent(kShellBolt, factory<ShellBolt, mapSpec>(kShellBolt));
    r.addComponent(kShellSpout, factory<ShellSpout, mapSpec>(kShellSpout));
    // `squall validate` then rejects a serializer the children could not use.
    registerConfigValueCheck(Config::TOPOLOGY_MULTILANG_SERIALIZER, [](const Value& v) {
      if (v.isString()) internal::makeSerializer(v.asString());
    });
  });
}

}  // namespace squall
