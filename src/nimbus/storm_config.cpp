#include "nimbus/storm_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "flux/topology_file.h"
#include "flux/yaml_values.h"
#include "squall/config.h"

namespace squall::nimbus {
namespace {

// Storm's defaults (defaults.yaml): every key Squall declares (config_keys.def), and Storm's
// own for the daemon and client keys read here that the table does not declare.
Map defaults() {
  Map m;
  for (const auto& key : configKeys()) m[key.name] = key.defaultValue;
  m.insert({"nimbus.seeds", Value(List{Value("localhost")})});
  m.insert({"nimbus.thrift.port", Value(6627)});
  m.insert({"nimbus.thrift.bind.host", Value("127.0.0.1")});
  m.insert({"nimbus.thrift.max_buffer_size", Value(1048576)});
  m.insert({"nimbus.thrift.threads", Value(64)});
  m.insert({"storm.thrift.socket.timeout.ms", Value(600000)});
  m.insert({"storm.local.dir", Value("storm-local")});
  return m;
}

void mergeFile(Map& conf, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    throw std::runtime_error(fmt::format("{}:{}: error: {}", path, e.mark.line + 1, e.msg));
  } catch (const YAML::BadFile&) {
    throw std::runtime_error(fmt::format("{}: error: cannot read the file", path));
  }
  if (!root || root.IsNull()) return;
  if (!root.IsMap()) {
    throw std::runtime_error(fmt::format("{}:{}: error: storm.yaml must be a map of keys to values",
                                         path, root.Mark().line + 1));
  }
  Value v = flux::yamlValue(root, [&](const YAML::Node& key) {
    throw std::runtime_error(
        fmt::format("{}:{}: error: a key must be a scalar", path, key.Mark().line + 1));
  });
  for (const auto& [k, value] : v.asMap()) conf.insert_or_assign(k, value);
}

}  // namespace

Map loadStormConfig(const StormConfigSource& source) {
  Map conf = source.withDefaults ? defaults() : Map{};
  if (!source.configFile.empty()) {
    mergeFile(conf, source.configFile);
  } else {
    std::string home = source.home;
    if (home.empty()) {
      const char* h = std::getenv("HOME");
      home = h ? h : "";
    }
    std::error_code ec;
    auto user = std::filesystem::path(home) / ".storm" / "storm.yaml";
    if (!home.empty() && std::filesystem::is_regular_file(user, ec)) mergeFile(conf, user.string());
  }
  for (const auto& o : source.overrides) {
    auto [key, value] = flux::parseConfigOverride(o);
    conf.insert_or_assign(key, value);
  }
  return conf;
}

std::vector<std::string> nimbusSeeds(const Map& conf) {
  // As Storm's NimbusClient: the deprecated nimbus.host, when set, wins over nimbus.seeds.
  if (auto h = conf.find("nimbus.host"); h != conf.end() && h->second.isString()) {
    return {h->second.asString()};
  }
  std::vector<std::string> seeds;
  auto it = conf.find("nimbus.seeds");
  if (it != conf.end() && it->second.isList()) {
    for (const auto& s : it->second.asList()) {
      if (s.isString()) seeds.push_back(s.asString());
    }
  } else if (it != conf.end() && it->second.isString()) {
    seeds.push_back(it->second.asString());
  }
  return seeds;
}

int confInt(const Map& conf, const std::string& key, int fallback) {
  auto it = conf.find(key);
  if (it == conf.end() || it->second.isNull()) return fallback;
  if (!it->second.isInt() || it->second.asInt() < INT32_MIN || it->second.asInt() > INT32_MAX) {
    throw std::invalid_argument(
        fmt::format("{} must be an integer, got {}", key, it->second.toString()));
  }
  return static_cast<int>(it->second.asInt());
}

std::string confString(const Map& conf, const std::string& key, const std::string& fallback) {
  auto it = conf.find(key);
  if (it == conf.end() || it->second.isNull()) return fallback;
  if (!it->second.isString()) {
    throw std::invalid_argument(
        fmt::format("{} must be a string, got {}", key, it->second.toString()));
  }
  return it->second.asString();
}

}  // namespace squall::nimbus
