#include "cli/run_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/worker_report.h"
#include "flux/check.h"
#include "flux/debug_tracing.h"
#include "logs/debug_sampling.h"
#include "logs/log_config.h"
#include "logs/log_layout.h"
#include "logs/process_log.h"
#include "squall/local_cluster.h"
#include "supervisor/log_config_relay.h"
#include "topology/topology_plan.h"
#include "ui/metrics_server.h"
#include "ui/topology_metrics.h"
#include "ui/ui_server.h"
#include "worker/assignment.h"
#include "worker/executor_layout.h"
#include "worker/launcher.h"
#include "worker/worker.h"
#ifdef SQUALL_HAVE_KAFKA
#include "squall/kafka_spout.h"
#endif

namespace squall::cli {

namespace {

std::atomic<int> g_signals{0};

void onSignal(int) {
  if (g_signals.fetch_add(1) >= 1) {
    // A second Ctrl-C while draining: leave now.
    static const char msg[] = "\nsquall: interrupted again, exiting without a clean shutdown\n";
    [[maybe_unused]] auto n = write(2, msg, sizeof msg - 1);
    _exit(130);
  }
}

void installSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // a closed terminal or ssh session: stop cleanly too
}

std::atomic<int> g_reload{0};

void onReload(int) {
  g_reload.store(1);
}

// A worker's SIGHUP: the assignment file changed (the launcher or a supervisor rewrote it).
void installReloadHandler() {
  struct sigaction sa {};
  sa.sa_handler = onReload;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, nullptr);
}

bool sameError(const ReportedError& a, const ReportedError& b) {
  return a.component == b.component && a.task == b.task && a.message == b.message &&
         a.timeSecs == b.timeSecs;
}

// Follows LocalCluster::getErrors: prints what components report, and decides when a task
// that keeps crashing has failed fatally.
class ErrorWatch {
 public:
  ErrorWatch(int maxCrashes, std::set<std::string> spouts)
      : maxCrashes_(maxCrashes), spouts_(std::move(spouts)) {}

  // Returns a description of the fatal failure, or "".
  std::string poll(const std::vector<ReportedError>& errors) {
    size_t start = 0;
    if (seen_ > 0) {
      if (errors.size() >= seen_ && sameError(errors[seen_ - 1], last_)) {
        start = seen_;
      } else {
        start = 0;
        for (size_t i = errors.size(); i-- > 0;) {
          if (sameError(errors[i], last_)) {
            start = i + 1;
            break;
          }
        }
      }
    }
    std::string fatal;
    for (size_t i = start; i < errors.size(); ++i) {
      const ReportedError& e = errors[i];
      // Crashes: a task the runtime restarted after it threw ("<where> threw: ..."), or a
      // multilang child the shell component restarted ("... restarting the child in ...").
      static const std::regex crash(
          "^(open|prepare|activate|deactivate|nextTuple|execute|ack|fail) threw: ");
      bool isCrash = std::regex_search(e.message, crash) ||
                     e.message.find("restarting the child in") != std::string::npos;
      if (!isCrash) {
        // The runtime logs what bolts report; spouts' reports are shown here.
        if (spouts_.count(e.component)) {
          spdlog::error("component '{}' task {} reported: {}", e.component, e.task, e.message);
        }
        continue;
      }
      Crashes& c = crashes_[{e.component, e.task}];
      c.inARow = (c.inARow > 0 && e.timeSecs - c.lastSecs <= kInARowSecs) ? c.inARow + 1 : 1;
      c.lastSecs = e.timeSecs;
      // A configuration a restart cannot fix ends the run at once, with one error.
      if (size_t at = e.message.find("serializer mismatch:");
          at != std::string::npos && fatal.empty()) {
        std::string sentence = e.message.substr(at, e.message.find('\n', at) - at);
        fatal = fmt::format("component '{}' (task {}) cannot start: {}\n  {}", e.component, e.task,
                            sentence, e.message);
      }
      if (maxCrashes_ > 0 && c.inARow >= maxCrashes_ && fatal.empty()) {
        fatal = fmt::format(
            "component '{}' (task {}) failed fatally: it crashed {} times in a "
            "row; the last time: {}",
            e.component, e.task, c.inARow, e.message);
      }
    }
    if (!errors.empty()) {
      seen_ = errors.size();
      last_ = errors.back();
    }
    return fatal;
  }

 private:
  static constexpr int64_t kInARowSecs = 30;  // the runtime's window for consecutive crashes
  struct Crashes {
    int inARow = 0;
    int64_t lastSecs = 0;
  };
  int maxCrashes_;
  std::set<std::string> spouts_;
  size_t seen_ = 0;
  ReportedError last_;
  std::map<std::pair<std::string, int>, Crashes> crashes_;
};

