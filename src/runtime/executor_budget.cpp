#include "runtime/executor_budget.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <limits>
#include <string>

#include "squall/errors.h"

namespace squall::internal {

namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

// The first number in a file ("max" and unreadable files give kUnlimited).
uint64_t readNumber(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word.empty() || word[0] < '0' || word[0] > '9') return kUnlimited;
  return std::stoull(word);
}

uint64_t memAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return kUnlimited;
}

std::string gib(uint64_t bytes) {
  if (bytes >= (1ULL << 30))
    return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ULL << 30));
  return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1ULL << 20));
}

}  // namespace

MachineCapacity MachineCapacity::probe() {
  MachineCapacity c;
  c.availableBytes = memAvailable();
  uint64_t limit = readNumber("/sys/fs/cgroup/memory.max");
  if (limit != kUnlimited) {
    uint64_t used = readNumber("/sys/fs/cgroup/memory.current");
    uint64_t left = used == kUnlimited || used > limit ? 0 : limit - used;
    c.availableBytes = std::min(c.availableBytes, left);
  }
  c.maxThreads = readNumber("/proc/sys/kernel/threads-max");
  rlimit nproc{};
  if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY) {
    c.maxThreads = std::min<uint64_t>(c.maxThreads, nproc.rlim_cur);
  }
  c.maxThreads = std::min(c.maxThreads, readNumber("/sys/fs/cgroup/pids.max"));
  return c;
}

ExecutorDemand executorDemand(const TopologyPlan& plan) {
  ExecutorDemand d;
  for (const auto& [id, cp] : plan.components) d.executors += cp.executors.size();
  uint64_t ring = std::bit_ceil(static_cast<uint64_t>(std::max<int64_t>(
                      2, plan.conf.getInt(Config::TOPOLOGY_EXECUTOR_RECEIVE_BUFFER_SIZE)))) *
                  16;
  // Saturating: a plan this large is refused anyway, and the product must not wrap.
  uint64_t perExecutor = kIdleExecutorBytes + ring + 64 * d.executors;
  d.bytes = d.executors > kUnlimited / perExecutor ? kUnlimited : d.executors * perExecutor;
  d.threads = d.executors + 2;  // and the tick timer and the caller's own
  return d;
}

void checkExecutorBudget(const std::string& topologyName, const ExecutorDemand& demand,
                         const MachineCapacity& capacity) {
  bool memory = demand.bytes > capacity.availableBytes;
  bool threads = demand.threads > capacity.maxThreads;
  if (!memory && !threads) return;
  throw InvalidTopologyException(fmt::format(
      "topology '{}' needs {} executors: about {} of memory and {} threads, but this machine "
      "has {} available{}; lower the parallelism hints, or cap every component's tasks with "
      "topology.max.task.parallelism",
      topologyName, demand.executors, gib(demand.bytes), demand.threads,
      gib(capacity.availableBytes),
      capacity.maxThreads == kUnlimited
          ? ""
          : fmt::format(" and allows {} threads", capacity.maxThreads)));
}

}  // namespace squall::internal
