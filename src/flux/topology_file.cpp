#include "flux/topology_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "flux/shell_components.h"
#include "flux/yaml_values.h"

namespace squall::flux {

std::string SourceLocation::toString() const {
  std::string out = line > 0 ? fmt::format("{}:{}", file, line) : file;
  if (!context.empty()) out += (out.empty() ? "" : ", ") + context;
  return out;
}

namespace {

std::string formatError(const SourceLocation& where, const std::string& message) {
  std::string place = where.line > 0 ? fmt::format("{}:{}", where.file, where.line) : where.file;
  std::string context = where.context.empty() ? "" : where.context + ": ";
  if (place.empty()) return fmt::format("error: {}{}", context, message);
  return fmt::format("{}: error: {}{}", place, context, message);
}

}  // namespace

FluxError::FluxError(SourceLocation where, const std::string& message)
    : InvalidTopologyException(formatError(where, message)),
      where_(std::move(where)),
      message_(message) {}

const ComponentSource& TopologyFile::source(const std::string& id) const {
  static const ComponentSource none;
  auto it = sources.find(id);
  return it == sources.end() ? none : it->second;
}

SourceLocation TopologyFile::configWhere(const std::string& key) const {
  auto it = configKeys.find(key);
  if (it != configKeys.end()) return it->second;
  return SourceLocation{path, 0, {}};
}

PythonSetup PythonSetup::discover(const std::string& executablePath) {
  namespace fs = std::filesystem;
  PythonSetup setup;
  if (const char* py = std::getenv("SQUALL_PYTHON"); py && *py) setup.interpreter = py;
  if (const char* dir = std::getenv("SQUALL_PYTHONPATH"); dir && *dir) {
    setup.packageDir = dir;
    return setup;
  }
  std::vector<fs::path> candidates;
  if (!executablePath.empty()) {
    fs::path exeDir = fs::path(executablePath).parent_path();
    candidates.push_back(exeDir / ".." / "share" / "squall" / "python");
  }
#ifdef SQUALL_SOURCE_PYTHON_DIR
  candidates.emplace_back(SQUALL_SOURCE_PYTHON_DIR);
#endif
  for (const auto& c : candidates) {
    if (pathExists((c / "squall" / "__init__.py").string())) {
      setup.packageDir = c.lexically_normal().string();
      break;
    }
  }
  return setup;
}

TopologyFile loadTopologyFile(const std::string& path, const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::string ext = fs::path(path).extension().string();
  if (!pathExists(path)) throw FluxError({path, 0, {}}, "no such file");
  if (isDirectory(path)) throw FluxError({path, 0, {}}, "is a folder, not a topology file");
  if (ext == ".yaml" || ext == ".yml") return loadYamlTopology(path, options);
  if (ext == ".py") return loadPythonTopology(path, options);
  throw FluxError({path, 0, {}},
                  "unknown kind of topology file: expected a Flux YAML file (.yaml, .yml) or a "
                  "Python topology module (.py)");
}

std::pair<std::string, Value> parseConfigOverride(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(fmt::format("-c '{}': expected key=value", text));
  }
  std::string key = text.substr(0, eq);
  std::string raw = text.substr(eq + 1);
  Value value;
  try {
    checkYamlLimits(raw, "-c " + key, YamlLimits{});  // an alias bomb on the command line too
    YAML::Node node = YAML::Load(raw);
    value = yamlValue(node);
    if (node.IsNull() && !raw.empty() && raw != "null" && raw != "~") value = Value(raw);
  } catch (const YAML::Exception&) {
    value = Value(raw);  // not YAML: take the text as it is
  }
  try {
    validateConfigValue(key, value);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("-c {}: {}", text, e.what()));
  }
  return {key, value};
}

}  // namespace squall::flux