// The Kafka spouts' partitions, for the UI's /lag and /metrics.
std::vector<ui::KafkaPartitionSample> kafkaPartitions([[maybe_unused]] const std::string& stormId) {
  std::vector<ui::KafkaPartitionSample> out;
#ifdef SQUALL_HAVE_KAFKA
  for (const auto& m : kafka::kafkaSpoutMetrics()) {
    if (m.stormId != stormId) continue;
    for (const auto& p : m.partitions) {
      out.push_back(ui::KafkaPartitionSample{m.componentId, m.taskId, p.tp.topic, p.tp.partition,
                                             p.committedOffset, p.logEndOffset, p.lag,
                                             p.recordsEmitted});
    }
  }
#endif
  return out;
}

// The UI of a local run: --ui PORT, else the topology's ui.port when set; null when neither.
std::unique_ptr<ui::UiServer> startUi(LocalCluster& cluster, const flux::TopologyFile& file,
                                      const RunOptions& options) {
  int port = options.uiPort;
  if (port < 0) {
    auto configured = file.conf.getOptionalInt(Config::UI_PORT);
    if (!configured) return nullptr;
    port = static_cast<int>(*configured);
  }
  ui::UiOptions uo;
  uo.host = file.conf.getString(Config::UI_HOST);
  uo.port = port;
  uo.actionsEnabled = file.conf.getBool(Config::UI_ACTIONS_ENABLED);
  uo.version = SQUALL_VERSION;
  uo.kafkaPartitions = kafkaPartitions;
  auto server = std::make_unique<ui::UiServer>(cluster, file.name, std::move(uo));
  server->start();
  spdlog::info("UI: Storm's REST API at http://{}:{}/api/v1/, Prometheus metrics at /metrics{}",
               file.conf.getString(Config::UI_HOST), server->port(),
               file.conf.getBool(Config::UI_ACTIONS_ENABLED) ? "" : " (read-only)");
  return server;
}

// A worker's /metrics, on its slot port plus worker.metrics.port.offset (none when 0), so a
// static Prometheus configuration names every worker of a host and two never share a port.
// One that cannot listen is logged and the worker runs on without it: a taken port must not
// become a restart loop.
std::unique_ptr<ui::MetricsServer> startWorkerMetrics(const internal::RunningTopology& topology,
                                                      const Config& conf, int slotPort) {
  int64_t offset = conf.getInt(Config::WORKER_METRICS_PORT_OFFSET);
  if (offset == 0) return nullptr;
  int64_t port = slotPort + offset;
  if (port < 1 || port > 65535) {
    spdlog::error(
        "worker: no /metrics: slot port {} plus worker.metrics.port.offset {} is not a "
        "port",
        slotPort, offset);
    return nullptr;
  }
  auto metrics = std::make_shared<ui::TopologyMetrics>(topology, kafkaPartitions);
  ui::MetricsServerOptions mo;
  mo.host = conf.getString(Config::METRICS_BIND_HOST);
  mo.port = static_cast<int>(port);
  mo.setBy = "worker.metrics.port.offset, metrics.bind.host";
  auto server = std::make_unique<ui::MetricsServer>(mo, [metrics] { return metrics->text(); });
  try {
    server->start();
  } catch (const std::exception& e) {
    spdlog::error("worker: {}; running without it", e.what());
    return nullptr;
  }
  spdlog::info("worker: Prometheus metrics at http://{}:{}/metrics", mo.host, server->port());
  return server;
}

int runInWorkers(flux::TopologyFile& file, const RunOptions& options) {
  file.conf.set(Config::TOPOLOGY_WORKERS, options.workers);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  std::shared_ptr<internal::TopologyPlan> plan;
  try {
    plan = internal::TopologyPlan::build(file.name, fmt::format("{}-1-{}", file.name, secs),
                                         file.conf, file.topology);
  } catch (const std::exception& e) {
    std::cerr << "squall: error: " << e.what() << "\n";
    return kExitInvalid;
  }
  worker::LaunchOptions lo;
  lo.workers = options.workers;
  lo.executable = options.executable;
  lo.workerArgs = options.workerArgs;
  lo.durationSecs = options.durationSecs;
  lo.killWaitSecs = options.killWaitSecs;
  lo.heartbeatTimeoutSecs =
      static_cast<int>(file.conf.getInt(Config::SUPERVISOR_WORKER_TIMEOUT_SECS));
  spdlog::info("running topology '{}' from {} in {} workers{}", file.name, file.path,
               options.workers, options.durationSecs > 0 ? "" : "; press Ctrl-C to stop");
  int rc = worker::launchWorkers(*plan, lo, g_signals);
  return rc == 0 ? kExitOk : rc;
}

