#include "multilang/shell_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "logs/log_levels.h"
#include "logs/log_tag.h"
#include "logs/process_log.h"

extern char** environ;

namespace squall::internal {

namespace {

constexpr size_t kTailLines = 40;
constexpr size_t kMaxLine = 8192;
constexpr int kLinesPerSecond = 200;
constexpr int kPipeSize = 1 << 20;

int64_t monoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void closeFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string errnoText(int err) {
  return std::strerror(err);
}

// Writing to a child that has exited must fail with EPIPE, not kill the worker (the JVM
// ignores SIGPIPE too). Children get the default disposition back before exec.
void ignoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
      struct sigaction ign {};
      ign.sa_handler = SIG_IGN;
      sigemptyset(&ign.sa_mask);
      sigaction(SIGPIPE, &ign, nullptr);
    }
  });
}

std::string findOnPath(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : env) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    // Appended piecewise: GCC 12 reports a false -Wrestrict on `dir + "/" + program` at -O3.
    std::string candidate = dir;
    candidate += '/';
    candidate += program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  throw ShellLaunchError(fmt::format("cannot run '{}': not found on PATH ({})", program, path));
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return fmt::format("killed by signal {}{}{}", sig, name ? " SIG" : "", name ? name : "");
  }
  return fmt::format("ended with status {:#x}", status);
}

// In the child between fork and exec: raw system calls only (no allocation, no locks, no
// sanitizer interceptors). Reports a failure as {stage, errno} on `errFd` and exits.
[[noreturn]] void execChild(pid_t parent, int in, int out, int err, int errFd, const char* cwd,
                            const char* program, char* const* argv, char* const* envp) {
  auto fail = [errFd](int stage) {
    int msg[2] = {stage, errno};
    [[maybe_unused]] auto n = syscall(SYS_write, errFd, msg, sizeof msg);
    syscall(SYS_exit_group, 127);
    __builtin_unreachable();
  };
  syscall(SYS_setpgid, 0, 0);
  // Dies with the launching thread; if that is already gone, do not start at all.
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (syscall(SYS_getppid) != parent) syscall(SYS_exit_group, 127);
  int fds[3] = {in, out, err};
  for (int target = 0; target < 3; ++target) {
    if (fds[target] == target) {
      if (syscall(SYS_fcntl, target, F_SETFD, 0) < 0) fail(1);
    } else if (syscall(SYS_dup3, fds[target], target, 0) < 0) {
      fail(1);
    }
  }
  // Default signal handling and an empty mask, whatever the worker uses.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (cwd && syscall(SYS_chdir, cwd) < 0) fail(2);
    // Nothing else of the worker leaks into the child (errFd closes itself at exec).
#ifdef SYS_close_range
  syscall(SYS_close_range, 3, errFd - 1, 0);
  syscall(SYS_close_range, errFd + 1, ~0U, 0);
#endif
  syscall(SYS_execve, program, argv, envp);
  fail(3);
  __builtin_unreachable();
}

}  // namespace

std::vector<std::string> childEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) {
    if (k == "PATH" && env.count("PATH") && !env["PATH"].empty()) {
      env["PATH"] += ":" + v;
    } else {
      env[k] = v;
    }
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::unique_ptr<ShellProcess> ShellProcess::launch(const LaunchOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    throw ShellLaunchError("the command is empty");
  }
  ignoreSigpipe();
  std::string program = findOnPath(options.argv[0], options.env);

  // Everything the child needs, built before fork: it must not allocate.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int in[2], out[2], err[2], report[2];
  if (pipe2(in, O_CLOEXEC) < 0) throw ShellLaunchError("pipe: " + errnoText(errno));
  if (pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    throw ShellLaunchError("pipe: " + errnoText(e));
  }
  if (pipe2(err, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    throw ShellLaunchError("pipe: " + errnoText(e));
  }
  // Bigger pipes: fewer wake-ups when either side writes in bursts. Best effort.
  fcntl(in[1], F_SETPIPE_SZ, kPipeSize);
  fcntl(out[1], F_SETPIPE_SZ, kPipeSize);

  pid_t parent = getpid();
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  pid_t pid = fork();
  if (pid == 0) {
    execChild(parent, in[0], out[1], err[1], report[1], cwd, program.c_str(), argv.data(),
              envp.data());
  }
  int forkErrno = errno;
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(report[1]);
  if (pid < 0) {
    for (int fd : {in[1], out[0], err[0], report[0]}) ::close(fd);
    throw ShellLaunchError("fork: " + errnoText(forkErrno));
  }
  setpgid(pid, pid);  // also from here, so signalling the group works before the child runs

  int msg[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(report[0], msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof msg)) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    const char* stage = msg[0] == 2 ? "cannot change to working directory '" : "cannot run '";
    std::string what = msg[0] == 2 ? options.cwd : program;
    throw ShellLaunchError(fmt::format("{}{}': {}", stage, what, errnoText(msg[1])));
  }

  auto p = std::unique_ptr<ShellProcess>(new ShellProcess());
  p->label_ = options.label;
  p->component_ = options.component;
  p->tag_ = options.tag;
  p->pid_ = pid;
  p->stdin_ = in[1];
  p->stdout_ = out[0];
  p->stderr_ = err[0];
  fcntl(p->stdin_, F_SETFL, fcntl(p->stdin_, F_GETFL) | O_NONBLOCK);
  fcntl(p->stdout_, F_SETFL, fcntl(p->stdout_, F_GETFL) | O_NONBLOCK);
  p->stopFd_ = eventfd(0, EFD_CLOEXEC);
  p->startStderrThread();
  return p;
}

