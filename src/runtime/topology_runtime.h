#pragma once
// TopologyRuntime: the state the executors of one running topology share: the plan, where
// each task's queue is, whether the topology is active, and its error log. Built by the
// running topology before any executor starts; the routing tables are read-only after.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/error_log.h"
#include "runtime/flush_clock.h"
#include "runtime/receive_queue.h"
#include "runtime/tuple_pool.h"
#include "squall/topology_builder.h"
#include "topology/topology_plan.h"

namespace squall::internal {

class Executor;

struct TopologyRuntime {
  std::shared_ptr<const TopologyPlan> plan;
  std::shared_ptr<ComponentRegistry> localRegistry;  // the builder's, for custom groupings
  std::vector<Executor*> executorOfTask;             // index = task id
  std::vector<int> ackerTasks;                       // ascending
  // index = task id: run by another process (see Placement); empty when all run here.
  std::vector<bool> remoteTask;
  std::vector<std::unique_ptr<TuplePool>> pools;  // index = executor index; outlive them
  std::atomic<bool> active{false};
  std::atomic<bool> stopping{false};
  ErrorLog errors;
  // Debug setting: edge ids drawn from [1, range] to make XOR collisions likely in tests.
  uint64_t edgeIdRange = 0;
  int producerBatchSize = 1;
  size_t receiveBufferSize = 1024;  // topology.executor.receive.buffer.size
  // Advanced every topology.batch.flush.interval.millis by the FlushClock; on a line of its
  // own (alignas also pads the struct), since every executor reads it after each user call.
  FlushEpoch flush;
};

}  // namespace squall::internal
