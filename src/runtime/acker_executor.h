#pragma once
// AckerExecutor: runs acker tasks (the `__acker` system component). Each loop: rotate the
// trees on a tick, apply the acking records from the inbox's record lane, and send each
// completion or failure straight to the spout task's record lane.

#include <memory>
#include <vector>

#include "acker/acker_core.h"
#include "runtime/executor.h"

namespace squall::internal {

class AckerExecutor : public Executor {
 public:
  AckerExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t executorCount);
  ~AckerExecutor() override;
  std::vector<std::pair<int, const TaskStats*>> taskStats() const override;

 private:
  void run() override;

  struct Task {
    int id;
    AckerCore core;
    TaskStats stats;
  };
  std::vector<std::unique_ptr<Task>> tasks_;
};

}  // namespace squall::internal
