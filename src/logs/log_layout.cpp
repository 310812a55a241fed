#include "logs/log_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace squall::logs {

namespace fs = std::filesystem;

std::string defaultLogDir(const std::string& exe) {
  // A build tree (CMakeCache.txt in a folder above the binary) keeps its logs in itself.
  std::error_code ec;
  fs::path dir = fs::path(exe).parent_path();
  for (int up = 0; up < 4 && !dir.empty(); ++up) {
    if (fs::exists(dir / "CMakeCache.txt", ec)) return (dir / "logs").string();
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
    return (fs::path(state) / "squall" / "logs").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".local" / "state" / "squall" / "logs").string();
  }
  return "logs";
}

std::string logDir(const Config& conf, const std::string& exe) {
  Value set = conf.get(Config::STORM_LOG_DIR);
  if (set.isString() && !set.asString().empty()) return set.asString();
  return defaultLogDir(exe);
}

std::string workerArtifactsDir(const std::string& logDir, const std::string& topologyId,
                               const std::string& port) {
  return (fs::path(logDir) / kWorkersArtifacts / topologyId / port).string();
}

bool writeWorkerYaml(const std::string& dir, const std::string& topologyId,
                     const std::string& topologyName, const std::string& workerId,
                     const std::string& port) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream out(fs::path(dir) / "worker.yaml");
  // Quoted: ids and names are Storm's (no quotes or backslashes in them).
  out << fmt::format("topology-id: \"{}\"\ntopology-name: \"{}\"\nworker-id: \"{}\"\nport: {}\n",
                     topologyId, topologyName, workerId, port == kLocalPort ? "\"local\"" : port);
  return static_cast<bool>(out);
}

namespace {

std::string yamlValue(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::string v = line.substr(key.size() + 1);
    v.erase(0, v.find_first_not_of(' '));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

}  // namespace

std::vector<TopologyLogs> listTopologyLogs(const std::string& logDir) {
  std::vector<TopologyLogs> out;
  std::error_code ec;
  fs::path root = fs::path(logDir) / kWorkersArtifacts;
  static const std::regex idShape("^(.+)-([0-9]+)-([0-9]+)$");
  for (const auto& topo : fs::directory_iterator(root, ec)) {
    if (!topo.is_directory(ec)) continue;
    TopologyLogs t;
    t.id = topo.path().filename().string();
    t.dir = topo.path().string();
    for (const auto& port : fs::directory_iterator(topo.path(), ec)) {
      if (!port.is_directory(ec)) continue;
      t.ports.push_back(port.path().filename().string());
      if (t.name.empty()) t.name = yamlValue(port.path() / "worker.yaml", "topology-name");
    }
    std::sort(t.ports.begin(), t.ports.end());
    std::smatch m;
    if (std::regex_match(t.id, m, idShape)) {
      if (t.name.empty()) t.name = m[1];
      std::string secs = m[3];
      std::from_chars(secs.data(), secs.data() + secs.size(), t.startedSecs);
    } else {
      auto when = fs::last_write_time(topo.path(), ec);
      t.startedSecs =
          std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
    }
    if (t.name.empty()) t.name = t.id;
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const TopologyLogs& a, const TopologyLogs& b) {
    return std::tie(a.startedSecs, a.id) < std::tie(b.startedSecs, b.id);
  });
  return out;
}

std::optional<TopologyLogs> findTopologyLogs(const std::string& logDir,
                                             const std::string& nameOrId) {
  std::optional<TopologyLogs> found;
  for (auto& t : listTopologyLogs(logDir)) {
    if (t.id == nameOrId) return t;
    if (t.name == nameOrId) found = t;  // sorted oldest first: the last is the latest run
  }
  return found;
}

}  // namespace squall::logs
