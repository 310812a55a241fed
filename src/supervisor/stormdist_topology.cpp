#include "supervisor/stormdist_topology.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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
  Value conf;
  try {
    conf = nimbus::parseJson(readAll(root / "stormconf.ser"));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", (root / "stormconf.ser").string(), e.what()));
  }
  if (!conf.isMap()) {
    throw std::runtime_error(fmt::format("{}: the configuration is not a JSON object",
                                         (root / "stormconf.ser").string()));
  }
  nimbus::TranslateOptions options;
  options.shellCwd =
      fs::is_directory(root / "resources") ? (root / "resources").string() : root.string();
  flux::TopologyFile file;
  file.path = root.string();
  file.dir = root.string();
  file.topology.def = nimbus::toTopologyDef(topology, options);
  file.conf = Config(conf.asMap());
  const Value* name = file.conf.find("topology.name");
  file.name = name && name->isString() ? name->asString() : root.filename().string();
  return file;
}

}  // namespace squall::supervisor
