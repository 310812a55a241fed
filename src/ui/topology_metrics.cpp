#include "ui/topology_metrics.h"

#include "metrics/process_metrics.h"
#include "ui/prometheus.h"

namespace squall::ui {

std::string topologyStatusName(TopologyStatus s) {
  switch (s) {
    case TopologyStatus::Active:
      return "ACTIVE";
    case TopologyStatus::Inactive:
      return "INACTIVE";
    case TopologyStatus::Killed:
      return "KILLED";
  }
  return "UNKNOWN";
}

void snapshotTopology(const internal::RunningTopology& t, TopologyStats& stats,
                      std::initializer_list<size_t> windows, TopologySnapshot& out) {
  TopologySummary sum = t.summary();
  out.plan = &t.plan();
  out.id = sum.id;
  out.name = sum.name;
  out.status = topologyStatusName(sum.status);
  out.uptimeSecs = sum.uptimeSecs;
  out.tasksTotal = sum.tasks;
  out.executorsTotal = sum.executors;
  for (const auto& ex : t.executors()) {
    out.executors.push_back(ex->plan());
    // Tasks are made on the executor's thread: an executor is read once it is ready. A
    // stand-in for another worker's executor has no tasks here; its queue holds what waits to
    // be sent there.
    if (!ex->ready()) continue;
    const internal::ReceiveQueue& q = ex->queue();
    out.queues.push_back({ex->plan(), !ex->taskStats().empty(), q.size(), q.capacity(),
                          q.backpressure(), q.backpressureEngaged(), ex->peerBackPressure()});
  }
  out.errors = t.errors();
  for (size_t w : windows) out.windows[w] = stats.window(w);
}

std::vector<ShellChildSample> sampleShellChildren(const internal::TopologyPlan& plan) {
  std::vector<ShellChildSample> out;
  for (const auto& c : plan.children.snapshot()) {
    ShellChildSample s{c.component, c.task};
    s.starts = c.starts;
    s.failures = c.failures;
    s.reads = c.reads;
    s.messages = c.messages;
    if (c.pid > 0) {
      if (auto p = metrics::readProcessStat(c.pid)) {
        s.running = true;
        s.cpuSeconds = p->cpuSeconds;
        s.residentBytes = p->residentBytes;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

TopologyMetrics::TopologyMetrics(const internal::RunningTopology& topology,
                                 KafkaPartitions kafkaPartitions)
    : topology_(topology), kafkaPartitions_(std::move(kafkaPartitions)), stats_(topology) {}

std::string TopologyMetrics::text() {
  TopologySnapshot t;
  snapshotTopology(topology_, stats_, {kAllTime}, t);
  PrometheusInput in;
  in.topology = &t;
  in.metrics = t.plan->metrics.snapshot();
  in.metricsDropped = t.plan->metrics.dropped();
  if (kafkaPartitions_) in.kafka = kafkaPartitions_(t.id);
  in.children = sampleShellChildren(*t.plan);
  metrics::PrometheusText out;
  prometheusText({in}, out);
  metrics::addProcessFamilies(out);
  return out.text();
}

}  // namespace squall::ui
