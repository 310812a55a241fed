#include "runtime/bolt_executor.h"

#include <cmath>

#include "runtime/basic_bolt_adapter.h"
#include "runtime/task_metrics.h"
#include "squall/component_registry.h"
#include "squall/metrics_consumer.h"

namespace squall::internal {

namespace {
thread_local TaskIds boltUserTaskIds;
}  // namespace

struct BoltExecutor::Task {
  int id = 0;
  std::unique_ptr<IRichBolt> bolt;
  std::unique_ptr<TopologyContext> context;
  TaskStats stats;
  std::unique_ptr<TaskRouting> routing;
  std::unique_ptr<OutputCollector> collector;
  bool acking = false;
  bool prepared = false;
  // Input stats by stream identity; linear search beats hashing for a handful of inputs.
  std::vector<std::pair<const StreamMeta*, BoltInputStats*>> inputCache;

  BoltInputStats* inputStats(const StreamMeta* meta) {
    for (auto& [m, s] : inputCache) {
      if (m == meta) return s;
    }
    auto it = stats.inputs.find({meta->componentId, meta->streamId});
    BoltInputStats* s = it == stats.inputs.end() ? nullptr : &it->second;
    inputCache.emplace_back(meta, s);
    return s;
  }
  // For threads other than the executor's: the map's shape is fixed, so a lookup is safe, but
  // the cache is the executor thread's alone.
  BoltInputStats* inputStatsUncached(const StreamMeta* meta) {
    auto it = stats.inputs.find({meta->componentId, meta->streamId});
    return it == stats.inputs.end() ? nullptr : &it->second;
  }
};

// The bolt side of the acking protocol: anchored emits XOR a fresh edge id into each anchor's
// ack value and into the new tuple's entry for each of the anchor's roots; ack() reports
// (root, edge XOR ack value) to the acker.
class BoltCollectorImpl : public OutputCollector {
 public:
  BoltCollectorImpl(BoltExecutor& ex, BoltExecutor::Task& task) : ex_(ex), task_(task) {}

  const TaskIds& emit(std::string_view stream, std::span<const Tuple> anchors,
                      Values values) override {
    std::lock_guard lock(ex_.collectorMutex_);
    boltUserTaskIds.clear();
    send(route(stream), anchors, std::move(values), kNoDirectTask);
    return boltUserTaskIds;
  }
  void emitDirect(int taskId, std::string_view stream, std::span<const Tuple> anchors,
                  Values values) override {
    std::lock_guard lock(ex_.collectorMutex_);
    boltUserTaskIds.clear();
    send(route(stream), anchors, std::move(values), taskId);
  }
  void ack(const Tuple& input) override {
    auto* d = input.data();
    if (ex_.onExecutorThread()) {
      if (BoltInputStats* s = task_.inputStats(d->meta)) {
        s->acked.add();
        if (d->executeStartNs) s->processLatency.record(nowNs() - d->executeStartNs);
      }
    } else if (BoltInputStats* s = task_.inputStatsUncached(d->meta)) {
      s->acked.addFromOtherThread();
      if (d->executeStartNs) s->processLatency.recordFromOtherThread(nowNs() - d->executeStartNs);
    }
    if (!task_.acking || d->messageId.empty()) return;
    std::lock_guard lock(ex_.collectorMutex_);
    for (auto [root, edge] : d->messageId.anchors()) {
      ex_.sendAck(AckRecord{root, edge ^ d->ackVal, 0, ex_.ackerTaskFor(root), AckKind::Ack});
    }
  }
  void fail(const Tuple& input) override {
    auto* d = input.data();
    if (ex_.onExecutorThread()) {
      if (BoltInputStats* s = task_.inputStats(d->meta)) s->failed.add();
    } else if (BoltInputStats* s = task_.inputStatsUncached(d->meta)) {
      s->failed.addFromOtherThread();
    }
    if (!task_.acking || d->messageId.empty()) return;
    std::lock_guard lock(ex_.collectorMutex_);
    for (auto [root, edge] : d->messageId.anchors()) {
      ex_.sendAck(AckRecord{root, 0, 0, ex_.ackerTaskFor(root), AckKind::Fail});
    }
  }
  void resetTimeout(const Tuple& input) override {
    auto* d = input.data();
    if (!task_.acking || d->messageId.empty()) return;
    std::lock_guard lock(ex_.collectorMutex_);
    for (auto [root, edge] : d->messageId.anchors()) {
      ex_.sendAck(AckRecord{root, 0, 0, ex_.ackerTaskFor(root), AckKind::ResetTimeout});
    }
  }
  void reportError(const std::string& message) override {
    spdlog::error("topology '{}': component '{}' task {} reported: {}", ex_.rt_.plan->name,
                  ex_.plan().componentId, task_.id, message);
    ex_.reportError(ex_.plan().componentId, task_.id, message);
  }
  void flush() override {
    if (ex_.onExecutorThread()) ex_.flushOutputs();
  }