ShellProcess::~ShellProcess() {
  terminate();
}

void ShellProcess::startStderrThread() {
  stderrThread_ = std::thread([this] {
    // A thread of its own name: it would otherwise carry its creator's (the executor's), and
    // per-thread CPU (top, the benchmarks) would add the two up.
    pthread_setname_np(pthread_self(), fmt::format("stderr:{}", pid_).substr(0, 15).c_str());
    readStderr();
  });
}

void ShellProcess::readStderr() {
  logs::setThreadTag(tag_);
  std::string line;
  char buf[16384];
  while (true) {
    pollfd fds[2] = {{stderr_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    ssize_t n = ::read(stderr_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c == '\n') {
        logLine(line);
        line.clear();
      } else if (line.size() < kMaxLine) {
        line += c;
      } else {
        logLine(line);  // a very long line is logged in pieces
        line.assign(1, c);
      }
    }
  }
  if (!line.empty()) logLine(line);
  reportRateLimited();
  stderrDone_.store(true);
}

void ShellProcess::reportRateLimited() {
  if (fileOnly_) {
    spdlog::warn("[{} pid {}] {} more stderr lines went to the log file only (over {} a second)",
                 label_, pid_, fileOnly_, kLinesPerSecond);
  }
  if (suppressed_) {
    spdlog::warn("[{} pid {}] {} stderr lines were not logged (over {} a second, and no log file)",
                 label_, pid_, suppressed_, kLinesPerSecond);
  }
  fileOnly_ = 0;
  suppressed_ = 0;
}

void ShellProcess::logLine(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  std::string line(raw);
  {
    std::lock_guard lock(tailMu_);
    tail_.push_back(line);
    if (tail_.size() > kTailLines) tail_.pop_front();
  }
  int64_t now = monoNs();
  if (now - windowStartNs_ >= 1'000'000'000) {
    reportRateLimited();
    windowStartNs_ = now;
    linesInWindow_ = 0;
  }
  std::string text = fmt::format("[{} pid {}] {}", label_, pid_, line);
  if (++linesInWindow_ > kLinesPerSecond) {
    // Filtered by the component's level like the others, then kept in the file alone.
    if (!logs::LogLevels::global().allows(component_, spdlog::level::info)) return;
    if (logs::logToFileOnly(spdlog::level::info, text)) {
      ++fileOnly_;
    } else {
      ++suppressed_;
    }
    return;
  }
  logs::logComponentLine(component_, spdlog::level::info, text);
}

std::string ShellProcess::stderrTail(size_t lines) const {
  std::lock_guard lock(tailMu_);
  std::string out;
  size_t first = tail_.size() > lines ? tail_.size() - lines : 0;
  for (size_t i = first; i < tail_.size(); ++i) {
    out += tail_[i];
    out += '\n';
  }
  return out;
}

std::optional<std::string> ShellProcess::pollExit() {
  if (exit_) return exit_;
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_ = describeStatus(status);
  return exit_;
}

std::string ShellProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ > 0 && !exit_) {
    // First the polite way: a multilang child exits when its stdin closes.
    closeFd(stdin_);
    auto waitUntil = [this](std::chrono::milliseconds d) {
      auto deadline = std::chrono::steady_clock::now() + d;
      while (!pollExit()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return true;
    };
    if (!waitUntil(std::min(grace, std::chrono::milliseconds(200)))) {
      ::kill(-pid_, SIGTERM);
      if (!waitUntil(grace)) {
        ::kill(-pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        exit_ = describeStatus(status);
      }
    }
  }
  if (pid_ > 0) ::kill(-pid_, SIGKILL);  // whatever the child left behind in its group
  if (stderrThread_.joinable()) {
    // Let the stderr thread read what is left; a grandchild holding the pipe cannot keep it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (!stderrDone_.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stopFd_, &one, sizeof one);
    stderrThread_.join();
  }
  closeFd(stdin_);
  closeFd(stdout_);
  closeFd(stderr_);
  closeFd(stopFd_);
  return exit_.value_or("state unknown");
}

}  // namespace squall::internal
