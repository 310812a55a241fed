#pragma once
// Executor: one thread running a contiguous range of tasks of one component (Storm's
// executor). Owns its receive queue and its output side: per-destination batches and an
// ordered overflow list for tuples a full queue refused (Storm's pendingEmits). While the
// overflow is non-empty the executor takes no new input (bolts) or calls no nextTuple
// (spouts): that is how backpressure reaches the spouts. Started by the running topology with
// start(); stop() asks the loop to end and joins the thread.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/fast_random.h"
#include "runtime/push_wait_timeout.h"
#include "runtime/receive_queue.h"
#include "runtime/task_routing.h"
#include "runtime/topology_runtime.h"
#include "runtime/tuple_pool.h"
#include "runtime/yield_budget.h"
#include "squall/collectors.h"
#include "squall/detail/drain_end.h"
#include "squall/detail/emit_batch_scope.h"
#include "squall/errors.h"
#include "squall/topology_context.h"
#include "stats/task_stats.h"

namespace squall::internal {

// A regular (grouped) emit, as opposed to emitDirect to a task.
inline constexpr int kNoDirectTask = -2147483647 - 1;

inline int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// This thread's drain-end calls (squall/detail/drain_end.h): a bolt executor sets `draining`
// while it delivers a batch of input and calls finish() after it.
struct DrainEnd {
  bool draining = false;
  std::vector<std::pair<detail::DrainEndFn, void*>> calls;
  void finish() {
    draining = false;
    if (!calls.empty()) runCalls();
  }
  void runCalls();
};
extern thread_local DrainEnd drainEnd;

class Executor {
 public:
  Executor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t executorCount);
  virtual ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void start();
  void requestStop();
  void join();

  ReceiveQueue& queue() { return queue_; }
  const ExecutorPlan& plan() const { return plan_; }
  size_t index() const { return index_; }
  // Stats of every task of this executor; stable once started.
  virtual std::vector<std::pair<int, const TaskStats*>> taskStats() const = 0;
  // A worker's stand-in for another worker's executor: whether that worker reports the
  // executor under backpressure (so the stand-in holds what is queued for it). Others: false.
  virtual bool peerBackPressure() const { return false; }
  // Set once the thread has prepared its tasks (or failed to).
  bool ready() const { return ready_.load(std::memory_order_acquire); }

  // Routes one emit of `sourceTask` on `route` and sends a tuple to each chosen task.
  // `makeId(TupleData&)` fills in each copy's message id. Appends the tasks to `out`.
  template <class MakeId>
  void emit(int sourceTask, StreamRoute& route, Values&& values, int directTask, MakeId&& makeId,
            TaskIds& out);

  // Executor thread: batched, never blocks. Any other thread: blocks while the queue is full.
  void transfer(detail::TupleData* d, int destTask) {
    d->destTask = destTask;
    Executor* dest = rt_.executorOfTask[destTask];
    if (!onExecutorThread()) {
      transferFromOtherThread(dest, d);
      return;
    }
    if (OutBatch* full = append(batches_, dirty_, dest, d)) publish(*full);
  }
  // The same for an acking record, to the executor of `r.destTask`.
  void sendAck(const AckRecord& r) {
    Executor* dest = rt_.executorOfTask[r.destTask];
    if (!onExecutorThread()) {
      sendAckFromOtherThread(dest, r);
      return;
    }
    if (AckBatch* full = append(ackBatches_, dirtyAcks_, dest, r)) publishAcks(*full);
  }
  // The acker task that owns a tree (Storm: fields grouping on the root id).
  int ackerTaskFor(uint64_t root) const {
    const auto& ackers = rt_.ackerTasks;
    return ackers[((root >> 32) ^ root) % ackers.size()];
  }
  void flushOutputs();
  uint64_t randomEdgeId();
  // Root ids are always full-width: only edge ids shrink under the collision-testing setting.
  uint64_t randomRootId();

