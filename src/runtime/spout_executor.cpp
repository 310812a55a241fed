#include "runtime/spout_executor.h"

#include <cmath>

#include "runtime/task_metrics.h"
#include "squall/component_registry.h"
#include "squall/metrics_consumer.h"

namespace squall::internal {

namespace {
constexpr int kBurst = 64;
thread_local TaskIds spoutUserTaskIds;
}  // namespace

struct SpoutExecutor::Task {
  int id = 0;
  std::unique_ptr<IRichSpout> spout;
  std::unique_ptr<TopologyContext> context;
  TaskStats stats;
  std::unique_ptr<TaskRouting> routing;
  std::unique_ptr<SpoutOutputCollector> collector;
  RotatingMap<PendingTree> pending{2};
  bool acking = false;
  bool opened = false;
};

// The spout side of Storm's acking protocol: each reliable emit roots a tuple tree with a
// random id, gives each copy a random edge id, and tells the acker the XOR of the edges.
class SpoutCollectorImpl : public SpoutOutputCollector {
 public:
  SpoutCollectorImpl(SpoutExecutor& ex, SpoutExecutor::Task& task) : ex_(ex), task_(task) {}

  const TaskIds& emit(std::string_view stream, Values values, Value messageId) override {
    spoutUserTaskIds.clear();
    send(route(stream), std::move(values), std::move(messageId), kNoDirectTask);
    return spoutUserTaskIds;
  }
  void emitDirect(int taskId, std::string_view stream, Values values, Value messageId) override {
    spoutUserTaskIds.clear();
    send(route(stream), std::move(values), std::move(messageId), taskId);
  }
  int64_t getPendingCount() const override { return static_cast<int64_t>(task_.pending.size()); }
  void flush() override { ex_.flushOutputs(); }
  void reportError(const std::string& message) override {
    ex_.reportError(ex_.plan().componentId, task_.id, message);
  }

 private:
  StreamRoute& route(std::string_view stream) {
    StreamRoute* r = task_.routing->find(stream);
    if (!r) {
      throw IllegalArgumentException(fmt::format("spout '{}' emitted on undeclared stream '{}'",
                                                 ex_.plan().componentId, stream));
    }
    return *r;
  }

  void send(StreamRoute& r, Values&& values, Value&& messageId, int directTask) {
    ++ex_.emits_;
    if (messageId.isNull() || !task_.acking) {
      ex_.emit(
          task_.id, r, std::move(values), directTask, [](detail::TupleData&) {}, spoutUserTaskIds);
      if (!messageId.isNull()) {
        // Acking disabled: Storm acks a reliable emit at once, inside emit().
        auto& s = task_.stats.spoutStreams[r.id];
        s.acked.add();
        task_.spout->ack(messageId);
      }
      return;
    }
    uint64_t root = ex_.randomRootId();
    task_.pending.prefetchNewest(root);  // the insert below would miss the cache
    uint64_t xorOfEdges = 0;
    ex_.emit(
        task_.id, r, std::move(values), directTask,
        [&](detail::TupleData& d) {
          uint64_t edge = ex_.randomEdgeId();
          d.messageId.xorInto(root, edge);
          xorOfEdges ^= edge;
        },
        spoutUserTaskIds);
    SpoutExecutor::PendingTree tree;
    tree.messageId = std::move(messageId);
    tree.stats = &task_.stats.spoutStreams[r.id];
    if (++sampleCounter_ >= ex_.sampleEvery_) {
      sampleCounter_ = 0;
      tree.emitNs = nowNs();
    }
    task_.pending.insertNew(root, std::move(tree));
    ex_.sendAck(AckRecord{root, xorOfEdges, task_.id, ex_.ackerTaskFor(root), AckKind::Init});
  }

  SpoutExecutor& ex_;
  SpoutExecutor::Task& task_;
  uint32_t sampleCounter_ = 0;
};

SpoutExecutor::SpoutExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t count)
    : Executor(rt, std::move(plan), index, count) {}

SpoutExecutor::~SpoutExecutor() {
  join();
}

std::vector<std::pair<int, const TaskStats*>> SpoutExecutor::taskStats() const {
  std::vector<std::pair<int, const TaskStats*>> out;
  for (const auto& t : tasks_) out.emplace_back(t->id, &t->stats);
  return out;
}