// worker.log of this process in Storm's layout (logs/log_layout.h). A folder that cannot be
// written is reported and the run goes on with the console alone.
void openProcessLog(logs::ProcessLog& log, const Config& conf, const RunOptions& options,
                    const std::string& topologyId, const std::string& topologyName,
                    const std::string& port) {
  std::string dir =
      logs::workerArtifactsDir(logs::logDir(conf, options.executable), topologyId, port);
  try {
    log.open(dir, topologyId, topologyName, fmt::format("{}-{}", topologyId, port), port);
    spdlog::info("logging to {}", log.path());
  } catch (const std::exception& e) {
    log.abandon();
    spdlog::warn("{} (storm.log.dir); logging to the console only", e.what());
  }
}

// Follows the LogConfig file a supervisor writes (supervisor/log_config_relay.h): read again
// when it changes, applied to this process's log levels; timeouts expire on every poll.
class LogConfigWatch {
 public:
  explicit LogConfigWatch(std::string path) : path_(std::move(path)) {}
  void poll() {
    std::ifstream in(path_, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (text.str() != last_) {
        last_ = text.str();
        try {
          follower_.apply(logs::logConfigFromJson(last_), nowMs());
        } catch (const std::invalid_argument& e) {
          spdlog::error("log config {}: {}; levels unchanged", path_, e.what());
        }
      }
    }
    logs::LogLevels::global().expire();
  }

 private:
  static int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::string path_;
  std::string last_;
  logs::LogConfigFollower follower_{logs::LogLevels::global()};
};

// Follows the debug switches a supervisor writes (supervisor/log_config_relay.h), as Storm's
// workers follow StormBase.component_debug: read again when the file changes.
class DebugOptionsWatch {
 public:
  DebugOptionsWatch(std::string path, std::string topologyId)
      : path_(std::move(path)), topologyId_(std::move(topologyId)) {}
  void poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str() == last_) return;
    last_ = text.str();
    try {
      auto options = logs::debugOptionsFromJson(last_);
      logs::DebugSampling::global().apply(options, topologyId_);
      spdlog::info("debug switches of {} now {}", topologyId_, last_);
    } catch (const std::invalid_argument& e) {
      spdlog::error("debug options {}: {}; unchanged", path_, e.what());
    }
  }

 private:
  std::string path_;
  std::string topologyId_;
  std::string last_;
};

}  // namespace

int runWorker(flux::TopologyFile file, const RunOptions& options, const std::string& assignment,
              int index) {
  g_signals.store(0);
  installSignalHandlers();
  installReloadHandler();  // before the file is read: a rewrite before then is read anyway
  worker::Assignment a = worker::readAssignment(assignment);
  if (a.hasWorker(index)) {
    openProcessLog(logs::ProcessLog::attach(file.conf), file.conf, options, a.topologyId, file.name,
                   std::to_string(a.workers[static_cast<size_t>(index)].port));
  }
  file.conf.set(Config::TOPOLOGY_WORKERS, a.numWorkers());
  if (options.debug) file.conf.set(Config::TOPOLOGY_DEBUG, true);
  // Switchable: Storm's UI may turn debug on while the topology runs (nimbus's debug call).
  flux::enableDebugTracing(file.topology, file.conf, true);
  std::unique_ptr<worker::Worker> w;
  try {
    // A cluster's rebalance -e reaches the worker through its assignment only.
    for (const auto& [component, n] :
         worker::followAssignedExecutors(file.topology, file.name, file.conf, a)) {
      spdlog::info("worker {}: component '{}' runs {} executor(s), as its assignment says", index,
                   component, n);
    }
    w = std::make_unique<worker::Worker>(a, index, file.name, file.conf, file.topology);
    w->start(30);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("squall worker {}: error: {}\n", index, e.what());
    return kExitInvalid;
  }
  std::set<std::string> spouts;
  for (const auto& def : file.topology.def.components) {
    if (def.kind == ComponentKind::Spout) spouts.insert(def.id);
  }
  ErrorWatch watch(options.maxCrashes, std::move(spouts));
  WorkerReporter reporter(w->topology());
  std::unique_ptr<ui::MetricsServer> metricsServer;
  if (index >= 0 && static_cast<size_t>(index) < a.workers.size()) {
    metricsServer =
        startWorkerMetrics(w->topology(), file.conf, a.workers[static_cast<size_t>(index)].port);
  }
  std::string fatal;
  auto lastBeat = std::chrono::steady_clock::time_point{};
  // A cluster's dynamic log levels: the supervisor keeps them beside the assignment file.
  LogConfigWatch logConfig(
      (std::filesystem::path(assignment).parent_path() / supervisor::kLogConfigFile).string());
  DebugOptionsWatch debugOptions(
      (std::filesystem::path(assignment).parent_path() / supervisor::kDebugOptionsFile).string(),
      a.topologyId);
  while (g_signals.load() == 0) {
    auto now = std::chrono::steady_clock::now();
    if (now - lastBeat >= std::chrono::seconds(1)) {
      // The report first: a supervisor relays it when it sees the newer heartbeat.
      reporter.write(w->assignment().heartbeatDir, index);
      w->heartbeat();
      logConfig.poll();
      debugOptions.poll();
      lastBeat = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_reload.exchange(0) && !w->reloadAssignment(assignment)) {
      w->stop(0);
      return worker::kExitReassigned;
    }
    fatal = watch.poll(w->errors());
    if (!fatal.empty()) break;
  }
  w->stop(fatal.empty() ? options.killWaitSecs : 0);
  if (!fatal.empty()) {
    std::cerr << fmt::format("squall worker {}: error: {}\n", index, fatal);
    return kExitFailed;
  }
  return kExitOk;
}