 protected:
  virtual void run() = 0;
  bool onExecutorThread() const { return runningExecutor == this; }
  bool stopRequested() const { return stop_.load(std::memory_order_relaxed); }
  // Publishes the overflow in order; true once it is empty.
  bool drainOverflow();
  bool hasOverflow() const { return !overflow_.empty() || !ackOverflow_.empty(); }
  // Time-bounded batching, on the executor thread, without reading the clock: the
  // FlushClock's counter says whether topology.batch.flush.interval.millis has passed.
  // Call startUserCalls() before a run of calls into user code (a burst of nextTuple rounds,
  // a chunk of input) and afterUserCall() after each. Once the interval has passed since the
  // last check, afterUserCall() publishes the partial batches and returns true: the caller
  // ends its run, so acks, stops and deactivation are looked at between slow calls. While a
  // single call outlasts the interval (a spout that sleeps or polls in nextTuple), each emit
  // is published at once, so a tuple does not wait for whatever its emitter does next; the
  // first quick call brings batching back.
  void startUserCalls() { epochSeen_ = rt_.flush.ticks.load(std::memory_order_relaxed); }
  bool afterUserCall() {
    uint64_t now = rt_.flush.ticks.load(std::memory_order_relaxed);
    if (now == epochSeen_) [[likely]] {
      publishAt_ = batchSize_;
      return false;
    }
    publishAt_ = now - epochSeen_ >= 2 ? 1 : batchSize_;
    epochSeen_ = now;
    flushOutputs();
    return true;
  }
  // Progressive idling: spin, then yield (as often as yields_ says they pay), then sleep on
  // the queue for at most `maxSleepNs`.
  void idle(int64_t maxSleepNs);
  // The sleep for the next idle(): `baseNs` for the first ~0.1 s of sleeping, then doubling
  // up to `capNs`. Whatever is pushed to the queue (input, acks, ticks, a stop) still wakes
  // the executor at once; the cap only bounds how late it looks at anything else (a spout's
  // nextTuple, a backpressured output).
  int64_t idleSleepNs(int64_t baseNs, int64_t capNs) const;
  // The sleep for the next idle() of an executor that only a push can give work (an idle bolt
  // or acker, a spout at max pending): from `baseNs`, following its idle spells
  // (push_wait_timeout.h), up to kIdleMaxSleepNs.
  int64_t pushWaitNs(int64_t baseNs) const;
  // Longest sleep of an executor that only a push can give work.
  static constexpr int64_t kIdleMaxSleepNs = 100'000'000;
  void resetIdle() {
    if (idleCount_) endIdleSpell();
  }
  void endIdleSpell();
  // Reports an exception caught from user code, and waits a growing backoff before the
  // caller rebuilds the component (Storm restarts the worker; we restart the task).
  void reportCrash(const std::string& component, int task, const char* where,
                   const std::string& what);
  void reportError(const std::string& component, int task, const std::string& message);

  TopologyRuntime& rt_;
  ExecutorPlan plan_;
  size_t index_;
  ReceiveQueue queue_;
  std::atomic<bool> ready_{false};
  FastRandom rng_;
  TuplePool* pool_;

 private:
  struct OutBatch {
    Executor* dest = nullptr;
    std::vector<detail::TupleData*> items;
  };
  struct AckBatch {
    Executor* dest = nullptr;
    std::vector<AckRecord> items;
  };
  // Adds `item` to this thread's batch for `dest`; returns the batch once it is full.
  template <class Batch, class Item>
  Batch* append(std::vector<Batch>& batches, std::vector<size_t>& dirty, Executor* dest,
                const Item& item) {
    Batch& b = batches[dest->index_];
    if (b.items.empty()) {
      b.dest = dest;
      dirty.push_back(dest->index_);
      rt_.flush.markActive();  // a partial batch needs the flush clock running
    }
    b.items.push_back(item);
    return b.items.size() >= publishAt_ ? &b : nullptr;
  }
  void publish(OutBatch& b);
  void transferFromOtherThread(Executor* dest, detail::TupleData* d);
  void sendAckFromOtherThread(Executor* dest, const AckRecord& r);
  void publishAcks(AckBatch& b);
  void blockingPush(Executor* dest, detail::TupleData* d);
  void blockingPushAck(Executor* dest, const AckRecord& r);
  // Threads other than the executor's, inside an EmitBatchScope: hold, then push in order.
  template <class Item>
  void holdForeign(std::vector<std::pair<Executor*, Item>>& held, Executor* dest, const Item& item);
  friend class detail::EmitBatchScope;
  static void flushForeignHeld();

