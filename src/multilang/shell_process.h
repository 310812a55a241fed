#pragma once
// ShellProcess: one multilang child with piped stdin, stdout and stderr.
// - Launch: fork + exec, no shell. The child gets its own process group and
//   PR_SET_PDEATHSIG(SIGKILL), so it dies with the thread that launched it even when the
//   worker is killed with -9 (the launching thread must outlive the child; ours do).
// - stdin (engine writes) and stdout (engine reads) are non-blocking on the engine side and
//   may be used by any thread; the owner serialises writes.
// - stderr: a dedicated thread reads it continuously (a child that floods stderr never blocks
//   on a full pipe), logs each line at INFO with the component, task and pid, as Storm logs
//   it under the component's logger, and keeps the last lines for error reports. Past
//   kLinesPerSecond a second the lines go to the log file only (the console is spared a
//   flood; the file keeps every line, bounded by its rotation); without a file they are
//   counted and dropped.
// - terminate(): close stdin, SIGTERM, SIGKILL after a grace period, reap, join the stderr
//   thread. The destructor terminates. Owned and terminated by one thread.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "squall/errors.h"

namespace squall::internal {

struct LaunchOptions {
  std::vector<std::string> argv;
  std::string cwd;               // empty: inherit
  std::vector<std::string> env;  // complete environment, "KEY=value"
  std::string label;             // for log lines, e.g. "ShellBolt 'split' task 4"
  std::string component;         // whose level filters the stderr lines (logs::LogLevels)
  std::string tag;               // the stderr thread's log tag, "split:4" (logs/log_tag.h)
};

// The child could not be started at all (no such program, bad cwd, fork failed).
class ShellLaunchError : public SquallError {
 public:
  using SquallError::SquallError;
};

// The worker's environment with `extra` applied: PATH is appended to the inherited PATH,
// other keys replace.
std::vector<std::string> childEnvironment(const std::map<std::string, std::string>& extra);

class ShellProcess {
 public:
  static std::unique_ptr<ShellProcess> launch(const LaunchOptions& options);
  ~ShellProcess();
  ShellProcess(const ShellProcess&) = delete;
  ShellProcess& operator=(const ShellProcess&) = delete;

  pid_t pid() const { return pid_; }
  int stdinFd() const { return stdin_; }
  int stdoutFd() const { return stdout_; }

  // Stops the child (see the class comment) and returns how it ended, e.g. "exited with
  // status 1" or "killed by signal 9". Idempotent.
  std::string terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(500));
  // How the child ended if it already has, without blocking.
  std::optional<std::string> pollExit();
  // The last stderr lines (at most `lines`), oldest first, "" when none.
  std::string stderrTail(size_t lines = 20) const;

 private:
  ShellProcess() = default;
  void startStderrThread();
  void readStderr();
  void logLine(std::string_view line);
  void reportRateLimited();

  std::string label_;
  std::string component_;
  std::string tag_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  int stopFd_ = -1;  // eventfd that ends the stderr thread
  std::optional<std::string> exit_;
  std::thread stderrThread_;
  std::atomic<bool> stderrDone_{false};

  mutable std::mutex tailMu_;
  std::deque<std::string> tail_;
  // Log rate limit, stderr thread only.
  int64_t windowStartNs_ = 0;
  int linesInWindow_ = 0;
  uint64_t suppressed_ = 0;  // dropped: no log file
  uint64_t fileOnly_ = 0;    // written to the log file only
};

}  // namespace squall::internal
