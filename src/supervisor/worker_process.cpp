#include "supervisor/worker_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "metrics/process_metrics.h"

namespace squall::supervisor {

ProcessId spawnDetached(const std::vector<std::string>& args, const std::string& cwd,
                        const std::string& stdoutPath, const std::string& stderrPath) {
  // Opened (and every string built) before fork: the child of a threaded process may only make
  // async-signal-safe calls.
  int out = ::open(stdoutPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err = ::open(stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto closeAll = [&] {
    for (int fd : {out, err, null})
      if (fd >= 0) ::close(fd);
  };
  if (out < 0 || err < 0 || null < 0) {
    int e = errno;
    closeAll();
    throw std::runtime_error(fmt::format("cannot open the logs {} and {}: {}", stdoutPath,
                                         stderrPath, std::strerror(e)));
  }
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    closeAll();
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(e)));
  }
  if (pid == 0) {
    setsid();
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    close_range(3, ~0U, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) sigaction(s, &dfl, nullptr);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGHUP, &ign, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  closeAll();
  ProcessId p;
  p.pid = pid;
  // Read right after fork: the child exists until reaped, so its start time is there.
  p.startTime = processStartTime(pid).value_or(0);
  return p;
}

std::optional<uint64_t> processStartTime(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto state = metrics::procStatField(line, 3);
  auto start = metrics::procStatField(line, 22);
  if (!state || !start || *state == "Z" || *state == "X") return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(start->data(), start->data() + start->size(), value);
  if (ec != std::errc() || end != start->data() + start->size()) return std::nullopt;
  return value;
}

bool processAlive(const ProcessId& p) {
  if (p.pid <= 0) return false;
  int status = 0;
  waitpid(p.pid, &status, WNOHANG);  // reaps our own child; ECHILD for an adopted one
  auto start = processStartTime(p.pid);
  return start && *start == p.startTime;
}

void writeProcessId(const std::string& path, const ProcessId& p) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << p.pid << " " << p.startTime << "\n";
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
}

std::optional<ProcessId> readProcessId(const std::string& path) {
  std::ifstream in(path);
  ProcessId p;
  if (!(in >> p.pid >> p.startTime) || p.pid <= 0) return std::nullopt;
  return p;
}

}  // namespace squall::supervisor
