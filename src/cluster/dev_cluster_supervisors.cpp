#include "cluster/dev_cluster_supervisors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net/free_ports.h"

namespace fs = std::filesystem;

namespace squall::cluster {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> slotPorts(int index, std::set<int>& taken) {
  std::vector<int> ports;
  for (int i = 0; i < 4; ++i) {
    int port = 6700 + 4 * index + i;  // Storm's slots when they are free, as a user expects
    if (taken.count(port) || !net::portFree("127.0.0.1", port)) {
      port = net::freePort("127.0.0.1", taken);
    }
    taken.insert(port);
    ports.push_back(port);
  }
  return ports;
}

std::string tail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  std::string s = out.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace

std::vector<DevSupervisor> startDevSupervisors(int count, const std::string& clusterDir,
                                               const std::string& configFile) {
  std::vector<DevSupervisor> out;
  std::set<int> taken;
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  try {
    for (int i = 0; i < count; ++i) {
      DevSupervisor s;
      s.dir = (fs::path(clusterDir) / fmt::format("supervisor-{}", i)).string();
      fs::create_directories(s.dir);
      s.ports = slotPorts(i, taken);
      std::vector<std::string> args = {
          exe,
          "supervisor",
          "--config",
          configFile,
          "--kill-workers-on-stop",
          "-c",
          fmt::format("storm.local.dir=\"{}/local\"", s.dir),
          "-c",
          fmt::format("storm.log.dir=\"{}/logs\"", s.dir),
          "-c",
          "storm.local.hostname=\"127.0.0.1\"",
          "-c",
          fmt::format("supervisor.slots.ports=[{}]", fmt::join(s.ports, ", ")),
          "-c",
          "supervisor.metrics.port=0",
          "-c",
          fmt::format("worker.metrics.port.offset={}", kDevWorkerMetricsPortOffset)};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      std::string log = s.dir + "/supervisor.log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw std::runtime_error(fmt::format("cannot write {}", log));
      pid_t parent = getpid();
      s.pid = fork();
      if (s.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);
        dup2(fd, 1);
        dup2(fd, 2);
        // Its own group: a terminal's Ctrl-C reaches dev-cluster, which stops it in order.
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(argv[0], argv.data());
        _exit(127);
      }
      ::close(fd);
      if (s.pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
      out.push_back(s);
    }
    // Each prints "supervisor: ID running on HOST with slots ..." once it serves, after the
    // address of its /metrics.
    std::regex running(R"(supervisor: (\S+) running on)");
    std::regex metrics(R"(supervisor: Prometheus metrics at (\S+))");
    auto deadline = Clock::now() + std::chrono::seconds(60);
    for (auto& s : out) {
      std::smatch m;
      for (;;) {
        std::string text = tail(s.dir + "/supervisor.log", 1 << 16);
        if (std::regex_search(text, m, running)) {
          s.id = m[1];
          std::smatch url;
          if (std::regex_search(text, url, metrics)) s.metrics = url[1];
          break;
        }
        if (waitpid(s.pid, nullptr, WNOHANG) == s.pid || Clock::now() > deadline) {
          s.pid = -1;
          throw std::runtime_error(fmt::format("the supervisor in {} did not start:\n{}", s.dir,
                                               tail(s.dir + "/supervisor.log", 2000)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  } catch (...) {
    stopDevSupervisors(out, 5);
    throw;
  }
  return out;
}

void stopDevSupervisors(std::vector<DevSupervisor>& supervisors, double graceSecs) {
  for (auto& s : supervisors) {
    if (s.pid > 0) ::kill(s.pid, SIGTERM);
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(graceSecs * 1000));
  for (auto& s : supervisors) {
    while (s.pid > 0) {
      if (waitpid(s.pid, nullptr, WNOHANG) == s.pid) {
        s.pid = -1;
      } else if (Clock::now() > deadline) {
        ::kill(s.pid, SIGKILL);
        waitpid(s.pid, nullptr, 0);
        s.pid = -1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

}  // namespace squall::cluster
