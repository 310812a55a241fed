#include "multilang/shell_child.h"

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>

#include "logs/log_levels.h"
#include "logs/log_tag.h"
#include "logs/process_log.h"
#include "topology/topology_plan.h"

namespace squall::internal {

int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void logFromChild(const ShellSetup& s, int64_t pid, int64_t level, const std::string& msg) {
  auto lvl = logs::multilangLevel(level);
  if (!logs::LogLevels::global().allows(s.component, lvl)) return;
  logs::logComponentLine(
      s.component, lvl,
      fmt::format("ShellLog pid:{}, name:{} task {} {}", pid, s.component, s.task, msg));
}

std::string ShellSetup::label() const {
  return fmt::format("{} '{}' task {}", kind, component, task);
}

std::string ShellSetup::commandLine() const {
  std::string out;
  for (const auto& a : command) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

namespace {

constexpr size_t kReadChunk = 1 << 16;
constexpr size_t kFirstBytes = 16;

// The wire format the start of a child's output is in: "json" (a '{'), "msgpack" (a map's
// first byte), or "" when it is neither.
std::string wireFormatOf(const std::string& bytes) {
  size_t i = bytes.find_first_not_of(" \t\r\n");
  if (i == std::string::npos) return {};
  auto c = static_cast<unsigned char>(bytes[i]);
  if (c == '{') return "json";
  if ((c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf) return "msgpack";
  return {};
}

int pollMs(int64_t deadlineNs) {
  int64_t left = deadlineNs - monotonicNs();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<int64_t>((left + 999'999) / 1'000'000, 1'000'000));
}

bool interrupted(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

std::string secondsText(int64_t ns) {
  return fmt::format("{:g} s", static_cast<double>(ns) / 1e9);
}

}  // namespace

ShellChild::ShellChild(const ShellSetup& setup) : setup_(setup) {
  if (setup.topologyContext) {
    slot_ = &setup.topologyContext->plan().children.slot(setup.component, setup.task);
  }
}

std::unique_ptr<ShellChild> ShellChild::start(const ShellSetup& setup, int interruptFd) {
  auto child = std::unique_ptr<ShellChild>(new ShellChild(setup));
  LaunchOptions options{
      setup.command, setup.cwd,       setup.env,
      setup.label(), setup.component, logs::componentTag(setup.component, setup.task, setup.task)};
  try {
    child->process_ = ShellProcess::launch(options);
  } catch (const ShellLaunchError& e) {
    if (child->slot_) child->slot_->failures.fetch_add(1, std::memory_order_relaxed);
    throw ShellError(fmt::format("{} ({}): cannot start the child: {}", setup.label(),
                                 setup.commandLine(), e.what()));
  }
  if (child->slot_) child->slot_->starts.fetch_add(1, std::memory_order_relaxed);
  child->reader_ = setup.serializer->newReader(setup.maxMessageBytes);
  try {
    child->handshake(interruptFd);
  } catch (const ProtocolError& e) {
    throw ShellError(
        child->failureReport(fmt::format("handshake failed: {}", e.what()), e.offending()));
  }
  // On /metrics once past the handshake: the program is running, not the fork before exec.
  if (child->slot_) child->slot_->pid.store(child->process_->pid(), std::memory_order_relaxed);
  return child;
}

ShellChild::~ShellChild() {
  terminate();
}

void ShellChild::handshake(int interruptFd) {
  Map hs;
  hs["conf"] = Value(setup_.conf);
  hs["pidDir"] = setup_.pidDir;
  hs["context"] = Value(setup_.context);
  std::string out;
  setup_.serializer->writeMessage(out, Value(std::move(hs)));
  writeAll(out, monotonicNs() + setup_.timeoutNs, interruptFd);
  ShellMsg reply;
  try {
    if (!readMessage(reply, setup_.timeoutNs, interruptFd)) {
      throw ProtocolError("interrupted while waiting for the child's pid");
    }
  } catch (const ProtocolError& e) {
    // One clear sentence instead of a decoding error (the run ends on it: a restart
    // cannot fix a configuration).
    std::string ours = setup_.serializer->name();
    std::string theirs = wireFormatOf(firstBytes_);
    if (!theirs.empty() && theirs != ours) {
      throw ProtocolError(
          fmt::format("serializer mismatch: the engine speaks {} (topology.multilang.serializer)"
                      " but the child answered the handshake in {}; make them the same",
                      ours, theirs),
          e.offending());
    }
    throw;
  }
  if (!reply.pid) {
    throw ProtocolError(R"(expected {"pid": N} in reply to the handshake)",
                        reader_->lastMessageText(300));
  }
  reportedPid_ = *reply.pid;
  if (reportedPid_ == osPid()) {
    spdlog::info("{}: launched subprocess with pid {} ({})", setup_.label(), reportedPid_,
                 setup_.commandLine());
  } else {
    spdlog::info("{}: launched subprocess with pid {} (started as pid {}: {})", setup_.label(),
                 reportedPid_, osPid(), setup_.commandLine());
  }
}

long ShellChild::readSome() {
  auto room = reader_->prepare(kReadChunk);
  while (true) {
    ssize_t n = ::read(stdoutFd(), room.data(), room.size());
    if (n > 0) {
      if (firstBytes_.size() < kFirstBytes) {
        firstBytes_.append(room.data(),
                           std::min(static_cast<size_t>(n), kFirstBytes - firstBytes_.size()));
      }
      reader_->commit(static_cast<size_t>(n));
      if (slot_) bump(slot_->reads);
      return n;
    }
    if (n == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return -1;
    return 0;  // an error reading a pipe: treat as the child gone
  }
}

void ShellChild::writeAll(std::string_view data, int64_t deadlineNs, int interruptFd) {
  while (!data.empty()) {
    ssize_t n = ::write(stdinFd(), data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      throw ProtocolError(fmt::format("cannot write to the child: {}", std::strerror(errno)));
    }
    pollfd fds[2] = {{stdinFd(), POLLOUT, 0}, {interruptFd, POLLIN, 0}};
    int r = ::poll(fds, interruptFd >= 0 ? 2 : 1, pollMs(deadlineNs));
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && interruptFd >= 0 && fds[1].revents) {
      throw ProtocolError("interrupted while writing to the child");
    }
    if (r == 0 && monotonicNs() >= deadlineNs) {
      throw ProtocolError(
          fmt::format("the child has not read its input for {}", secondsText(setup_.timeoutNs)));
    }
  }
}

bool ShellChild::readMessage(ShellMsg& out, int64_t timeoutNs, int interruptFd,
                             const SilenceHook* silence, int64_t pollUntilNs) {
  int64_t deadline = monotonicNs() + timeoutNs;
  int64_t hookAt = silence ? monotonicNs() + silence->firstAfterNs : INT64_MAX;
  while (true) {
    if (nextMessage(out)) return true;
    long n = readSome();
    if (n > 0) continue;
    if (n == 0) {
      std::string pending = reader_->pendingText(300);
      throw ProtocolError(
          pending.empty() ? "the child closed its stdout (it exited?)"
                          : "the child closed its stdout (it exited?) in the middle of a message",
          pending);
    }
    if (pollUntilNs && monotonicNs() < pollUntilNs) {
      sched_yield();  // a child on this core runs; on another core this returns at once
      continue;
    }
    pollfd fds[2] = {{stdoutFd(), POLLIN, 0}, {interruptFd, POLLIN, 0}};
    int64_t wakeAt = std::min(deadline, hookAt);
    int64_t left = std::max<int64_t>(0, wakeAt - monotonicNs());
    // ppoll: the silence hook's first wait is typically a millisecond or less.
    timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    int r = ::ppoll(fds, interruptFd >= 0 ? 2 : 1, &ts, nullptr);
    if (r < 0 && errno == EINTR) continue;
    if (interrupted(interruptFd)) return false;
    if (r == 0 && silence && monotonicNs() >= hookAt) {
      int64_t again = silence->call();
      if (again < 0) return false;
      hookAt = monotonicNs() + again;
      continue;
    }
    if (r == 0 && monotonicNs() >= deadline) {
      throw ProtocolError(
          fmt::format("subprocess heartbeat timeout: no message from the child for {} "
                      "(topology.subprocess.timeout.secs)",
                      secondsText(timeoutNs)),
          reader_->pendingText(300));
    }
  }
}

std::string ShellChild::terminate() {
  if (exit_.empty() && process_) {
    // Off /metrics before the reap, after which the pid may name another process.
    if (slot_) slot_->pid.store(0, std::memory_order_relaxed);
    exit_ = process_->terminate();
    // The pid file the child made (and one named after the pid we know, in case).
    for (int64_t pid : {reportedPid_, static_cast<int64_t>(osPid())}) {
      if (pid > 0) ::unlink(fmt::format("{}/{}", setup_.pidDir, pid).c_str());
    }
  }
  return exit_;
}

std::string ShellChild::failureReport(const std::string& problem, const std::string& offending) {
  if (slot_ && exit_.empty()) slot_->failures.fetch_add(1, std::memory_order_relaxed);
  std::string ended = terminate();
  std::string pid = reportedPid_ && reportedPid_ != osPid()
                        ? fmt::format("pid {} (started as {})", reportedPid_, osPid())
                        : fmt::format("pid {}", osPid());
  std::string out =
      fmt::format("{}, {}, command [{}]: {}", setup_.label(), pid, setup_.commandLine(), problem);
  if (!offending.empty()) out += fmt::format("\n  offending message: {}", offending);
  out += fmt::format("\n  the child {}", ended);
  std::string tail = process_ ? process_->stderrTail() : std::string();
  if (tail.empty()) {
    out += "\n  stderr: (empty)";
  } else {
    out += "\n  stderr (last lines):";
    size_t start = 0;
    while (start < tail.size()) {
      size_t nl = tail.find('\n', start);
      if (nl == std::string::npos) nl = tail.size();
      out += "\n    ";
      out.append(tail, start, nl - start);
      start = nl + 1;
    }
  }
  return out;
}

}  // namespace squall::internal
