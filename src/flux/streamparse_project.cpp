#include "flux/streamparse_project.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "flux/shell_components.h"
#include "flux/topology_file.h"
#include "flux/yaml_values.h"

namespace squall::flux {

namespace {

namespace fs = std::filesystem;

// JSON is YAML, and yaml-cpp keeps the line of every node for the errors.
YAML::Node readConfig(const std::string& file) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw FluxError({file, e.mark.is_null() ? 0 : e.mark.line + 1, {}}, "not valid JSON: " + e.msg);
  }
}

SourceLocation at(const std::string& file, const YAML::Node& n) {
  return {file, n.Mark().is_null() ? 0 : n.Mark().line + 1, {}};
}

std::string stringAt(const std::string& file, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    throw FluxError(at(file, n), fmt::format("{} must be a string, got {}", what, describeNode(n)));
  }
  return n.Scalar();
}

// A folder that looks like a quickstart project even without topology_specs in config.json.
bool looksLikeProject(const fs::path& root, const YAML::Node& config) {
  if (config["topology_specs"] || config["envs"]) return true;
  return isDirectory((root / "topologies").string()) && isDirectory((root / "src").string());
}

// streamparse's resolve_options(): the environment's options, then its log settings.
void readEnvironment(StreamparseProject& p, const YAML::Node& env) {
  const std::string& file = p.configFile;
  if (!env.IsMap()) {
    throw FluxError(at(file, env), fmt::format("envs.{} must be an object, got {}", p.environment,
                                               describeNode(env)));
  }
  if (auto options = env["options"]; options && !options.IsNull()) {
    if (!options.IsMap()) {
      throw FluxError(at(file, options), fmt::format("envs.{}.options must be an object, got {}",
                                                     p.environment, describeNode(options)));
    }
    for (auto it = options.begin(); it != options.end(); ++it) {
      std::string key = stringAt(file, it->first, "an option name");
      p.options.insert_or_assign(key, yamlValue(it->second));
    }
  }
  YAML::Node log = env["log"];
  if (!log || !log.IsMap()) return;
  for (const char* key : {"path", "file", "level"}) {
    if (auto v = log[key]; v && v.IsScalar() && !v.Scalar().empty()) {
      std::string value = v.Scalar();
      if (std::string(key) == "level") {
        for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      p.options.insert_or_assign(std::string("pystorm.log.") + key, Value(value));
    }
  }
  for (const char* key : {"max_bytes", "backup_count"}) {
    if (auto v = log[key]; v && v.IsScalar()) {
      Value value = yamlValue(v);
      if (value.isInt()) p.options.insert_or_assign(std::string("pystorm.log.") + key, value);
    }
  }
}

}  // namespace

std::optional<StreamparseProject> findStreamparseProject(const std::string& topologyFile) {
  fs::path folder = fs::path(parentDir(topologyFile));
  for (const fs::path& root : {folder, folder.parent_path()}) {
    fs::path configPath = root / "config.json";
    if (!pathExists(configPath.string()) || isDirectory(configPath.string())) continue;
    StreamparseProject p;
    p.root = root.string();
    p.configFile = configPath.string();
    YAML::Node config = readConfig(p.configFile);
    if (!config.IsMap() || !looksLikeProject(root, config)) continue;
    p.srcDir = (root / "src").string();
    p.topologySpecs = "topologies/";
    if (auto specs = config["topology_specs"]; specs && !specs.IsNull()) {
      p.topologySpecs = stringAt(p.configFile, specs, "topology_specs");
    }
    std::string serializer;
    if (auto envs = config["envs"]; envs && envs.IsMap() && envs.size() > 0) {
      // streamparse infers the environment when there is only one; with several, `sparse
      // run` needs -e, which Flux's own -e takes in `squall run`: name it in the topology.
      if (envs.size() == 1) {
        p.environment = envs.begin()->first.Scalar();
        readEnvironment(p, envs.begin()->second);
        if (auto s = envs.begin()->second["serializer"]; s && s.IsScalar()) serializer = s.Scalar();
      } else {
        std::string names;
        for (auto it = envs.begin(); it != envs.end(); ++it) {
          names += (names.empty() ? "" : ", ") + it->first.Scalar();
        }
        p.warnings.push_back(fmt::format(
            "{}: warning: several environments ({}); the options of none of them are used",
            p.configFile, names));
      }
    }
    if (auto s = config["serializer"]; serializer.empty() && s && !s.IsNull()) {
      serializer = stringAt(p.configFile, s, "serializer");
    }
    if (!serializer.empty()) {
      p.options.insert_or_assign("topology.multilang.serializer", Value(serializer));
    }
    return p;
  }
  return std::nullopt;
}

std::optional<std::string> streamparseTopologyByName(const std::string& name,
                                                     const std::string& folder) {
  if (name.empty() || name.find('/') != std::string::npos || fs::path(name).has_extension()) {
    return std::nullopt;
  }
  fs::path configPath = fs::path(folder) / "config.json";
  if (!pathExists(configPath.string())) return std::nullopt;
  std::string specs = "topologies/";
  YAML::Node config = readConfig(configPath.string());
  if (auto s = config["topology_specs"]; s && s.IsScalar()) specs = s.Scalar();
  fs::path candidate = fs::path(folder) / specs / (name + ".py");
  if (!pathExists(candidate.string())) return std::nullopt;
  return candidate.lexically_normal().string();
}

}  // namespace squall::flux
