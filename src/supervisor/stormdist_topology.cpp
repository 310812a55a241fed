#include "supervisor/stormdist_topology.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "artifact/python_environment.h"
#include "flux/shell_components.h"
#include "nimbus/json_conf.h"
#include "nimbus/storm_topology_translation.h"

namespace fs = std::filesystem;

namespace squall::supervisor {

namespace {

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Config loadStormConf(const std::string& dir) {
  fs::path file = fs::absolute(dir) / "stormconf.ser";
  Value conf;
  try {
    conf = nimbus::parseJson(readAll(file));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), e.what()));
  }
  if (!conf.isMap()) {
    throw std::runtime_error(
        fmt::format("{}: the configuration is not a JSON object", file.string()));
  }
  return Config(conf.asMap());
}

flux::TopologyFile loadStormDist(const std::string& dir) {
  fs::path root = fs::absolute(dir);
  storm::StormTopology topology;
  try {
    topology = nimbus::deserializeTopology(readAll(root / "stormcode.ser"));
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: not a StormTopology: {}", (root / "stormcode.ser").string(), e.what()));
  }
  nimbus::TranslateOptions options;
  options.shellCwd =
      fs::is_directory(root / "resources") ? (root / "resources").string() : root.string();
  flux::TopologyFile file;
  file.path = root.string();
  file.dir = root.string();
  file.topology.def = nimbus::toTopologyDef(topology, options);
  file.conf = loadStormConf(dir);
  const Value* name = file.conf.find("topology.name");
  file.name = name && name->isString() ? name->asString() : root.filename().string();
  return file;
}

void localizeShellComponents(flux::TopologyFile& file, const flux::PythonSetup& python,
                             const std::map<std::string, std::string>& extraEnv) {
  std::string resources = flux::resourcesDir(file.dir);
  for (ComponentDef& c : file.topology.def.components) {
    if (!flux::isShellClass(c.className) || c.args.size() != 1 || !c.args[0].isMap()) continue;
    Map m = c.args[0].asMap();
    const Value* command = nullptr;
    if (auto it = m.find("command"); it != m.end() && it->second.isList()) command = &it->second;
    if (!command) continue;
    std::vector<std::string> argv;
    for (const Value& a : command->asList()) {
      if (!a.isString()) {
        argv.clear();
        break;
      }
      argv.push_back(a.asString());
    }
    if (argv.empty()) continue;
    std::string cwd = resources;
    if (auto it = m.find("cwd");
        it != m.end() && it->second.isString() && !it->second.asString().empty()) {
      cwd = it->second.asString();
    }
    flux::ResolvedCommand resolved = flux::resolveCommand(argv, file.dir, python, cwd);
    m["command"] = Value(List(resolved.command.begin(), resolved.command.end()));
    m["cwd"] = resolved.cwd;
    Map env;
    if (auto it = m.find("env"); it != m.end() && it->second.isMap()) env = it->second.asMap();
    for (const auto& [k, v] : extraEnv) env.try_emplace(k, v);
    if (!env.count("PYTHONPATH")) {
      env["PYTHONPATH"] = flux::childPythonPath({resolved.cwd}, python);
    }
    m["env"] = Value(std::move(env));
    c.args = Values{Value(std::move(m))};
  }
}

flux::TopologyFile loadStormDistForWorker(const std::string& dir, const std::string& exe) {
  flux::TopologyFile file = loadStormDist(dir);
  flux::PythonSetup python = flux::PythonSetup::discover(exe);
  std::map<std::string, std::string> env;
  fs::path root = fs::absolute(dir);
  // stormdist/ID -> storm.local.dir/supervisor/python-envs, shared by every topology.
  std::string cache = (root.parent_path().parent_path() / "python-envs").string();
  if (auto venv = artifact::preparePythonEnvironment(root.string(), cache)) {
    python.interpreter = venv->interpreter;
    env = venv->env;
  }
  localizeShellComponents(file, python, env);
  return file;
}

}  // namespace squall::supervisor
