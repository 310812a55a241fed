#include "supervisor/supervisor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "supervisor/log_config_relay.h"
#include "supervisor/stormdist_topology.h"
#include "supervisor/worker_assignment.h"
#include "supervisor/worker_report_relay.h"

namespace fs = std::filesystem;

namespace squall::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds secs(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Storm's supervisor ids are UUIDs; this is a random version-4 UUID.
std::string newSupervisorId() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t{rd()} << 32) ^ rd());
  uint64_t a = gen(), b = gen();
  a = (a & ~uint64_t{0xF000}) | 0x4000;
  b = (b & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF,
                     b >> 48, b & 0xFFFFFFFFFFFF);
}

// The time of the worker's last heartbeat (worker.h writes worker-INDEX.heartbeat), or -1.
int64_t lastBeatMs(const std::string& dir, int index) {
  std::ifstream in(fmt::format("{}/worker-{}.heartbeat", dir, index));
  std::string field;
  if (!(in >> field) || field.rfind("time_ms=", 0) != 0) return -1;
  return std::atoll(field.c_str() + 8);
}

}  // namespace

Supervisor::Supervisor(cluster::ZkClient& zk, SupervisorOptions options)
    : zk_(zk), state_(zk), o_(std::move(options)) {
  // Workers run in their stormdist folder and read paths from their assignment file.
  o_.localDir = fs::absolute(o_.localDir).lexically_normal().string();
  o_.logDir = fs::absolute(o_.logDir).lexically_normal().string();
  if (o_.hostname.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    o_.hostname = host;
  }
  if (o_.workerExecutable.empty()) throw std::invalid_argument("supervisor: no worker executable");
  if (!o_.fetch) throw std::invalid_argument("supervisor: no way to download code");
}

Supervisor::~Supervisor() = default;

std::string Supervisor::slotDir(int port) const {
  return (fs::path(o_.localDir) / "workers" / std::to_string(port)).string();
}

std::string Supervisor::artifactsDir(const std::string& topologyId, int port) const {
  return (fs::path(o_.logDir) / "workers-artifacts" / topologyId / std::to_string(port)).string();
}

cluster::Watcher Supervisor::watcherFor(const std::string& path) {
  {
    std::lock_guard lock(watches_->mu);
    if (!watches_->armed.insert(path).second) return {};
  }
  std::weak_ptr<Watches> weak = watches_;
  return [weak, path](const cluster::WatchEvent&) {
    if (auto w = weak.lock()) {
      {
        std::lock_guard lock(w->mu);
        w->armed.erase(path);
      }
      w->changed.store(true);
    }
  };
}

void Supervisor::start() {
  fs::path idFile = fs::path(o_.localDir) / "supervisor" / "supervisor-id";
  fs::create_directories(idFile.parent_path());
  {
    std::ifstream in(idFile);
    in >> id_;
  }
  if (id_.empty()) {
    id_ = newSupervisorId();
    std::ofstream out(idFile.string() + ".tmp");
    out << id_ << "\n";
    out.close();
    fs::rename(idFile.string() + ".tmp", idFile);
  }
  startedAt_ = Clock::now();
  spdlog::info("supervisor {} on {} with slots {}", id_, o_.hostname, fmt::join(o_.ports, ","));
  adopt();
  heartbeat();
  sync();
  monitor();
  publishMetrics();
}

void Supervisor::adopt() {
  fs::path workers = fs::path(o_.localDir) / "workers";
  if (!fs::is_directory(workers)) return;
  for (const auto& e : fs::directory_iterator(workers)) {
    int port = std::atoi(e.path().filename().c_str());
    auto pid = readProcessId((e.path() / "pid").string());
    std::ifstream in(e.path() / "topology");
    Slot slot;
    slot.port = port;
    in >> slot.topologyId >> slot.index;
    if (!pid || !processAlive(*pid) || slot.topologyId.empty()) {
      std::error_code ec;
      fs::remove(e.path() / "pid", ec);
      continue;
    }
    try {
      slot.assignment = worker::readAssignment((e.path() / "assignment").string());
    } catch (const std::exception& ex) {
      spdlog::warn("supervisor: worker pid {} on port {}: {}; replacing it", pid->pid, port,
                   ex.what());
      ::kill(pid->pid, SIGKILL);
      continue;
    }
    slot.process = *pid;
    slot.running = true;
    slot.startedAt = Clock::now();
    spdlog::info("supervisor: adopted worker pid {} of {} on port {}", pid->pid, slot.topologyId,
                 port);
    slots_[port] = std::move(slot);
  }
}

