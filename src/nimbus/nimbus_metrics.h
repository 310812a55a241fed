#pragma once
// Nimbus's own Prometheus families, for its /metrics (`nimbus.metrics.port`): leadership, the
// ZooKeeper connection, uptime and the topologies it knows. The cluster's gauges from
// getClusterInfo (ui/nimbus_api.h, as `squall ui` serves them) and the process's families
// (metrics/process_metrics.h) go beside them. A pure function.

#include <optional>

#include "metrics/prometheus_text.h"

namespace squall::nimbus {

struct NimbusMetrics {
  bool leader = false;                     // a nimbus without ZooKeeper is always its own leader
  std::optional<bool> zooKeeperConnected;  // nullopt: a nimbus without ZooKeeper
  double uptimeSecs = 0;
  std::optional<int> topologies;  // nullopt: getClusterInfo failed (ZooKeeper unreachable)
};

void addNimbusFamilies(const NimbusMetrics& m, metrics::PrometheusText& out);

}  // namespace squall::nimbus
