#include "cluster/zookeeper_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "net/free_ports.h"

namespace fs = std::filesystem;

namespace squall::cluster {

namespace {

using Clock = std::chrono::steady_clock;

// Debian's jar names its dependencies in its manifest; slf4j-simple gives the server a log.
std::string defaultClasspath() {
  if (const char* env = std::getenv("SQUALL_ZOOKEEPER_CLASSPATH"); env && *env) return env;
  std::string cp = "/usr/share/java/zookeeper.jar";
  if (fs::exists("/usr/share/java/slf4j-simple.jar")) cp += ":/usr/share/java/slf4j-simple.jar";
  return cp;
}

std::string defaultJava() {
  if (const char* env = std::getenv("SQUALL_JAVA"); env && *env) return env;
  return "java";
}

}  // namespace

std::string makeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/{}-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) {
    throw ZooKeeperServerError(fmt::format("cannot create {}: {}", pattern, std::strerror(errno)));
  }
  return buf.data();
}

ZooKeeperServer::ZooKeeperServer(ZooKeeperServerOptions options) : opts_(std::move(options)) {
  if (opts_.dir.empty()) throw ZooKeeperServerError("ZooKeeper server: no directory given");
  if (opts_.java.empty()) opts_.java = defaultJava();
  if (opts_.classpath.empty()) opts_.classpath = defaultClasspath();
  port_ = opts_.port;
}

ZooKeeperServer::~ZooKeeperServer() {
  stop();
  if (opts_.removeDirOnDestroy) {
    std::error_code ec;
    fs::remove_all(opts_.dir, ec);
  }
}

std::string ZooKeeperServer::address() const {
  return fmt::format("127.0.0.1:{}", port_);
}

std::string ZooKeeperServer::logTail(size_t bytes) const {
  std::ifstream in(fs::path(opts_.dir) / "zookeeper.log", std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(in.tellg());
  size_t from = size > bytes ? size - bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string s(size - from, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

std::string ZooKeeperServer::fourLetterWord(int port, const std::string& word, int timeoutMs) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return {};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  auto left = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<int64_t>(ms.count(), 0));
  };
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return {};
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, left()) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0 ||
      ::send(fd, word.data(), word.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(word.size())) {
    ::close(fd);
    return {};
  }
  // The server answers and closes; the answer is a few hundred bytes.
  char buf[4096];
  while (out.size() < 65536) {
    p = {fd, POLLIN, 0};
    if (::poll(&p, 1, left()) != 1) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void ZooKeeperServer::start() {
  if (running()) return;
  fs::create_directories(fs::path(opts_.dir) / "data");
  bool chosen = port_ == 0;
  for (int attempt = 0;; ++attempt) {
    if (port_ == 0) {
      try {
        port_ = net::freePort("127.0.0.1");
      } catch (const std::runtime_error& e) {
        throw ZooKeeperServerError(e.what());
      }
    }
    launch();
    std::string why;
    if (waitServing(why)) return;
    stop();
    // A port picked free may be taken before Java binds it; pick again.
    bool portTaken = logTail().find("Address already in use") != std::string::npos;
    if (chosen && portTaken && attempt < 3) {
      port_ = 0;
      continue;
    }
    throw ZooKeeperServerError(fmt::format(
        "ZooKeeper server ({} -cp {}) on {} {}; the end of {}:\n{}", opts_.java, opts_.classpath,
        address(), why, (fs::path(opts_.dir) / "zookeeper.log").string(), logTail(2000)));
  }
}

void ZooKeeperServer::launch() {
  fs::path dir = fs::absolute(opts_.dir);
  {
    std::ofstream cfg(dir / "zoo.cfg");
    cfg << "# Written by squall: a private standalone server on loopback.\n"
        << "tickTime=" << opts_.tickTimeMs << "\n"
        << "dataDir=" << (dir / "data").string() << "\n"
        << "clientPort=" << port_ << "\n"
        << "clientPortAddress=127.0.0.1\n"
        << "maxClientCnxns=0\n"
        // No admin web server: it would listen on 8080 of every interface.
        << "admin.enableServer=false\n"
        << "4lw.commands.whitelist=srvr,ruok,stat,mntr,cons\n";
    if (!cfg)
      throw ZooKeeperServerError(fmt::format("cannot write {}", (dir / "zoo.cfg").string()));
  }
  std::vector<std::string> args = {
      opts_.java,
      "-Xmx128m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",  // starts faster; the server's load here is small
      "-Djava.awt.headless=true",
      "-Dzookeeper.admin.enableServer=false",
      "-Dzookeeper.jmx.log4j.disable=true",
      "-cp",
      opts_.classpath,
      "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      (dir / "zoo.cfg").string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string logPath = (dir / "zookeeper.log").string();
  int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logFd < 0)
    throw ZooKeeperServerError(fmt::format("cannot open {}: {}", logPath, std::strerror(errno)));
  int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(logFd);
    ::close(nullFd);
    throw ZooKeeperServerError(fmt::format("fork: {}", std::strerror(e)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);  // a terminal's Ctrl-C reaches squall, which stops the server in order
    ::dup2(nullFd, 0);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    ::execvp(argv[0], argv.data());
    const char msg[] = "squall: cannot run java\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(logFd);
  ::close(nullFd);
  pid_ = pid;
  spdlog::debug("ZooKeeper server pid {} on {}", pid_, address());
}

bool ZooKeeperServer::waitServing(std::string& why) {
  auto deadline = Clock::now() + std::chrono::milliseconds(opts_.startTimeoutMs);
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      why = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                              : fmt::format("was killed by signal {}", WTERMSIG(status));
      return false;
    }
    // "srvr" answers before the server serves ("not currently serving requests"); Mode: is
    // printed only once it does.
    if (fourLetterWord(port_, "srvr", 500).find("Mode:") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  why = fmt::format("did not serve within {} ms", opts_.startTimeoutMs);
  return false;
}

void ZooKeeperServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) break;
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

bool ZooKeeperServer::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
  return pid_ > 0;
}

void ZooKeeperServer::restart() {
  stop();
  start();
}

}  // namespace squall::cluster
