#pragma once
// SpoutExecutor: runs the tasks of one spout. Each loop: take acks, fails and ticks from the
// receive queue; when active, not at max pending and not backpressured, call nextTuple() on
// every task, for up to 64 rounds or one flush interval; publish the outputs; idle when
// nothing happened. All calls on the spout happen on this thread (Storm's contract).

#include <memory>
#include <vector>

#include "acker/rotating_map.h"
#include "runtime/executor.h"
#include "squall/components.h"

namespace squall::internal {

class SpoutExecutor : public Executor {
 public:
  SpoutExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t executorCount);
  ~SpoutExecutor() override;
  std::vector<std::pair<int, const TaskStats*>> taskStats() const override;

  struct PendingTree {
    Value messageId;
    SpoutStreamStats* stats = nullptr;
    int64_t emitNs = 0;  // 0 when this tree's latency is not sampled
  };
  struct Task;

 private:
  void run() override;
  bool setUp();
  bool openTask(Task& t);
  void handleInput(detail::TupleData* d);
  void handleAck(const AckRecord& r);
  Task* taskFor(int taskId);  // null when the task is not this executor's
  void rotatePending(Task& t);
  template <class F>
  bool guarded(Task& t, const char* where, F&& f);
  void restart(Task& t);

  std::vector<std::unique_ptr<Task>> tasks_;
  bool wasActive_ = false;
  int64_t maxPending_ = 0;  // per executor; 0 = unlimited
  uint64_t emits_ = 0;
  uint32_t sampleEvery_ = 20;  // topology.stats.sample.rate as "1 in N"
  friend class SpoutCollectorImpl;
};

}  // namespace squall::internal