template <class F>
bool SpoutExecutor::guarded(Task& t, const char* where, F&& f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    reportCrash(plan_.componentId, t.id, where, e.what());
  } catch (...) {
    reportCrash(plan_.componentId, t.id, where, "unknown exception");
  }
  restart(t);
  return false;
}

bool SpoutExecutor::openTask(Task& t) {
  const ComponentPlan& cp = rt_.plan->component(plan_.componentId);
  rt_.plan->metrics.forgetInstance(t.id);  // gauges and IMetrics may point into the old one
  try {
    auto inst = cp.factory(cp.args);
    t.spout = std::move(std::get<std::unique_ptr<IRichSpout>>(inst));
    t.spout->open(cp.conf, *t.context, *t.collector);
    t.opened = true;
    return true;
  } catch (const std::exception& e) {
    reportCrash(plan_.componentId, t.id, "open", e.what());
  }
  t.opened = false;
  return false;
}

void SpoutExecutor::restart(Task& t) {
  // Like a worker restart: the trees in flight are forgotten (their late acks are ignored).
  t.pending.clear();
  if (openTask(t) && wasActive_) {
    try {
      t.spout->activate();
    } catch (const std::exception& e) {
      reportCrash(plan_.componentId, t.id, "activate", e.what());
    }
  }
}

bool SpoutExecutor::setUp() {
  const ComponentPlan& cp = rt_.plan->component(plan_.componentId);
  double rate = rt_.plan->conf.getDouble(Config::TOPOLOGY_STATS_SAMPLE_RATE);
  sampleEvery_ = rate > 0 ? static_cast<uint32_t>(std::max(1.0, std::round(1.0 / rate))) : ~0u;
  if (auto mp = cp.conf.getOptionalInt(Config::TOPOLOGY_MAX_SPOUT_PENDING)) {
    maxPending_ = *mp * (plan_.endTask - plan_.startTask + 1);
  }
  for (int id = plan_.startTask; id <= plan_.endTask; ++id) {
    auto t = std::make_unique<Task>();
    t->id = id;
    t->context = std::make_unique<TopologyContext>(rt_.plan, id);
    t->routing = std::make_unique<TaskRouting>(rt_, *t->context, t->stats);
    // Every stream's entry exists before the task starts, so readers on other threads (the UI)
    // may walk the map while emits update it.
    for (const auto& [streamId, info] : cp.streams) t->stats.spoutStreams[streamId];
    t->acking = rt_.plan->ackingEnabled();
    t->collector = std::make_unique<SpoutCollectorImpl>(*this, *t);
    tasks_.push_back(std::move(t));
  }
  for (auto& t : tasks_) {
    while (!t->opened && !stopRequested()) openTask(*t);
  }
  return !stopRequested();
}

void SpoutExecutor::rotatePending(Task& t) {
  t.pending.rotate().forEach([&](uint64_t, PendingTree& tree) {
    tree.stats->failed.add();
    guarded(t, "fail", [&] { t.spout->fail(tree.messageId); });
  });
}

void SpoutExecutor::handleInput(detail::TupleData* d) {
  Tuple tuple(d);
  if (d->meta == &metricsTickMeta()) {
    int bucketSecs = static_cast<int>(d->values.at(0).asInt());
    for (auto& t : tasks_) {
      if (!t->opened) continue;
      try {
        publishTaskMetrics(rt_, *t->context, bucketSecs, [&](Values v) {
          t->collector->emit(metrics::kMetricsStream, std::move(v), Value());
        });
      } catch (const std::exception& e) {
        reportError(plan_.componentId, t->id, fmt::format("metrics tick: {}", e.what()));
      }
    }
    return;
  }
  if (!tuple.isTick()) return;  // spouts subscribe to nothing else
  for (auto& t : tasks_) {
    if (d->destTask == kSystemTaskId || d->destTask == t->id) rotatePending(*t);
  }
}

SpoutExecutor::Task* SpoutExecutor::taskFor(int taskId) {
  // The executor's tasks are its contiguous range, in order.
  size_t i = static_cast<size_t>(taskId - plan_.startTask);
  return taskId >= plan_.startTask && i < tasks_.size() ? tasks_[i].get() : nullptr;
}

