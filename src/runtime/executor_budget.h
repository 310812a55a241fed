#pragma once
// Whether this machine can hold a topology's executors, checked before any of them starts: a
// parallelism hint of 100000 must be refused with a sentence, not end in the kernel's OOM
// killer with nothing logged.

#include <cstdint>
#include <string>

#include "topology/topology_plan.h"

namespace squall::internal {

// What the machine offers: memory it can still hand out and threads this process may start.
struct MachineCapacity {
  uint64_t availableBytes = 0;  // MemAvailable, lowered by a cgroup memory.max when one is set
  uint64_t maxThreads = 0;      // kernel.threads-max, RLIMIT_NPROC and cgroup pids.max
  static MachineCapacity probe();
};

// What a topology would take: one thread per executor with its receive queue full, plus what
// the caller knows about (the multilang children of shell components and their threads).
struct ExecutorDemand {
  uint64_t executors = 0;
  uint64_t threads = 0;
  uint64_t bytes = 0;
};

// Resident memory of one idle executor (thread stack, collector, queue and pool bookkeeping):
// bench/idle_executor_memory measured about 46 KiB in a release build beside the batch
// table, rounded up here. The receive ring adds 16 bytes per slot as it fills, and each
// executor keeps a 64-byte batch entry per executor of the topology (so the total grows with
// the square of the executor count).
constexpr uint64_t kIdleExecutorBytes = 64 << 10;

ExecutorDemand executorDemand(const TopologyPlan& plan);

// Throws InvalidTopologyException saying what the topology would need and what the machine
// has, when `demand` exceeds `capacity`.
void checkExecutorBudget(const std::string& topologyName, const ExecutorDemand& demand,
                         const MachineCapacity& capacity);

}  // namespace squall::internal
