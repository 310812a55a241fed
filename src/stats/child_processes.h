#pragma once
// ChildProcesses: the multilang children (ShellBolt, ShellSpout) of one topology's tasks in
// this process, one slot per (component, task): the running child's pid, how many children
// were started for the task and how many failed, and how many reads of its output brought
// how many messages. The shell components write a slot's pid and counts when a child starts,
// fails or stops, and its reads and messages as the task's reader thread reads (one writer,
// no locked add); /metrics reads the slots at a scrape and each pid's CPU and memory from
// /proc then, so nothing is sampled in between.
// Threads: slot() takes a mutex (a child start); a slot's fields are relaxed atomics that any
// thread reads. Slots live as long as the topology (held by its TopologyPlan), so a task that
// is rebuilt after a crash finds its counts again. Bounded by the topology's shell tasks.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace squall::internal {

class ChildProcesses {
 public:
  struct Slot {
    std::atomic<pid_t> pid{0};  // 0: no child running
    std::atomic<uint64_t> starts{0};
    std::atomic<uint64_t> failures{0};  // exited, broke the protocol, timed out, no handshake
    // Written by the task's reader thread only (a load and a store, no locked add).
    std::atomic<uint64_t> reads{0};     // read(2)s of the child's stdout that brought bytes
    std::atomic<uint64_t> messages{0};  // messages decoded from them
  };
  struct Sample {
    std::string component;
    int task = 0;
    pid_t pid = 0;
    uint64_t starts = 0;
    uint64_t failures = 0;
    uint64_t reads = 0;
    uint64_t messages = 0;
  };

  // The task's slot, made on first use; its address stays valid for the topology's life.
  Slot& slot(const std::string& component, int task) {
    std::lock_guard lock(mu_);
    auto& s = slots_[{component, task}];
    if (!s) s = std::make_unique<Slot>();
    return *s;
  }

  std::vector<Sample> snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<Sample> out;
    out.reserve(slots_.size());
    for (const auto& [key, s] : slots_) {
      out.push_back(
          {key.first, key.second, s->pid.load(std::memory_order_relaxed),
           s->starts.load(std::memory_order_relaxed), s->failures.load(std::memory_order_relaxed),
           s->reads.load(std::memory_order_relaxed), s->messages.load(std::memory_order_relaxed)});
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::unique_ptr<Slot>> slots_;
};

}  // namespace squall::internal
