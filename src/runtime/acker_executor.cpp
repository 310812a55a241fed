#include "runtime/acker_executor.h"

#include <time.h>

namespace squall::internal {

namespace {
// Millisecond resolution is all the replies' time deltas need, and this clock is cheap.
int64_t coarseNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}
}  // namespace

AckerExecutor::AckerExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t count)
    : Executor(rt, std::move(plan), index, count) {
  for (int id = plan_.startTask; id <= plan_.endTask; ++id) {
    auto t = std::make_unique<Task>();
    t->id = id;
    tasks_.push_back(std::move(t));
  }
}

AckerExecutor::~AckerExecutor() {
  join();
}

std::vector<std::pair<int, const TaskStats*>> AckerExecutor::taskStats() const {
  std::vector<std::pair<int, const TaskStats*>> out;
  for (const auto& t : tasks_) out.emplace_back(t->id, &t->stats);
  return out;
}

void AckerExecutor::run() {
  ready_.store(true);
  const int64_t sleepNs = 1'000'000;
  while (!stopRequested()) {
    if (hasOverflow() && !drainOverflow()) {
      idle(sleepNs);
      continue;
    }
    size_t n = queue_.drain(
        [this](detail::TupleData* d) {
          Tuple tick(d);
          if (!tick.isTick()) return;
          for (auto& t : tasks_) t->core.rotate();
        },
        64);
    int64_t now = coarseNowNs();
    auto taskOf = [this](const AckRecord& r) -> Task& {
      return *tasks_[static_cast<size_t>(r.destTask - plan_.startTask)];
    };
    n += queue_.drainAcks(
        [&](const AckRecord& r) {
          if (auto reply = taskOf(r).core.onRecord(r, now)) sendAck(*reply);
        },
        4096, [&](const AckRecord& r) { taskOf(r).core.prefetch(r.root); });
    flushOutputs();
    if (n) {
      resetIdle();
    } else {
      idle(pushWaitNs(sleepNs));  // only a push gives it work
    }
  }
  flushOutputs();
}

}  // namespace squall::internal
