#pragma once
// A supervisor's own Prometheus families, for its /metrics (`supervisor.metrics.port`):
// slots, workers, worker launches and restarts, the ZooKeeper connection and uptime. The
// process's families (metrics/process_metrics.h) go beside them; the executors' figures are
// on each worker's own /metrics. A pure function of Supervisor::metrics().

#include "metrics/prometheus_text.h"
#include "supervisor/supervisor.h"

namespace squall::supervisor {

void addSupervisorFamilies(const SupervisorMetrics& m, bool zooKeeperConnected, double uptimeSecs,
                           metrics::PrometheusText& out);

}  // namespace squall::supervisor