  // The executor whose loop runs on this thread (null on other threads): cheaper to compare
  // on every emit than thread ids.
  static thread_local const Executor* runningExecutor;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<OutBatch> batches_;  // index = destination executor index
  std::vector<size_t> dirty_;
  std::deque<std::pair<Executor*, detail::TupleData*>> overflow_;
  std::vector<AckBatch> ackBatches_;  // index = destination executor index
  std::vector<size_t> dirtyAcks_;
  std::deque<std::pair<Executor*, AckRecord>> ackOverflow_;
  size_t batchSize_;
  size_t publishAt_;        // batchSize_, or 1 while the user's calls are slow
  uint64_t epochSeen_ = 0;  // rt_.flush.ticks when last checked
  uint32_t spinLimit_;
  uint32_t idleCount_ = 0;  // idle() calls since the last work
  uint32_t sleeps_ = 0;     // of them, sleeps on the queue
  int64_t firstSleepNs_ = 0;
  YieldBudget yields_;
  YieldSpell yieldSpell_;  // the current idle spell's yields, bounded in time
  PushWaitTimeout pushWait_;
  int consecutiveCrashes_ = 0;
  int64_t lastCrashNs_ = 0;
};

template <class MakeId>
void Executor::emit(int sourceTask, StreamRoute& route, Values&& values, int directTask,
                    MakeId&& makeId, TaskIds& out) {
  size_t first = out.size();
  if (values.size() != route.meta->fields.size()) {
    throw IllegalArgumentException(fmt::format(
        "{} emitted {} values on stream '{}', which declares {} fields {}", route.meta->componentId,
        values.size(), route.id, route.meta->fields.size(), route.meta->fields.toString()));
  }
  if (directTask != kNoDirectTask) {
    if (!route.direct) {
      throw IllegalArgumentException(
          fmt::format("{}: emitDirect on stream '{}', which is not declared direct",
                      route.meta->componentId, route.id));
    }
    if (directTask < 0 || directTask >= static_cast<int>(route.consumerKind.size()) ||
        route.consumerKind[directTask] != 1) {
      throw IllegalArgumentException(
          fmt::format("{}: emitDirect to task {}, which does not subscribe to stream '{}'",
                      route.meta->componentId, directTask, route.id));
    }
    out.push_back(directTask);
  } else {
    if (route.direct) {
      throw IllegalArgumentException(
          fmt::format("{}: cannot do a regular emit to direct stream '{}'; use emitDirect",
                      route.meta->componentId, route.id));
    }
    if (route.fixedTarget >= 0) {
      out.push_back(route.fixedTarget);
    } else {
      for (auto& c : route.consumers) c.grouper->choose(sourceTask, values, out);
    }
  }
  size_t n = out.size() - first;
  route.stats->emitted.add();
  route.stats->transferred.add(n);
  for (size_t i = 0; i < n; ++i) {
    detail::TupleData* d = pool_->acquire();
    d->sourceTask = sourceTask;
    d->meta = route.meta;
    // Element-wise, so a recycled body keeps its buffer.
    if (i + 1 == n) {
      d->values.assign(std::make_move_iterator(values.begin()),
                       std::make_move_iterator(values.end()));
    } else {
      d->values.assign(values.begin(), values.end());
    }
    makeId(*d);
    transfer(d, out[first + i]);
  }
}

}  // namespace squall::internal