void Supervisor::heartbeat() {
  cluster::SupervisorInfo info;
  info.timeSecs = nowMs() / 1000;
  info.hostname = o_.hostname;
  info.assignmentId = id_;
  info.metaPorts = o_.ports;
  for (const auto& [port, slot] : slots_) info.usedPorts.push_back(port);
  info.uptimeSecs =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - startedAt_).count();
  info.version = SQUALL_SUPERVISOR_VERSION;
  state_.supervisorHeartbeat(id_, info);
  nextHeartbeat_ = Clock::now() + secs(o_.heartbeatSecs);
}

void Supervisor::sync() {
  watches_->changed.store(false);
  nextSync_ = Clock::now() + secs(o_.monitorSecs);
  struct Wanted {
    std::string topologyId;
    int index;
    worker::Assignment assignment;
    std::vector<cluster::ExecutorRange> executors;
  };
  std::map<int, Wanted> wanted;
  std::set<std::string> here;
  // Whatever runs for a topology keeps running while its code or secret cannot be read.
  auto keepRunning = [&](const std::string& id) {
    for (const auto& [port, slot] : slots_) {
      if (slot.topologyId == id) wanted[port] = {id, slot.index, slot.assignment, slot.executors};
    }
  };
  for (const std::string& id : state_.assignments(watcherFor("/assignments"))) {
    auto a = state_.assignmentInfo(id, watcherFor("/assignments/" + id));
    if (!a) continue;
    std::map<int, int> local = localWorkers(*a, id_);
    if (local.empty()) continue;
    here.insert(id);
    try {
      auto creds = state_.credentials(id);
      auto secret = creds ? creds->creds.find(kWorkerSecretCredential)
                          : std::map<std::string, std::string>::const_iterator{};
      if (!creds || secret == creds->creds.end()) {
        if (missingSecret_.insert(id).second) {
          spdlog::warn("supervisor: topology {} has no {} in /credentials/{} yet; waiting", id,
                       kWorkerSecretCredential, id);
        }
        keepRunning(id);
        continue;
      }
      missingSecret_.erase(id);
      worker::Assignment w = toWorkerAssignment(*a, id, secret->second);
      std::string dist = downloadStormDist(
          o_.fetch, id, (fs::path(o_.localDir) / "supervisor" / "stormdist").string());
      // Workers of this topology that share a host talk over unix sockets unless the
      // topology turns it off (transport.h); every supervisor reads the same conf, so the
      // workers on both ends of a connection agree.
      w.localSockets = loadStormConf(dist).getBool(Config::SQUALL_WORKER_LOCAL_SOCKETS);
      for (const auto& [port, index] : local) {
        if (std::find(o_.ports.begin(), o_.ports.end(), port) == o_.ports.end()) {
          spdlog::error(
              "supervisor: topology {} is assigned port {}, not one of this "
              "supervisor's slots; ignoring it",
              id, port);
          continue;
        }
        worker::Assignment mine = w;
        mine.heartbeatDir = slotDir(port);
        wanted[port] = {id, index, std::move(mine), executorsOf(*a, id_, port)};
      }
    } catch (const std::exception& e) {
      spdlog::error("supervisor: topology {}: {}; trying again", id, e.what());
      keepRunning(id);
    }
  }
  // Workers no longer assigned, or whose own executors changed (a worker runs the executors it
  // started with), stop first; the second kind starts again below. A worker whose executors
  // stay keeps its index (worker_assignment.h) and runs on, whatever its peers do.
  for (auto it = slots_.begin(); it != slots_.end();) {
    auto w = wanted.find(it->first);
    bool assigned = w != wanted.end() && w->second.topologyId == it->second.topologyId;
    if (!assigned || w->second.index != it->second.index ||
        executorsOfWorker(w->second.assignment, w->second.index) !=
            executorsOfWorker(it->second.assignment, it->second.index)) {
      spdlog::info("supervisor: worker of {} on port {} {}; stopping it", it->second.topologyId,
                   it->first, assigned ? "has other executors now" : "is no longer assigned");
      stopWorker(it->second, true);
      try {
        state_.removeWorkerHeartbeat(it->second.topologyId, id_, it->first);
      } catch (const std::exception&) {
      }
      std::error_code ec;
      fs::remove_all(slotDir(it->first), ec);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [port, w] : wanted) {
    auto it = slots_.find(port);
    if (it == slots_.end()) {
      Slot slot;
      slot.port = port;
      slot.topologyId = w.topologyId;
      slot.index = w.index;
      slot.assignment = w.assignment;
      slot.executors = w.executors;
      Slot& s = slots_[port] = std::move(slot);
      launch(s);
    } else if (!sameAssignment(it->second.assignment, w.assignment)) {
      Slot& s = it->second;
      s.assignment = w.assignment;
      s.executors = w.executors;
      worker::writeAssignment(slotDir(port) + "/assignment", s.assignment);
      if (s.running) {
        spdlog::info("supervisor: the assignment of {} changed; worker on port {} reads it again",
                     s.topologyId, port);
        ::kill(s.process.pid, SIGHUP);
      }
    } else {
      it->second.executors = w.executors;
    }
  }
  // Each topology's dynamic log levels (/logconfigs/ID) and debug switches
  // (/debugoptions/ID), for its workers to follow.
  std::map<std::string, std::optional<std::string>> logConfigs;
  std::map<std::string, std::optional<std::string>> debugOptions;
  for (const auto& [port, slot] : slots_) {
    if (!logConfigs.count(slot.topologyId)) {
      const std::string& id = slot.topologyId;
      try {
        logConfigs[id] = state_.logConfig(id, watcherFor("/logconfigs/" + id));
      } catch (const std::exception& e) {
        spdlog::warn("supervisor: log config of {}: {}", id, e.what());
        logConfigs[id] = std::nullopt;
      }
      try {
        debugOptions[id] = state_.debugOptions(id, watcherFor("/debugoptions/" + id));
      } catch (const std::exception& e) {
        spdlog::warn("supervisor: debug options of {}: {}", id, e.what());
        debugOptions[id] = std::nullopt;
      }
    }
    if (const auto& json = logConfigs[slot.topologyId]) {
      relayLogConfig(*json, slotDir(port) + "/" + kLogConfigFile);
    }
    if (const auto& json = debugOptions[slot.topologyId]) {
      relayLogConfig(*json, slotDir(port) + "/" + kDebugOptionsFile);
    }
  }
  // Code of topologies no longer here.
  fs::path dist = fs::path(o_.localDir) / "supervisor" / "stormdist";
  if (fs::is_directory(dist)) {
    for (const auto& e : fs::directory_iterator(dist)) {
      std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || here.count(name)) continue;
      std::error_code ec;
      fs::remove_all(e.path(), ec);
    }
  }
}

