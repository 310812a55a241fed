#include "runtime/executor.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

#include "logs/log_tag.h"

namespace squall::internal {

Executor::Executor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t executorCount)
    : rt_(rt),
      plan_(std::move(plan)),
      index_(index),
      queue_(rt.receiveBufferSize,
             // Only ackers and spouts receive acking records.
             rt.plan->ackingEnabled() &&
                     (plan_.componentId == kAckerComponent ||
                      rt.plan->component(plan_.componentId).kind == ComponentKind::Spout)
                 ? rt.receiveBufferSize
                 : 2),
      pool_(rt.pools.at(index).get()),
      batches_(executorCount),
      ackBatches_(executorCount),
      batchSize_(static_cast<size_t>(std::max(1, rt.producerBatchSize))),
      publishAt_(batchSize_),
      // Spinning only pays when every executor has a core of its own; otherwise it takes
      // the core from the thread we are waiting for, so go straight to yielding.
      spinLimit_(executorCount <= std::thread::hardware_concurrency() ? 256 : 0),
      // At most this many yields after the spins. Oversubscribed, every yield is a system
      // call that mostly hands the core to a thread that has nothing to do either (or to a
      // multilang child that needs it): sleep sooner.
      yields_(spinLimit_ ? 256 : 32) {}

Executor::~Executor() {
  join();
  for (auto& b : batches_) {
    for (auto* d : b.items) detail::release(d);
  }
  for (auto& [dest, d] : overflow_) detail::release(d);
}

thread_local const Executor* Executor::runningExecutor = nullptr;

void Executor::start() {
  thread_ = std::thread([this] {
    runningExecutor = this;
    // Named for top, perf and gdb: the component and the first task (15 chars at most).
    pthread_setname_np(
        pthread_self(),
        fmt::format("{}:{}", plan_.componentId, plan_.startTask).substr(0, 15).c_str());
    // The component and tasks on each of its lines in worker.log (`squall logs T COMPONENT`).
    logs::setThreadTag(logs::componentTag(plan_.componentId, plan_.startTask, plan_.endTask));
    TuplePool::enableThreadCache();
    run();
    TuplePool::flushThreadCache();
  });
}

void Executor::requestStop() {
  stop_.store(true);
  queue_.wake();
}

void Executor::join() {
  if (thread_.joinable()) thread_.join();
}

uint64_t Executor::randomEdgeId() {
  if (rt_.edgeIdRange) return 1 + rng_.next() % rt_.edgeIdRange;
  uint64_t id;
  do {
    id = rng_.next();
  } while (id == 0);
  return id;
}

uint64_t Executor::randomRootId() {
  uint64_t id;
  do {
    id = rng_.next();
  } while (id == 0);
  return id;
}

namespace {

// What one non-executor thread holds inside its EmitBatchScope, in emit order.
struct ForeignHeld {
  int depth = 0;
  Executor* source = nullptr;  // the executor whose collector the items came through
  size_t scopeLimit = 0;       // the outermost scope's maxHeld
  std::vector<std::pair<Executor*, detail::TupleData*>> tuples;
  std::vector<std::pair<Executor*, AckRecord>> acks;
};
thread_local ForeignHeld foreignHeld;

}  // namespace

thread_local DrainEnd drainEnd;

void DrainEnd::runCalls() {
  // Calls run outside the drain: one that asks for another is told to do its work now.
  for (size_t i = 0; i < calls.size(); ++i) calls[i].first(calls[i].second);
  calls.clear();
}

template <class Item>
void Executor::holdForeign(std::vector<std::pair<Executor*, Item>>& held, Executor* dest,
                           const Item& item) {
  if (foreignHeld.source != this) {
    flushForeignHeld();
    foreignHeld.source = this;
  }
  held.emplace_back(dest, item);
  if (foreignHeld.tuples.size() + foreignHeld.acks.size() >=
      std::max(batchSize_, foreignHeld.scopeLimit)) {
    flushForeignHeld();
  }
}

void Executor::transferFromOtherThread(Executor* dest, detail::TupleData* d) {
  if (foreignHeld.depth) {
    holdForeign(foreignHeld.tuples, dest, d);
  } else {
    blockingPush(dest, d);
  }
}

