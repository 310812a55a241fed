#pragma once
// ShellChild: one started multilang child past its handshake, as ShellBolt and ShellSpout
// use it: the process, the decoder of its output, blocking reads and writes with deadlines,
// and the error report that names the component, task, pid, command, offending message, how
// the child ended and its last stderr lines.
// Threading: owned by one thread at a time (the bolt's reader thread, or the spout's
// executor thread); stdinFd() may be written by others under the owner's lock.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "multilang/serializer.h"
#include "multilang/shell_process.h"
#include "squall/errors.h"
#include "squall/shell_component.h"
#include "squall/topology_context.h"
#include "squall/value.h"
#include "stats/child_processes.h"

namespace squall::internal {

// A multilang child failed; what() is the full report.
class ShellError : public SquallError {
 public:
  using SquallError::SquallError;
};

// Everything needed to (re)start the child of one task.
struct ShellSetup {
  std::string kind;  // "ShellBolt" or "ShellSpout"
  std::string component;
  int task = 0;
  std::vector<std::string> command;
  std::string cwd;
  std::vector<std::string> env;  // complete, SQUALL_SERIALIZER included
  std::shared_ptr<const Serializer> serializer;
  Map conf;
  Map context;
  std::string pidDir;
  bool pidDirOwned = false;  // made by us (the topology has none): removed when empty
  int64_t timeoutNs = 30'000'000'000;
  // The task's context (valid for the task's life): where `metrics` commands are recorded.
  const TopologyContext* topologyContext = nullptr;
  size_t maxMessageBytes = kDefaultMaxMessageBytes;  // topology.multilang.max.message.bytes
  // squall.multilang.read.coalesce.micros (a ShellBolt's reader)
  int64_t readCoalesceNs = 0;
  // squall.multilang.reply.poll.micros (a ShellBolt's reader, a busy ShellSpout's executor)
  int64_t replyPollNs = 0;
  // squall.multilang.reader.follows.child (the same two)
  bool readerFollowsChild = false;

  // "ShellBolt 'split' task 4"
  std::string label() const;
  std::string commandLine() const;
};

int64_t monotonicNs();

// A `log` command: Storm's DefaultShellLogHandler line ("ShellLog pid:N, name:C msg"), at the
// command's level, when the component's level (logs::LogLevels) lets it through.
void logFromChild(const ShellSetup& s, int64_t pid, int64_t level, const std::string& msg);

// What a reader does while the child is silent: `call` runs once the child has been silent
// for `firstAfterNs`, then again each time the wait it returns (ns) has passed; a negative
// return ends the wait (readMessage returns false, as when interrupted).
struct SilenceHook {
  int64_t firstAfterNs = 0;
  std::function<int64_t()> call;
};

class ShellChild {
 public:
  // Launches the child, sends the handshake and reads the {"pid": N} reply, all within the
  // subprocess timeout. ShellError with the full report on failure. `interruptFd` becoming
  // readable aborts the wait (-1: none).
  static std::unique_ptr<ShellChild> start(const ShellSetup& setup, int interruptFd);
  ~ShellChild();

  const ShellSetup& setup() const { return setup_; }
  int osPid() const { return process_->pid(); }
  int64_t reportedPid() const { return reportedPid_; }
  // The process that speaks the protocol: the pid the child reported in the handshake (a
  // wrapper such as `sh -c "python bolt.py"` waits elsewhere), else the one started.
  int speakerPid() const {
    return reportedPid_ > 0 && reportedPid_ <= INT32_MAX ? static_cast<int>(reportedPid_) : osPid();
  }
  int stdinFd() const { return process_->stdinFd(); }
  int stdoutFd() const { return process_->stdoutFd(); }
  MessageReader& reader() { return *reader_; }
  // The next message of what was read, counted for /metrics; false when none is complete.
  bool nextMessage(ShellMsg& out) {
    if (!reader_->next(out)) return false;
    if (slot_) bump(slot_->messages);
    return true;
  }

  // Reads what stdout has into the decoder: bytes read, 0 at EOF, -1 when nothing is there.
  long readSome();
  // Writes all of `data`, waiting for the pipe at most until `deadlineNs`; ProtocolError
  // when the child stops reading or has gone.
  void writeAll(std::string_view data, int64_t deadlineNs, int interruptFd);
  // The next message, waiting at most `timeoutNs`; false when interrupted (by `interruptFd`
  // or by `silence`). ProtocolError on malformed output, EOF or timeout. Until `pollUntilNs`
  // it polls the pipe, yielding the core each turn, instead of sleeping (reply_poll.h).
  bool readMessage(ShellMsg& out, int64_t timeoutNs, int interruptFd,
                   const SilenceHook* silence = nullptr, int64_t pollUntilNs = 0);

  // Stops the child (idempotent) and returns the report for `problem`.
  std::string failureReport(const std::string& problem, const std::string& offending);
  // Stops the child; "exited with status N" or similar.
  std::string terminate();

 private:
  explicit ShellChild(const ShellSetup& setup);
  // One writer (the reader thread): a load and a store, not a locked read-modify-write.
  static void bump(std::atomic<uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void handshake(int interruptFd);

  const ShellSetup& setup_;
  // The task's slot in the topology's ChildProcesses (null without a context): the pid while
  // the child runs, and its starts and failures, for /metrics.
  ChildProcesses::Slot* slot_ = nullptr;
  std::unique_ptr<ShellProcess> process_;
  std::unique_ptr<MessageReader> reader_;
  int64_t reportedPid_ = 0;
  std::string firstBytes_;  // the start of the child's output, to name its wire format
  std::string exit_;
};

}  // namespace squall::internal