void SpoutExecutor::handleAck(const AckRecord& r) {
  Task* tp = taskFor(r.destTask);
  if (!tp) return;
  Task& t = *tp;
  if (r.kind == AckKind::TreeReset) {
    t.pending.touch(r.root);
    return;
  }
  PendingTree tree;
  if (!t.pending.remove(r.root, &tree)) return;  // timed out already, or from before a restart
  if (r.kind == AckKind::TreeAcked) {
    tree.stats->acked.add();
    if (tree.emitNs) tree.stats->completeLatency.record(nowNs() - tree.emitNs);
    guarded(t, "ack", [&] { t.spout->ack(tree.messageId); });
  } else if (r.kind == AckKind::TreeFailed) {
    tree.stats->failed.add();
    guarded(t, "fail", [&] { t.spout->fail(tree.messageId); });
  }
}

void SpoutExecutor::run() {
  try {
    if (!setUp()) {
      ready_.store(true);
      return;
    }
  } catch (const std::exception& e) {
    reportError(plan_.componentId, plan_.startTask, e.what());
    spdlog::error("topology '{}': spout '{}' could not start: {}", rt_.plan->name,
                  plan_.componentId, e.what());
    ready_.store(true);
    return;
  }
  ready_.store(true);
  const int64_t spoutSleepNs =
      rt_.plan->component(plan_.componentId)
          .conf.getInt(Config::TOPOLOGY_SPOUT_WAIT_PROGRESSIVE_LEVEL3_SLEEP_MILLIS) *
      1'000'000;
  const int64_t spoutIdleCapNs = rt_.plan->component(plan_.componentId)
                                     .conf.getInt(Config::TOPOLOGY_SPOUT_IDLE_MAX_SLEEP_MILLIS) *
                                 1'000'000;
  while (!stopRequested()) {
    size_t received = queue_.drain([this](detail::TupleData* d) { handleInput(d); }, 64);
    received += queue_.drainAcks([this](const AckRecord& r) { handleAck(r); }, 4096,
                                 [this](const AckRecord& r) {
                                   if (Task* t = taskFor(r.destTask)) t->pending.prefetch(r.root);
                                 });
    if (hasOverflow()) drainOverflow();
    bool active = rt_.active.load(std::memory_order_relaxed);
    bool atMaxPending = false;  // nextTuple was not called: only an ack or fail frees room
    uint64_t emitsBefore = emits_;
    if (active) {
      if (!wasActive_) {
        wasActive_ = true;
        for (auto& t : tasks_) guarded(*t, "activate", [&] { t->spout->activate(); });
      }
      if (!hasOverflow()) {
        int64_t pending = 0;
        if (maxPending_) {
          for (auto& t : tasks_) pending += static_cast<int64_t>(t->pending.size());
          atMaxPending = pending >= maxPending_;
        }
        // A burst of nextTuple rounds per loop, so outputs leave in batches; it ends early
        // when the spouts go quiet, hit max pending or meet backpressure, and once the flush
        // interval has passed (a slow spout: one round), so its tuples leave, and its acks,
        // a deactivation or a stop are seen, between any two slow rounds.
        startUserCalls();
        for (int round = 0;
             round < kBurst && (!maxPending_ || pending < maxPending_) && !hasOverflow(); ++round) {
          uint64_t before = emits_;
          for (auto& t : tasks_) guarded(*t, "nextTuple", [&] { t->spout->nextTuple(); });
          if (afterUserCall() || emits_ == before) break;
          if (maxPending_) {
            pending = 0;
            for (auto& t : tasks_) pending += static_cast<int64_t>(t->pending.size());
          }
        }
      }
    } else if (wasActive_) {
      wasActive_ = false;
      for (auto& t : tasks_) guarded(*t, "deactivate", [&] { t->spout->deactivate(); });
    }
    flushOutputs();
    if (received || emits_ != emitsBefore) {
      resetIdle();
    } else {
      // Backpressured (an overflow to retry), keep the short sleep: a consumer that frees space
      // does not wake us. At max pending, the ack or fail (or the timeout tick) that frees room
      // is a push, which wakes us.
      idle(!active         ? 100'000'000
           : hasOverflow() ? spoutSleepNs
           : atMaxPending  ? pushWaitNs(spoutSleepNs)
                           : idleSleepNs(spoutSleepNs, spoutIdleCapNs));
    }
  }
  flushOutputs();
  for (auto& t : tasks_) {
    if (!t->opened) continue;
    try {
      t->spout->close();
    } catch (const std::exception& e) {
      reportError(plan_.componentId, t->id, fmt::format("close threw: {}", e.what()));
    }
    rt_.plan->metrics.forgetInstance(t->id);
  }
}

}  // namespace squall::internal
