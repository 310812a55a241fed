#include "cluster/dev_cluster_nimbus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cluster/leader_elector.h"
#include "net/free_ports.h"

namespace fs = std::filesystem;

namespace squall::cluster {
namespace {

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

std::string randomHex(size_t bytes) {
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rd() & 0xff);
  return out;
}

}  // namespace

std::string writeDaemonsYaml(const std::string& dir, int zkPort) {
  std::string path = (fs::path(dir) / "daemons.yaml").string();
  std::string text = fmt::format(
      "# Written by squall dev-cluster for its daemons: the cluster's ZooKeeper digest is here,\n"
      "# so only this user may read it (never give it to clients).\n"
      "storm.zookeeper.servers:\n"
      "  - \"127.0.0.1\"\n"
      "storm.zookeeper.port: {}\n"
      "storm.zookeeper.root: \"/storm\"\n"
      "storm.zookeeper.auth.scheme: \"digest\"\n"
      "storm.zookeeper.auth.payload: \"squall:{}\"\n",
      zkPort, randomHex(24));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path);
  return path;
}

DevNimbuses::DevNimbuses(std::string squall, std::string dir, std::string daemonsYaml, int count)
    : squall_(std::move(squall)),
      dir_(std::move(dir)),
      daemonsYaml_(std::move(daemonsYaml)),
      count_(count) {
  if (squall_.empty()) squall_ = fs::read_symlink("/proc/self/exe").string();
}

DevNimbuses::~DevNimbuses() {
  stop();
}

void DevNimbuses::start() {
  // Picked together: a nimbus may not listen yet when the next one's port is picked.
  std::vector<int> thriftPorts = net::freePorts("127.0.0.1", static_cast<size_t>(count_));
  for (int i = 0; i < count_; ++i) {
    fs::path local = fs::path(dir_) / fmt::format("nimbus-{}", i + 1);
    fs::create_directories(local);
    int port = thriftPorts[static_cast<size_t>(i)];
    std::vector<std::string> args = {squall_,    "nimbus",
                                     "--config", daemonsYaml_,
                                     "-c",       fmt::format("nimbus.thrift.port={}", port),
                                     "-c",       fmt::format("storm.local.dir={}", local.string()),
                                     "-c",       "nimbus.metrics.port=0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string logPath = (local / "nimbus.log").string();
    int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logFd < 0)
      throw std::runtime_error(fmt::format("cannot open {}: {}", logPath, std::strerror(errno)));
    int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      int e = errno;
      ::close(logFd);
      ::close(nullFd);
      throw std::runtime_error(fmt::format("fork: {}", std::strerror(e)));
    }
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::setpgid(0, 0);  // Ctrl-C reaches dev-cluster, which stops the daemons in order
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::dup2(nullFd, 0);
      ::dup2(logFd, 1);
      ::dup2(logFd, 2);
      ::execv(argv[0], argv.data());
      const char msg[] = "dev-cluster: cannot run squall nimbus\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    ::close(logFd);
    ::close(nullFd);
    ports_.push_back(port);
    pids_.push_back(pid);
  }
}

std::string DevNimbuses::logTail(size_t i, size_t bytes) const {
  std::ifstream in(fs::path(dir_) / fmt::format("nimbus-{}", i + 1) / "nimbus.log");
  std::stringstream s;
  s << in.rdbuf();
  std::string all = s.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

std::string DevNimbuses::metricsUrl(size_t i, std::chrono::milliseconds timeout) const {
  static const std::regex line(R"(nimbus: Prometheus metrics at (\S+))");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string text = logTail(i, 1 << 16);
    std::smatch m;
    if (std::regex_search(text, m, line)) return m[1];
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(fmt::format("nimbus {} printed no /metrics address; its log:\n{}",
                                           i + 1, logTail(i, 2000)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int DevNimbuses::waitForLeader(ZkClient& zk, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (size_t i = 0; i < pids_.size(); ++i) {
      int status = 0;
      if (pids_[i] > 0 && ::waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
        pids_[i] = -1;
        throw std::runtime_error(
            fmt::format("nimbus {} exited; the end of its log:\n{}", i + 1, logTail(i, 2000)));
      }
    }
    if (auto leader = LeaderElector::currentLeader(zk)) {
      auto colon = leader->rfind(':');
      int port = colon == std::string::npos ? 0 : std::atoi(leader->c_str() + colon + 1);
      if (port > 0 && accepts(port)) return port;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(
          fmt::format("no nimbus led within {} ms; the end of nimbus 1's log:\n{}", timeout.count(),
                      pids_.empty() ? std::string() : logTail(0, 2000)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void DevNimbuses::stop() {
  for (pid_t pid : pids_) {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  for (auto& pid : pids_) {
    if (pid <= 0) continue;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        spdlog::warn("dev-cluster: nimbus pid {} ignored SIGTERM; killing it", pid);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid = -1;
  }
}

}  // namespace squall::cluster