void Executor::publish(OutBatch& b) {
  if (b.items.empty()) return;
  size_t pushed = 0;
  // Once anything waits in the overflow, everything queues behind it to keep order.
  if (overflow_.empty()) pushed = b.dest->queue_.tryPushBatch(b.items.data(), b.items.size());
  for (size_t i = pushed; i < b.items.size(); ++i) overflow_.emplace_back(b.dest, b.items[i]);
  b.items.clear();
}

void Executor::sendAckFromOtherThread(Executor* dest, const AckRecord& r) {
  if (foreignHeld.depth) {
    holdForeign(foreignHeld.acks, dest, r);
  } else {
    blockingPushAck(dest, r);
  }
}

void Executor::publishAcks(AckBatch& b) {
  if (b.items.empty()) return;
  size_t pushed = 0;
  if (ackOverflow_.empty()) pushed = b.dest->queue_.tryPushAcks(b.items.data(), b.items.size());
  for (size_t i = pushed; i < b.items.size(); ++i) ackOverflow_.emplace_back(b.dest, b.items[i]);
  b.items.clear();
}

thread_local InlineDrains inlineDrains;

void InlineDrainScope::run() {
  InlineDrains& d = inlineDrains;
  InlineConsumer* pending[std::size(d.pending)];
  size_t n = d.count;
  std::copy(d.pending, d.pending + n, pending);
  d.count = 0;
  for (size_t i = 0; i < n; ++i) pending[i]->consumeInline();
}

void Executor::flushOutputs() {
  // The partial batches of a loop: what goes to a worker's sleeping stand-in is sent from this
  // thread once all are published (one send(2) for a tuple and its acker init), not handed to
  // the stand-in's thread (see ReceiveQueue). Full batches published mid-loop wake it as usual.
  InlineDrainScope scope;
  for (size_t i : dirty_) publish(batches_[i]);
  dirty_.clear();
  for (size_t i : dirtyAcks_) publishAcks(ackBatches_[i]);
  dirtyAcks_.clear();
}

bool Executor::drainOverflow() {
  while (!overflow_.empty()) {
    auto [dest, d] = overflow_.front();
    if (!dest->queue_.tryPush(d)) break;
    overflow_.pop_front();
  }
  while (!ackOverflow_.empty()) {
    auto& [dest, r] = ackOverflow_.front();
    if (dest->queue_.tryPushAcks(&r, 1) != 1) break;
    ackOverflow_.pop_front();
  }
  return !hasOverflow();
}

namespace {

// Pushes `items` in order, one batch per run of the same destination (one publication, at
// most one wake-up each); what does not fit goes through `blockingPush` one by one.
template <class Item, class TryPush, class BlockingPush>
void pushInRuns(std::vector<std::pair<Executor*, Item>>& items, TryPush tryPush,
                BlockingPush blockingPush) {
  std::vector<Item> run;
  for (size_t i = 0; i < items.size();) {
    Executor* dest = items[i].first;
    run.clear();
    for (; i < items.size() && items[i].first == dest; ++i) run.push_back(items[i].second);
    for (size_t k = tryPush(dest, run); k < run.size(); ++k) blockingPush(dest, run[k]);
  }
  items.clear();
}

}  // namespace

void Executor::flushForeignHeld() {
  Executor* source = foreignHeld.source;
  if (!source) return;
  // Tuples first, then the acking records: a bolt's ack may then reach the acker after the
  // acks of the children it anchored, which the XOR sum does not mind.
  pushInRuns(
      foreignHeld.tuples,
      [](Executor* dest, std::vector<detail::TupleData*>& run) {
        return dest->queue_.tryPushBatch(run.data(), run.size());
      },
      [source](Executor* dest, detail::TupleData* d) { source->blockingPush(dest, d); });
  pushInRuns(
      foreignHeld.acks,
      [](Executor* dest, std::vector<AckRecord>& run) {
        return dest->queue_.tryPushAcks(run.data(), run.size());
      },
      [source](Executor* dest, const AckRecord& r) { source->blockingPushAck(dest, r); });
  foreignHeld.source = nullptr;
}

