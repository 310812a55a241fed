// squall::runTopology (include/squall/run_topology.h): a user's C++ program as the local
// runner, the launcher of its workers, or one of them.

#include "squall/run_topology.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "squall/local_cluster.h"
#include "topology/topology_plan.h"
#include "worker/assignment.h"
#include "worker/launcher.h"
#include "worker/worker.h"

namespace squall {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_stop{0};
std::atomic<int> g_reload{0};

void onStop(int) {
  g_stop.fetch_add(1);
}
void onReload(int) {
  g_reload.store(1);
}

// Installs the handlers for as long as runTopology runs; puts the previous ones back.
class SignalScope {
 public:
  explicit SignalScope(bool hupReloads) {
    g_stop.store(0);
    g_reload.store(0);
    set(SIGINT, onStop, 0);
    set(SIGTERM, onStop, 1);
    set(SIGHUP, hupReloads ? onReload : onStop, 2);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_[0], nullptr);
    sigaction(SIGTERM, &old_[1], nullptr);
    sigaction(SIGHUP, &old_[2], nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  void set(int sig, void (*handler)(int), int slot) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, &old_[slot]);
  }
  struct sigaction old_[3]{};
};

struct Options {
  int workers = 0;
  double durationSecs = 0;
  int killWaitSecs = 1;
};

// Reads --workers, --duration and --kill-wait (as `--x V` or `--x=V`) wherever they are;
// std::nullopt after printing what is wrong.
std::optional<Options> parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    std::string_view flag = arg.substr(0, arg.find('='));
    if (flag != "--workers" && flag != "--duration" && flag != "--kill-wait") continue;
    if (flag.size() < arg.size()) {
      value = arg.substr(flag.size() + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << fmt::format("{}: error: {} needs a value\n", argv[0], flag);
      return std::nullopt;
    }
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    bool whole = flag != "--duration";
    if (ec != std::errc() || end != value.data() + value.size() || v < 0 || v > 1e6 ||
        (whole && v != static_cast<int>(v))) {
      std::cerr << fmt::format("{}: error: {} takes a {} number, not '{}'\n", argv[0], flag,
                               whole ? "whole non-negative" : "non-negative", value);
      return std::nullopt;
    }
    if (flag == "--workers") o.workers = static_cast<int>(v);
    if (flag == "--duration") o.durationSecs = v;
    if (flag == "--kill-wait") o.killWaitSecs = static_cast<int>(v);
  }
  return o;
}

std::string selfExecutable() {
  std::string path(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<size_t>(n) >= path.size()) {
    throw std::runtime_error("cannot find this program's executable (/proc/self/exe)");
  }
  path.resize(static_cast<size_t>(n));
  return path;
}

// This process is worker `index` of the assignment at `path`.
int runAsWorker(const std::string& path, int index, int killWaitSecs, const std::string& name,
                const Config& conf, const StormTopology& topology) {
  SignalScope signals(/*hupReloads=*/true);  // before the file is read: see launcher.h
  std::unique_ptr<worker::Worker> w;
  try {
    worker::Assignment a = worker::readAssignment(path);
    Config c = conf;
    c.set(Config::TOPOLOGY_WORKERS, a.numWorkers());
    w = std::make_unique<worker::Worker>(std::move(a), index, name, c, topology);
    w->start(30);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("{} worker {}: error: {}\n", name, index, e.what());
    return 1;
  }
  auto lastBeat = Clock::time_point{};
  while (g_stop.load() == 0) {
    auto now = Clock::now();
    if (now - lastBeat >= std::chrono::seconds(1)) {
      w->heartbeat();
      lastBeat = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_reload.exchange(0) && !w->reloadAssignment(path)) {
      w->stop(0);
      return worker::kExitReassigned;
    }
  }
  w->stop(killWaitSecs);
  return 0;
}

int runLauncher(int argc, char** argv, const Options& o, const std::string& name,
                const Config& conf, const StormTopology& topology) {
  SignalScope signals(/*hupReloads=*/false);
  Config c = conf;
  c.set(Config::TOPOLOGY_WORKERS, o.workers);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  worker::LaunchOptions lo;
  std::shared_ptr<internal::TopologyPlan> plan;
  try {
    plan = internal::TopologyPlan::build(name, fmt::format("{}-1-{}", name, secs), c, topology);
    lo.executable = selfExecutable();
  } catch (const std::exception& e) {
    std::cerr << fmt::format("{}: error: {}\n", name, e.what());
    return 1;
  }
  lo.workers = o.workers;
  lo.workerArgs.assign(argv + 1, argv + argc);
  lo.environment = true;
  lo.durationSecs = o.durationSecs;
  lo.killWaitSecs = o.killWaitSecs;
  lo.heartbeatTimeoutSecs = static_cast<int>(c.getInt(Config::SUPERVISOR_WORKER_TIMEOUT_SECS));
  spdlog::info("running topology '{}' in {} workers{}", name, o.workers,
               o.durationSecs > 0 ? "" : "; press Ctrl-C to stop");
  try {
    return worker::launchWorkers(*plan, lo, g_stop);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("{}: error: {}\n", name, e.what());
    return 1;
  }
}

int runLocal(const Options& o, const std::string& name, const Config& conf,
             const StormTopology& topology) {
  SignalScope signals(/*hupReloads=*/false);
  LocalCluster cluster;
  try {
    cluster.submitTopology(name, conf, topology);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("{}: error: {}\n", name, e.what());
    return 1;
  }
  auto start = Clock::now();
  while (g_stop.load() == 0 &&
         (o.durationSecs <= 0 ||
          std::chrono::duration<double>(Clock::now() - start).count() < o.durationSecs)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cluster.killTopologyWithOpts(name, KillOptions{o.killWaitSecs});
  return 0;
}

}  // namespace

int runTopology(int argc, char** argv, const std::string& name, const Config& conf,
                const StormTopology& topology) {
  if (const char* path = std::getenv(worker::kAssignmentEnv)) {
    std::string assignment = path;
    const char* index = std::getenv(worker::kIndexEnv);
    const char* wait = std::getenv(worker::kKillWaitEnv);
    int i = index ? std::atoi(index) : -1;
    int killWait = wait ? std::atoi(wait) : 1;
    // Not for the components' own children (a multilang subprocess is no worker).
    unsetenv(worker::kAssignmentEnv);
    unsetenv(worker::kIndexEnv);
    unsetenv(worker::kKillWaitEnv);
    return runAsWorker(assignment, i, killWait, name, conf, topology);
  }
  std::optional<Options> o = parseOptions(argc, argv);
  if (!o) return 2;
  if (o->workers > 0) return runLauncher(argc, argv, *o, name, conf, topology);
  return runLocal(*o, name, conf, topology);
}

}  // namespace squall
