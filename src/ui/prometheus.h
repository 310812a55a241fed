#pragma once
// Prometheus text exposition (format 0.0.4) of a topology's statistics, its tasks' reported
// metrics (multilang `metrics`, Storm 1 IMetrics, Storm 2 counters, gauges, histograms and
// meters: MetricsRegistry) and its Kafka spouts'
// partitions. Names follow Prometheus conventions (snake case, `_total` counters, latencies
// as summaries in seconds) with topology, component, task and stream as labels; the list is
// in docs/OPERATIONS.md. A pure function, like storm_api.h.

#include <string>
#include <vector>

#include "metrics/prometheus_text.h"
#include "squall/metrics_registry.h"
#include "ui/storm_api.h"

namespace squall::ui {

// A multilang child of a shell task as a scrape found it (topology_metrics.h reads /proc).
struct ShellChildSample {
  std::string component;
  int task = 0;
  bool running = false;  // a child is up and /proc could be read: the next two are set
  double cpuSeconds = 0;
  uint64_t residentBytes = 0;
  uint64_t starts = 0;
  uint64_t failures = 0;
  uint64_t reads = 0;     // reads of the children's output since the topology started
  uint64_t messages = 0;  // messages those reads brought
};

struct PrometheusInput {
  const TopologySnapshot* topology = nullptr;  // windows[kAllTime] filled
  std::vector<MetricSample> metrics;
  uint64_t metricsDropped = 0;
  std::vector<KafkaPartitionSample> kafka;
  std::vector<ShellChildSample> children;
};

std::string prometheusText(const std::vector<PrometheusInput>& topologies);
// The same families added to `out`, beside others (a worker's process_* families).
void prometheusText(const std::vector<PrometheusInput>& topologies, metrics::PrometheusText& out);

}  // namespace squall::ui