int runTopology(flux::TopologyFile file, const RunOptions& options) {
  flux::CheckedTopology checked = flux::checkTopology(file);
  if (!checked.runnable()) {
    std::string ids;
    for (const auto& id : checked.unavailable) ids += (ids.empty() ? "" : ", ") + id;
    std::cerr << fmt::format(
        "squall: error: {} cannot run: this squall was built without the "
        "multilang engine, which components in other languages need\n",
        ids);
    return kExitInvalid;
  }
  if (options.debug) file.conf.set(Config::TOPOLOGY_DEBUG, true);
  // With a UI, debug can be switched on while running (its debug/enable/:percent).
  bool ui = options.workers == 0 &&
            (options.uiPort >= 0 || file.conf.getOptionalInt(Config::UI_PORT).has_value());
  flux::enableDebugTracing(file.topology, file.conf, ui);

  g_signals.store(0);
  installSignalHandlers();
  if (options.workers > 0) {
    if (options.uiPort >= 0) {
      // Several workers share no memory to read stats from: a cluster's nimbus gathers them.
      std::cerr << "squall: error: --ui serves a one-process run; to watch a topology in several "
                   "workers, run it in a cluster (squall dev-cluster, squall submit, then "
                   "squall ui), or give each worker a /metrics with -c "
                   "worker.metrics.port.offset=N\n";
      return kExitUsage;
    }
    return runInWorkers(file, options);
  }
  // Lines are held from here until the topology's id (its folder) is known.
  logs::ProcessLog& processLog = logs::ProcessLog::attach(file.conf);
  LocalCluster cluster;
  try {
    flux::planTopology(file);  // refuses a topology this machine cannot hold, before any starts
    cluster.submitTopology(file.name, file.conf, file.topology);
  } catch (const std::exception& e) {
    processLog.abandon();
    std::cerr << "squall: error: " << e.what() << "\n";
    return kExitInvalid;
  }
  for (const auto& t : cluster.getTopologySummaries()) {
    if (t.name == file.name) {
      openProcessLog(processLog, file.conf, options, t.id, t.name, logs::kLocalPort);
    }
  }
  if (options.durationSecs > 0) {
    spdlog::info("running topology '{}' from {} for {} s", file.name, file.path,
                 options.durationSecs);
  } else {
    spdlog::info("running topology '{}' from {}; press Ctrl-C to stop", file.name, file.path);
  }

  std::unique_ptr<ui::UiServer> uiServer;
  try {
    uiServer = startUi(cluster, file, options);
  } catch (const std::exception& e) {
    std::cerr << "squall: error: " << e.what() << "\n";
    cluster.killTopologyWithOpts(file.name, KillOptions{0});
    return kExitInvalid;
  }

  std::set<std::string> spouts;
  for (const auto& def : file.topology.def.components) {
    if (def.kind == ComponentKind::Spout) spouts.insert(def.id);
  }
  ErrorWatch watch(options.maxCrashes, std::move(spouts));
  auto start = std::chrono::steady_clock::now();
  std::string fatal;
  std::optional<int> uiKillWait;
  while (g_signals.load() == 0) {
    if (uiServer && (uiKillWait = uiServer->takeKillRequest())) break;
    if (options.durationSecs > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
            options.durationSecs) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fatal = watch.poll(cluster.getErrors(file.name));
    if (!fatal.empty()) break;
  }
  if (g_signals.load() > 0) spdlog::info("interrupted");
  KillOptions kill;
  kill.waitSecs = !fatal.empty() ? 0 : uiKillWait ? *uiKillWait : options.killWaitSecs;
  spdlog::info("stopping topology '{}': deactivating, waiting {} s, killing", file.name,
               kill.waitSecs);
  if (uiServer) uiServer->detach();  // the UI stops reading the topology before it goes
  cluster.killTopologyWithOpts(file.name, kill);
  if (uiServer) uiServer->stop();
  if (!fatal.empty()) {
    std::cerr << "squall: error: " << fatal << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace squall::cli
