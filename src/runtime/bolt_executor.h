#pragma once
// BoltExecutor: runs the tasks of one bolt (or of the acker). Each loop: if tuples wait in
// the overflow, publish them first and take no input until they are out (backpressure);
// otherwise execute a chunk of the receive queue, publish the outputs, and idle when there
// was nothing to do.

#include <memory>
#include <mutex>
#include <vector>

#include "runtime/executor.h"
#include "squall/components.h"

namespace squall::internal {

class BoltExecutor : public Executor {
 public:
  BoltExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t executorCount);
  ~BoltExecutor() override;
  std::vector<std::pair<int, const TaskStats*>> taskStats() const override;

  struct Task;

 private:
  void run() override;
  bool prepareTask(Task& t);
  void process(detail::TupleData* d);
  // A metrics tick: each task's metrics of that bucket (task_metrics.h).
  void publishMetrics(int bucketSecs);
  void deliver(Task& t, const Tuple& tuple);
  Task* taskFor(int taskId);

  std::vector<std::unique_ptr<Task>> tasks_;
  // Serialises collector calls: Storm allows a bolt to emit from its own threads.
  std::mutex collectorMutex_;
  uint32_t sampleCounter_ = 0;
  uint32_t sampleEvery_ = 20;
  friend class BoltCollectorImpl;
};

}  // namespace squall::internal