void Executor::blockingPushAck(Executor* dest, const AckRecord& r) {
  for (uint32_t spins = 0; dest->queue_.tryPushAcks(&r, 1) != 1; ++spins) {
    if (rt_.stopping.load(std::memory_order_relaxed)) return;
    if (spins < 100) {
      sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

void Executor::blockingPush(Executor* dest, detail::TupleData* d) {
  // A thread other than the executor's (a bolt's helper thread): blocking is its
  // backpressure. Give up only when the topology is being torn down.
  for (uint32_t spins = 0; !dest->queue_.tryPush(d); ++spins) {
    if (rt_.stopping.load(std::memory_order_relaxed)) {
      detail::release(d);
      return;
    }
    if (spins < 100) {
      sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

void Executor::idle(int64_t maxSleepNs) {
  ++idleCount_;
  if (idleCount_ < spinLimit_) {
    __builtin_ia32_pause();
  } else if (sleeps_ == 0 && idleCount_ < spinLimit_ + yields_.yields() &&
             yieldSpell_.goesOn(nowNs())) {
    sched_yield();
  } else {
    if (sleeps_++ == 0) {
      firstSleepNs_ = nowNs();
      yields_.ranOut();
    }
    TuplePool::flushThreadCache();
    queue_.sleep(maxSleepNs);
  }
}

void Executor::endIdleSpell() {
  if (sleeps_) {
    int64_t slept = nowNs() - firstSleepNs_;
    yields_.wokeAfter(slept);
    pushWait_.spellEnded(slept);
  } else if (idleCount_ > spinLimit_) {
    yields_.paid();
  }
  idleCount_ = 0;
  sleeps_ = 0;
  yieldSpell_.end();
}

int64_t Executor::idleSleepNs(int64_t baseNs, int64_t capNs) const {
  constexpr uint32_t kBaseSleeps = 100;
  if (sleeps_ < kBaseSleeps || capNs <= baseNs) return baseNs;
  uint32_t doublings = std::min<uint32_t>(sleeps_ - kBaseSleeps + 1, 20);
  return std::min(capNs, std::max<int64_t>(baseNs, 1'000'000) << doublings);
}

int64_t Executor::pushWaitNs(int64_t baseNs) const {
  return pushWait_.next(baseNs, kIdleMaxSleepNs, sleeps_ ? nowNs() - firstSleepNs_ : 0);
}

void Executor::reportError(const std::string& component, int task, const std::string& message) {
  rt_.errors.add(component, task, message);
}

void Executor::reportCrash(const std::string& component, int task, const char* where,
                           const std::string& what) {
  spdlog::error("topology '{}': component '{}' task {} threw in {}: {}; restarting the task",
                rt_.plan->name, component, task, where, what);
  reportError(component, task, fmt::format("{} threw: {}", where, what));
  int64_t now = nowNs();
  consecutiveCrashes_ = (now - lastCrashNs_ < 30'000'000'000LL) ? consecutiveCrashes_ + 1 : 1;
  lastCrashNs_ = now;
  // 0.1 s doubling to 5 s, so a component that always throws does not spin the CPU.
  int64_t backoffNs =
      std::min<int64_t>(5'000'000'000LL, 100'000'000LL << std::min(consecutiveCrashes_ - 1, 6));
  int64_t until = now + backoffNs;
  while (!stopRequested() && nowNs() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace squall::internal

namespace squall::detail {

EmitBatchScope::EmitBatchScope(size_t maxHeld) {
  if (internal::foreignHeld.depth++ == 0) internal::foreignHeld.scopeLimit = maxHeld;
}

EmitBatchScope::~EmitBatchScope() {
  if (--internal::foreignHeld.depth == 0) internal::Executor::flushForeignHeld();
}

bool callAtDrainEnd(DrainEndFn fn, void* ctx) {
  auto& d = internal::drainEnd;
  if (!d.draining) return false;
  d.calls.emplace_back(fn, ctx);
  return true;
}

void cancelDrainEnd(void* ctx) {
  auto& calls = internal::drainEnd.calls;
  std::erase_if(calls, [ctx](const auto& c) { return c.second == ctx; });
}

}  // namespace squall::detail
