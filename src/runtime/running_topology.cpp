#include "runtime/running_topology.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "runtime/acker_executor.h"
#include "runtime/bolt_executor.h"
#include "runtime/executor_budget.h"
#include "runtime/spout_executor.h"
#include "runtime/task_metrics.h"
#include "squall/metrics_consumer.h"

namespace squall::internal {

RunningTopology::RunningTopology(const std::string& name, const std::string& id, const Config& conf,
                                 const StormTopology& topology, Placement placement)
    : placement_(std::move(placement)) {
  rt_.plan = TopologyPlan::build(name, id, conf, topology);
  rt_.localRegistry = topology.local;
  const Config& c = rt_.plan->conf;
  if (auto range = c.getOptionalInt(Config::TOPOLOGY_TESTING_ACKER_EDGE_ID_RANGE)) {
    rt_.edgeIdRange = static_cast<uint64_t>(*range);
  }
  rt_.producerBatchSize = static_cast<int>(c.getInt(Config::TOPOLOGY_PRODUCER_BATCH_SIZE));
  rt_.receiveBufferSize =
      static_cast<size_t>(c.getInt(Config::TOPOLOGY_EXECUTOR_RECEIVE_BUFFER_SIZE));
  checkExecutorBudget(name, executorDemand(*rt_.plan), MachineCapacity::probe());
  reporters_ = std::make_unique<metrics::MetricsReporters>(metrics::reporterSpecs(c), name,
                                                           rt_.plan->metrics);
}

RunningTopology::~RunningTopology() {
  if (!killed_) kill(0);
}

void RunningTopology::start(bool activateNow) {
  const TopologyPlan& plan = *rt_.plan;
  size_t count = 0;
  for (const auto& [id, cp] : plan.components) count += cp.executors.size();
  rt_.executorOfTask.assign(plan.numTasks() + 1, nullptr);
  if (const ComponentPlan* acker = plan.findComponent(kAckerComponent))
    rt_.ackerTasks = acker->tasks;
  // Room to return as many bodies as one receive queue holds; beyond that they are freed.
  for (size_t i = 0; i < count; ++i) {
    rt_.pools.push_back(std::make_unique<TuplePool>(rt_.receiveBufferSize));
  }
  bool timeouts = plan.conf.getBool(Config::TOPOLOGY_ENABLE_MESSAGE_TIMEOUTS);
  int timeoutSecs = static_cast<int>(plan.conf.getInt(Config::TOPOLOGY_MESSAGE_TIMEOUT_SECS));
  for (const auto& [id, cp] : plan.components) {
    for (const auto& ep : cp.executors) {
      std::unique_ptr<Executor> ex;
      if (placement_.local && !placement_.local(ep)) {
        ex = placement_.remote(rt_, ep, executors_.size(), count);
        rt_.remoteTask.resize(plan.numTasks() + 1, false);
        for (int t = ep.startTask; t <= ep.endTask; ++t) {
          rt_.executorOfTask[t] = ex.get();
          rt_.remoteTask[t] = true;
        }
        executors_.push_back(std::move(ex));
        continue;
      }
      if (cp.kind == ComponentKind::Spout) {
        ex = std::make_unique<SpoutExecutor>(rt_, ep, executors_.size(), count);
      } else if (cp.system && id == kAckerComponent) {
        ex = std::make_unique<AckerExecutor>(rt_, ep, executors_.size(), count);
      } else {
        ex = std::make_unique<BoltExecutor>(rt_, ep, executors_.size(), count);
      }
      for (int t = ep.startTask; t <= ep.endTask; ++t) rt_.executorOfTask[t] = ex.get();
      // Spouts and ackers tick at the message timeout (Storm overrides a spout's own tick
      // setting); other bolts at their topology.tick.tuple.freq.secs.
      if (cp.kind == ComponentKind::Spout || cp.system) {
        if (timeouts && plan.ackingEnabled()) timer_.add(ex.get(), timeoutSecs);
      } else if (auto freq = cp.conf.getOptionalInt(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS)) {
        timer_.add(ex.get(), static_cast<int>(*freq));
      }
      executors_.push_back(std::move(ex));
    }
  }
  scheduleMetricsTicks();
  for (auto& ex : executors_) ex->start();
  timer_.start();
  reporters_->start();
  flushClock_.start(plan.conf.getInt(Config::TOPOLOGY_BATCH_FLUSH_INTERVAL_MILLIS) * 1'000'000);
  if (activateNow) activate();
  spdlog::info("topology '{}' ({}) started: {} tasks in {} executors", plan.name, plan.stormId,
               plan.numTasks(), executors_.size());
}

void RunningTopology::scheduleMetricsTicks() {
  const TopologyPlan& plan = *rt_.plan;
  auto local = [this](int task) {
    return task < static_cast<int>(rt_.executorOfTask.size()) && rt_.executorOfTask[task] &&
           (rt_.remoteTask.empty() || !rt_.remoteTask[task]);
  };
  // With metrics consumers, every task sends its data points each builtin bucket.
  int builtin =
      static_cast<int>(plan.conf.getInt(Config::TOPOLOGY_BUILTIN_METRICS_BUCKET_SIZE_SECS));
  for (const auto& [id, cp] : plan.components) {
    if (!cp.consumers.contains(metrics::kMetricsStream)) continue;
    for (int task : cp.tasks) {
      if (local(task)) timer_.add(rt_.executorOfTask[task], builtin, &metricsTickMeta());
    }
  }
  // A Storm 1 IMetric registered in open/prepare ticks at its own bucket size.
  plan.metrics.setIntervalListener([this, local](int task, int secs) {
    if (local(task)) timer_.add(rt_.executorOfTask[task], secs, &metricsTickMeta());
  });
}

bool RunningTopology::ready() const {
  for (const auto& ex : executors_) {
    if (!ex->ready()) return false;
  }
  return true;
}

void RunningTopology::activate() {
  rt_.active.store(true);
  for (auto& ex : executors_) ex->queue().wake();
}

void RunningTopology::deactivate() {
  rt_.active.store(false);
  for (auto& ex : executors_) ex->queue().wake();
}

void RunningTopology::kill(int waitSecs) {
  if (killed_) return;
  killed_ = true;
  deactivate();
  if (waitSecs > 0) std::this_thread::sleep_for(std::chrono::seconds(waitSecs));
  rt_.stopping.store(true);
  rt_.plan->stopping.store(true);
  timer_.stop();
  for (auto& ex : executors_) ex->requestStop();
  for (auto& ex : executors_) ex->join();
  rt_.plan->metrics.setIntervalListener(nullptr);
  reporters_->stop();  // after the executors: the last report has their last updates
  flushClock_.stop();
  spdlog::info("topology '{}' killed", rt_.plan->name);
}

TopologySummary RunningTopology::summary() const {
  double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  TopologyStatus status = killed_             ? TopologyStatus::Killed
                          : rt_.active.load() ? TopologyStatus::Active
                                              : TopologyStatus::Inactive;
  return TopologySummary{rt_.plan->name,
                         rt_.plan->stormId,
                         status,
                         rt_.plan->numTasks(),
                         static_cast<int>(executors_.size()),
                         uptime};
}

}  // namespace squall::internal