namespace {

// A string as a YAML double-quoted scalar (how -c values are read).
std::string quotedYaml(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void Supervisor::launch(Slot& s) {
  std::string dir = slotDir(s.port);
  fs::create_directories(dir);
  std::error_code ec;
  fs::remove(fs::path(dir) / fmt::format("worker-{}.heartbeat", s.index), ec);
  worker::writeAssignment(dir + "/assignment", s.assignment);
  {
    std::ofstream out(dir + "/topology", std::ios::trunc);
    out << s.topologyId << " " << s.index << "\n";
  }
  std::string logs = artifactsDir(s.topologyId, s.port);
  fs::create_directories(logs);
  std::string dist = (fs::path(o_.localDir) / "supervisor" / "stormdist" / s.topologyId).string();
  std::vector<std::string> argv = {
      o_.workerExecutable, "worker", "--storm-dist", fs::absolute(dist).string(), "--assignment",
      fs::absolute(dir + "/assignment").string(), "--index", std::to_string(s.index), "--kill-wait",
      std::to_string(o_.killWaitSecs),
      // Its worker.log beside the .out and .err written here.
      "-c", fmt::format("storm.log.dir={}", quotedYaml(o_.logDir))};
  if (o_.workerMetricsPortOffset != 0) {
    // Its /metrics on this slot's port plus the offset (checked against the slots at start).
    argv.insert(argv.end(),
                {"-c", fmt::format("worker.metrics.port.offset={}", o_.workerMetricsPortOffset),
                 "-c", fmt::format("metrics.bind.host={}", quotedYaml(o_.metricsHost))});
  }
  s.process = spawnDetached(argv, dist, logs + "/worker.log.out", logs + "/worker.log.err");
  writeProcessId(dir + "/pid", s.process);
  s.running = true;
  s.startedAt = Clock::now();
  s.lastRelayedBeatMs = 0;
  ++launches_;
  spdlog::info("supervisor: worker {} of {} started on port {} (pid {})", s.index, s.topologyId,
               s.port, s.process.pid);
}

void Supervisor::stopWorker(Slot& s, bool wait) {
  if (!s.running) return;
  ::kill(s.process.pid, SIGTERM);
  auto deadline = Clock::now() + secs(o_.shutdownSleepSecs + o_.killWaitSecs);
  while (wait && processAlive(s.process) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (processAlive(s.process)) {
    ::kill(s.process.pid, SIGKILL);
    // Reaped by processAlive, our child or not (an adopted one is init's to reap).
    auto until = Clock::now() + std::chrono::seconds(2);
    while (processAlive(s.process) && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  s.running = false;
  std::error_code ec;
  fs::remove(fs::path(slotDir(s.port)) / "pid", ec);
}

void Supervisor::monitor() {
  auto now = Clock::now();
  for (auto& [port, s] : slots_) {
    if (!s.running) {
      if (now >= s.restartAt) launch(s);
      continue;
    }
    bool alive = processAlive(s.process);
    int64_t beat = lastBeatMs(slotDir(port), s.index);
    if (alive) {
      double timeout = beat < 0 ? o_.workerStartTimeoutSecs : o_.workerTimeoutSecs;
      int64_t since =
          beat < 0
              ? std::chrono::duration_cast<std::chrono::milliseconds>(now - s.startedAt).count()
              : nowMs() - beat;
      if (since > timeout * 1000) {
        spdlog::error(
            "supervisor: worker on port {} (pid {}) has not heartbeaten for {} ms; "
            "killing it",
            port, s.process.pid, since);
        stopWorker(s, false);
        alive = false;
      }
    }
    if (!alive) {
      auto delay = s.backoff.onDeath(now - s.startedAt);
      spdlog::warn("supervisor: worker of {} on port {} (pid {}) died; restarting it in {} ms",
                   s.topologyId, port, s.process.pid, delay.count());
      s.running = false;
      ++s.restarts;
      ++restarts_;
      s.restartAt = now + delay;
      if (delay.count() == 0) launch(s);
      continue;
    }
    if (beat > s.lastRelayedBeatMs) {
      cluster::WorkerHeartbeat hb;
      hb.stormId = s.topologyId;
      hb.executors = s.executors;
      hb.timeSecs = beat / 1000;
      hb.uptimeSecs = std::chrono::duration_cast<std::chrono::seconds>(now - s.startedAt).count();
      try {
        relayWorkerReport(state_, slotDir(port), s.index, o_.hostname, port, hb);
        state_.workerHeartbeat(s.topologyId, id_, port, hb);
        s.lastRelayedBeatMs = beat;
      } catch (const std::exception& e) {
        spdlog::warn("supervisor: cannot relay the heartbeat of port {}: {}", port, e.what());
      }
    }
  }
}

void Supervisor::poll() {
  try {
    if (Clock::now() >= nextHeartbeat_) heartbeat();
  } catch (const std::exception& e) {
    spdlog::warn("supervisor: heartbeat: {}", e.what());
    nextHeartbeat_ = Clock::now() + secs(std::min(o_.heartbeatSecs, 1.0));
  }
  try {
    if (watches_->changed.load() || Clock::now() >= nextSync_) sync();
  } catch (const std::exception& e) {
    spdlog::warn("supervisor: reading the assignments: {}", e.what());
    nextSync_ = Clock::now() + secs(std::min(o_.monitorSecs, 1.0));
  }
  try {
    monitor();
  } catch (const std::exception& e) {
    spdlog::error("supervisor: {}", e.what());
  }
  publishMetrics();
}

void Supervisor::publishMetrics() {
  SupervisorMetrics m;
  m.slots = static_cast<int>(o_.ports.size());
  m.workerLaunches = launches_;
  m.workerRestarts = restarts_;
  auto now = Clock::now();
  for (const auto& [port, s] : slots_) {
    ++m.assignedSlots;
    if (s.running) ++m.runningWorkers;
    m.workers.push_back({s.topologyId, port, s.running, s.restarts,
                         s.running ? std::chrono::duration<double>(now - s.startedAt).count() : 0});
  }
  std::lock_guard lock(metricsMu_);
  metrics_ = std::move(m);
}

SupervisorMetrics Supervisor::metrics() const {
  std::lock_guard lock(metricsMu_);
  return metrics_;
}

void Supervisor::stop(bool killWorkers) {
  if (killWorkers) {
    for (auto& [port, s] : slots_) {
      ::kill(s.process.pid, SIGTERM);
    }
    for (auto& [port, s] : slots_) stopWorker(s, true);
  }
  slots_.clear();
}

pid_t Supervisor::workerPid(int port) const {
  auto it = slots_.find(port);
  return it != slots_.end() && it->second.running ? it->second.process.pid : -1;
}

std::map<int, std::string> Supervisor::runningWorkers() const {
  std::map<int, std::string> out;
  for (const auto& [port, s] : slots_) {
    if (s.running) out[port] = s.topologyId;
  }
  return out;
}

}  // namespace squall::supervisor
