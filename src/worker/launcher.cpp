#include "worker/launcher.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "net/free_ports.h"
#include "worker/assignment.h"
#include "worker/handshake_auth.h"

namespace squall::worker {

namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  int index = 0;
  pid_t pid = -1;
  Clock::time_point startedAt;
  Clock::time_point restartAt;
  int backoffMs = 0;
  bool waiting = false;  // dead, to be restarted at restartAt
};

pid_t spawn(const LaunchOptions& o, const std::string& assignmentPath, int index) {
  std::vector<std::string> args = {o.executable};
  if (!o.environment) args.push_back("worker");
  args.insert(args.end(), o.workerArgs.begin(), o.workerArgs.end());
  if (!o.environment) {
    args.insert(args.end(), {"--assignment", assignmentPath, "--index", std::to_string(index),
                             "--kill-wait", std::to_string(o.killWaitSecs)});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Built before fork: the child of a threaded process may only make async-signal-safe calls.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view v(*e);
    if (o.environment && v.rfind("SQUALL_WORKER_", 0) == 0) continue;
    env.emplace_back(v);
  }
  if (o.environment) {
    env.push_back(fmt::format("{}={}", kAssignmentEnv, assignmentPath));
    env.push_back(fmt::format("{}={}", kIndexEnv, index));
    env.push_back(fmt::format("{}={}", kKillWaitEnv, o.killWaitSecs));
  }
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Its own process group: Ctrl-C reaches the launcher, which stops the workers in order.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    // Ignored across exec until the worker handles it (a reload before then is read anyway).
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGHUP, &ign, nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::string describeStatus(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

// Milliseconds since the worker's last heartbeat, or -1 when it has written none.
int64_t heartbeatAgeMs(const std::string& dir, int index) {
  std::ifstream in(fmt::format("{}/worker-{}.heartbeat", dir, index));
  std::string field;
  if (!(in >> field) || field.rfind("time_ms=", 0) != 0) return -1;
  int64_t ms = std::atoll(field.c_str() + 8);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return now - ms;
}

}  // namespace

int launchWorkers(const internal::TopologyPlan& plan, const LaunchOptions& o,
                  const std::atomic<int>& signals) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/squall-{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", plan.name);
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    throw std::runtime_error(fmt::format("cannot create {}: {}", pattern, std::strerror(errno)));
  }
  std::string dir = buf.data();
  Assignment a;
  a.topologyId = plan.stormId;
  a.secret = newSecret();
  a.heartbeatDir = dir;
  // Every worker is on this host: a unix socket between each pair (docs/PERFORMANCE.md: half
  // the median latency of TCP loopback, and a little more throughput).
  a.localSockets = plan.conf.getBool(Config::SQUALL_WORKER_LOCAL_SOCKETS);
  for (int port : net::freePorts(o.host, static_cast<size_t>(o.workers))) {
    a.workers.push_back({o.host, port});
  }
  a.executorWorker = evenSchedule(plan, o.workers);
  std::string assignmentPath = dir + "/assignment";
  writeAssignment(assignmentPath, a);

  std::vector<Child> children(static_cast<size_t>(o.workers));
  for (int i = 0; i < o.workers; ++i) {
    Child& c = children[static_cast<size_t>(i)];
    c.index = i;
    c.pid = spawn(o, assignmentPath, i);
    c.startedAt = Clock::now();
    int executors = 0;
    for (const auto& [start, w] : a.executorWorker) executors += w == i;
    spdlog::info("worker {} started (pid {}) on {}:{} with {} executors", i, c.pid,
                 a.workers[static_cast<size_t>(i)].host, a.workers[static_cast<size_t>(i)].port,
                 executors);
  }

  auto start = Clock::now();
  int result = 0;
  while (signals.load() == 0) {
    if (o.durationSecs > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= o.durationSecs) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto now = Clock::now();
    for (Child& c : children) {
      if (c.waiting) {
        if (now >= c.restartAt && signals.load() == 0) {
          WorkerAddress& addr = a.workers[static_cast<size_t>(c.index)];
          if (!net::portFree(addr.host, addr.port)) {
            std::set<int> promised;  // to the other workers, some of which may be restarting
            for (const WorkerAddress& w : a.workers) promised.insert(w.port);
            int port = net::freePort(addr.host, promised);
            spdlog::warn("worker {}: port {} is taken; moving it to {}", c.index, addr.port, port);
            addr.port = port;
            writeAssignment(assignmentPath, a);
            for (const Child& other : children) {
              if (other.pid > 0 && !other.waiting) ::kill(other.pid, SIGHUP);
            }
          }
          c.pid = spawn(o, assignmentPath, c.index);
          c.startedAt = now;
          c.waiting = false;
          spdlog::info("worker {} restarted (pid {})", c.index, c.pid);
        }
        continue;
      }
      int status = 0;
      pid_t r = waitpid(c.pid, &status, WNOHANG);
      bool dead = r == c.pid;
      if (!dead) {
        int64_t age = heartbeatAgeMs(dir, c.index);
        bool started = std::chrono::duration<double>(now - c.startedAt).count() > 2;
        if (started && age > o.heartbeatTimeoutSecs * 1000LL) {
          spdlog::error("worker {} (pid {}) has not heartbeaten for {} ms; killing it", c.index,
                        c.pid, age);
          ::kill(c.pid, SIGKILL);
          waitpid(c.pid, &status, 0);
          dead = true;
        }
      }
      if (!dead) continue;
      if (WIFEXITED(status) && (WEXITSTATUS(status) == 1 || WEXITSTATUS(status) == 3)) {
        spdlog::error("worker {} (pid {}) {}; stopping the topology", c.index, c.pid,
                      describeStatus(status));
        c.pid = -1;
        result = WEXITSTATUS(status);
        break;
      }
      // A worker that ran a while starts again at the shortest backoff.
      if (now - c.startedAt > std::chrono::seconds(30)) c.backoffMs = 0;
      c.backoffMs = c.backoffMs ? std::min(c.backoffMs * 2, 5000) : 100;
      spdlog::warn("worker {} (pid {}) {}; restarting it in {} ms", c.index, c.pid,
                   describeStatus(status), c.backoffMs);
      std::remove(fmt::format("{}/worker-{}.heartbeat", dir, c.index).c_str());
      c.pid = -1;
      c.waiting = true;
      c.restartAt = now + std::chrono::milliseconds(c.backoffMs);
    }
    if (result) break;
  }
  if (signals.load() > 0) spdlog::info("interrupted");
  spdlog::info("stopping {} workers", o.workers);
  for (Child& c : children) {
    if (c.pid > 0) ::kill(c.pid, SIGTERM);
  }
  auto grace = Clock::now() + std::chrono::seconds(o.killWaitSecs + 10);
  for (Child& c : children) {
    while (c.pid > 0) {
      int status = 0;
      pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid) {
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && result == 0 && WIFEXITED(status) &&
            WEXITSTATUS(status) == 3) {
          result = 3;
        }
        c.pid = -1;
        break;
      }
      if (Clock::now() > grace) {
        spdlog::warn("worker {} (pid {}) did not stop in time; killing it", c.index, c.pid);
        ::kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        c.pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace squall::worker