 private:
  StreamRoute& route(std::string_view stream) {
    StreamRoute* r = task_.routing->find(stream);
    if (!r) {
      throw IllegalArgumentException(fmt::format("bolt '{}' emitted on undeclared stream '{}'",
                                                 ex_.plan().componentId, stream));
    }
    return *r;
  }
  void send(StreamRoute& r, std::span<const Tuple> anchors, Values values, int directTask) {
    bool anchored = false;
    if (task_.acking) {
      for (const auto& a : anchors) anchored |= !a.data()->messageId.empty();
    }
    if (!anchored) {
      ex_.emit(
          task_.id, r, std::move(values), directTask, [](detail::TupleData&) {}, boltUserTaskIds);
      return;
    }
    ex_.emit(
        task_.id, r, std::move(values), directTask,
        [&](detail::TupleData& d) {
          for (const auto& a : anchors) {
            auto* ad = a.data();
            if (ad->messageId.empty()) continue;
            uint64_t edge = ex_.randomEdgeId();
            ad->ackVal ^= edge;
            for (auto [root, v] : ad->messageId.anchors()) d.messageId.xorInto(root, edge);
          }
        },
        boltUserTaskIds);
  }

  BoltExecutor& ex_;
  BoltExecutor::Task& task_;
};

BoltExecutor::BoltExecutor(TopologyRuntime& rt, ExecutorPlan plan, size_t index, size_t count)
    : Executor(rt, std::move(plan), index, count) {}

BoltExecutor::~BoltExecutor() {
  join();
}

std::vector<std::pair<int, const TaskStats*>> BoltExecutor::taskStats() const {
  std::vector<std::pair<int, const TaskStats*>> out;
  for (const auto& t : tasks_) out.emplace_back(t->id, &t->stats);
  return out;
}

BoltExecutor::Task* BoltExecutor::taskFor(int taskId) {
  size_t i = static_cast<size_t>(taskId - plan_.startTask);
  return i < tasks_.size() ? tasks_[i].get() : nullptr;
}

bool BoltExecutor::prepareTask(Task& t) {
  const ComponentPlan& cp = rt_.plan->component(plan_.componentId);
  rt_.plan->metrics.forgetInstance(t.id);  // gauges and IMetrics may point into the old one
  try {
    auto inst = cp.factory(cp.args);
    if (auto* basic = std::get_if<std::unique_ptr<IBasicBolt>>(&inst)) {
      t.bolt = std::make_unique<BasicBoltAdapter>(std::move(*basic));
    } else {
      t.bolt = std::move(std::get<std::unique_ptr<IRichBolt>>(inst));
    }
    t.bolt->prepare(cp.conf, *t.context, *t.collector);
    t.prepared = true;
    return true;
  } catch (const std::exception& e) {
    reportCrash(plan_.componentId, t.id, "prepare", e.what());
  }
  t.prepared = false;
  return false;
}

void BoltExecutor::deliver(Task& t, const Tuple& tuple) {
  auto* d = tuple.data();
  BoltInputStats* s = t.inputStats(d->meta);
  bool sampled = ++sampleCounter_ >= sampleEvery_;
  int64_t start = 0;
  if (sampled) {
    sampleCounter_ = 0;
    start = nowNs();
    d->executeStartNs = start;
  }
  try {
    t.bolt->execute(tuple);
  } catch (const std::exception& e) {
    reportCrash(plan_.componentId, t.id, "execute", e.what());
    while (!prepareTask(t) && !stopRequested()) {
    }
    return;
  } catch (...) {
    reportCrash(plan_.componentId, t.id, "execute", "unknown exception");
    while (!prepareTask(t) && !stopRequested()) {
    }
    return;
  }
  if (s) {
    s->executed.add();
    if (sampled) {
      int64_t took = nowNs() - start;
      s->executeLatency.record(took);
      t.stats.executeBusyNs.add(static_cast<uint64_t>(took) * sampleEvery_);
    }
  }
}

void BoltExecutor::process(detail::TupleData* d) {
  Tuple tuple(d);
  if (d->destTask == kSystemTaskId) {
    if (d->meta == &metricsTickMeta()) {
      publishMetrics(static_cast<int>(d->values.at(0).asInt()));
      return;
    }
    for (auto& t : tasks_) deliver(*t, tuple);
  } else if (Task* t = taskFor(d->destTask)) {
    deliver(*t, tuple);
  }
}

void BoltExecutor::publishMetrics(int bucketSecs) {
  for (auto& t : tasks_) {
    if (!t->prepared) continue;
    try {
      publishTaskMetrics(rt_, *t->context, bucketSecs, [&](Values v) {
        t->collector->emit(metrics::kMetricsStream, std::span<const Tuple>(), std::move(v));
      });
    } catch (const std::exception& e) {
      reportError(plan_.componentId, t->id, fmt::format("metrics tick: {}", e.what()));
    }
  }
}

void BoltExecutor::run() {
  const ComponentPlan& cp = rt_.plan->component(plan_.componentId);
  double rate = rt_.plan->conf.getDouble(Config::TOPOLOGY_STATS_SAMPLE_RATE);
  sampleEvery_ = rate > 0 ? static_cast<uint32_t>(std::max(1.0, std::round(1.0 / rate))) : ~0u;
  try {
    for (int id = plan_.startTask; id <= plan_.endTask; ++id) {
      auto t = std::make_unique<Task>();
      t->id = id;
      t->context = std::make_unique<TopologyContext>(rt_.plan, id);
      for (const auto& in : cp.inputs) t->stats.inputs[{in.component, in.stream}];
      t->stats.inputs[{kSystemComponent, kTickStream}];
      t->routing = std::make_unique<TaskRouting>(rt_, *t->context, t->stats);
      t->acking = rt_.plan->ackingEnabled();
      t->collector = std::make_unique<BoltCollectorImpl>(*this, *t);
      tasks_.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    reportError(plan_.componentId, plan_.startTask, e.what());
    spdlog::error("topology '{}': bolt '{}' could not start: {}", rt_.plan->name, plan_.componentId,
                  e.what());
    ready_.store(true);
    return;
  }
  for (auto& t : tasks_) {
    while (!t->prepared && !stopRequested()) prepareTask(*t);
  }
  ready_.store(true);
  const int64_t boltSleepNs =
      cp.conf.getInt(Config::TOPOLOGY_BOLT_WAIT_PROGRESSIVE_LEVEL3_SLEEP_MILLIS) * 1'000'000;
  while (!stopRequested()) {
    if (hasOverflow() && !drainOverflow()) {
      idle(boltSleepNs);
      continue;
    }
    size_t n = 0;
    // Small chunks, so a chunk that fills the overflow stops further input quickly. Draining
    // also stops once the flush interval has passed (a slow execute: after one tuple), so
    // outputs leave and a stop is seen between any two slow calls.
    // Input in hand needs the flush clock, to end a drain of slow calls (see afterUserCall).
    if (!queue_.empty()) rt_.flush.markActive();
    startUserCalls();
    drainEnd.draining = true;
    for (int chunk = 0; chunk < 16 && !hasOverflow(); ++chunk) {
      size_t got = queue_.drain(
          [this](detail::TupleData* d) {
            process(d);
            return !afterUserCall();
          },
          64);
      n += got;
      if (got < 64) break;
    }
    drainEnd.finish();
    flushOutputs();
    if (n) {
      resetIdle();
    } else {
      // Nothing but a push (input, a tick, a stop) gives an idle bolt work: sleep until it comes.
      idle(pushWaitNs(boltSleepNs));
    }
  }
  flushOutputs();
  for (auto& t : tasks_) {
    if (!t->prepared) continue;
    try {
      t->bolt->cleanup();
    } catch (const std::exception& e) {
      reportError(plan_.componentId, t->id, fmt::format("cleanup threw: {}", e.what()));
    }
    rt_.plan->metrics.forgetInstance(t->id);
  }
}

}  // namespace squall::internal
