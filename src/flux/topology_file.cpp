#include "flux/topology_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "flux/shell_components.h"
#include "flux/streamparse_project.h"
#include "flux/subprocess.h"
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

FluxError::FluxError(const std::string& text, SourceLocation where, std::string message,
                     size_t count)
    : InvalidTopologyException(text),
      where_(std::move(where)),
      message_(std::move(message)),
      count_(count) {}

FluxError FluxError::all(const std::vector<FluxError>& errors) {
  if (errors.size() == 1) return errors.front();
  std::string text;
  size_t count = 0;
  for (const auto& e : errors) {
    text += (text.empty() ? "" : "\n") + std::string(e.what());
    count += e.count();
  }
  return FluxError(text, errors.front().where(), errors.front().message(), count);
}

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

namespace {

bool holdsSquallPackage(const std::filesystem::path& dir) {
  return pathExists((dir / "squall" / "__init__.py").string());
}

// The folder from which `interpreter` imports squall (a pip-installed package), or "".
std::string importableSquall(const std::string& interpreter) {
  ProcessResult r =
      runProcess({interpreter, "-c",
                  "import os, squall; print(os.path.dirname(os.path.dirname(squall.__file__)))"},
                 {}, 10, 64 * 1024);
  if (!r.started || r.timedOut || r.exitCode != 0) return {};
  std::string dir = r.out.substr(0, r.out.find('\n'));
  return holdsSquallPackage(dir) ? dir : std::string();
}

}  // namespace

PythonSetup PythonSetup::discover(const std::string& executablePath) {
  namespace fs = std::filesystem;
  PythonSetup setup;
  if (const char* py = std::getenv("SQUALL_PYTHON"); py && *py) setup.interpreter = py;
  if (const char* dir = std::getenv("SQUALL_PYTHONPATH"); dir && *dir) {
    setup.packageDir = dir;
    return setup;
  }
  // Relative to the executable, never to where it was built: an install's share/ or lib/,
  // then, for a binary inside a CMake build folder (a CMakeCache.txt above it) under a
  // checkout, the source tree's python/. An installed or copied binary has no CMakeCache.txt
  // above it, so it never picks up a checkout it happens to sit in.
  std::vector<fs::path> candidates;
  if (!executablePath.empty()) {
    fs::path exeDir = fs::path(absolutePath(executablePath)).parent_path();
    candidates.push_back(exeDir / ".." / "share" / "squall" / "python");
    candidates.push_back(exeDir / ".." / "lib" / "squall" / "python");
    bool inBuildTree = false;
    for (fs::path dir = exeDir; !dir.empty(); dir = dir.parent_path()) {
      if (pathExists((dir / "CMakeCache.txt").string())) inBuildTree = true;
      if (inBuildTree && pathExists((dir / "CMakeLists.txt").string())) {
        candidates.push_back(dir / "python");
      }
      if (dir == dir.root_path()) break;
    }
  }
  for (const auto& c : candidates) {
    if (holdsSquallPackage(c)) {
      setup.packageDir = c.lexically_normal().string();
      return setup;
    }
  }
  setup.packageDir = importableSquall(setup.interpreter);
  return setup;
}

std::optional<std::string> findResource(const std::string& resource,
                                        const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  std::string relative = resource;
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  if (relative.empty()) return std::nullopt;
  for (const auto& root : roots) {
    fs::path p = fs::path(root) / relative;
    if (pathExists(p.string()) && !isDirectory(p.string())) return p.lexically_normal().string();
  }
  return std::nullopt;
}

std::vector<std::string> resourceRoots(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> roots = {(fs::path(dir) / "resources").string(), dir};
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (!ec) {
    for (const fs::path& p : {cwd / "resources", cwd / "src" / "main" / "resources"}) {
      if (std::find(roots.begin(), roots.end(), p.string()) == roots.end()) {
        roots.push_back(p.string());
      }
    }
  }
  return roots;
}

TopologyFile loadTopologyFile(const std::string& path, const LoadOptions& options) {
  namespace fs = std::filesystem;
  if (!pathExists(path)) {
    // `squall run wordcount` in a streamparse project, as `sparse run -n wordcount`.
    if (auto named = streamparseTopologyByName(path)) return loadPythonTopology(*named, options);
    throw FluxError({path, 0, {}}, "no such file");
  }
  std::string ext = fs::path(path).extension().string();
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
