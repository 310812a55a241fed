#pragma once
// The /metrics of `squall nimbus` and `squall supervisor` (ui::MetricsServer on
// metrics.bind.host and the daemon's port key: nimbus.metrics.port, supervisor.metrics.port;
// none when the key is null). Each scrape renders the process's families, the daemon's own
// (nimbus/nimbus_metrics.h, supervisor/supervisor_metrics.h) and, for nimbus, the cluster's
// gauges as `squall ui` serves them.

#include <functional>
#include <memory>
#include <string>

#include "squall/config.h"
#include "ui/metrics_server.h"

namespace squall::nimbus {
class ClusterNimbus;
}
namespace squall::thrift {
class NimbusBackend;
}
namespace squall::supervisor {
class Supervisor;
}
namespace squall::cluster {
class ZkClient;
}

namespace squall::cli {

// Null when `portKey` is not set. Binds and prints `<who>: Prometheus metrics at
// http://HOST:PORT/metrics` (scripts read the port from it when the key is 0); throws
// std::runtime_error naming the keys when it cannot bind.
std::unique_ptr<ui::MetricsServer> startDaemonMetrics(const Map& conf, const char* portKey,
                                                      const std::string& who,
                                                      std::function<std::string()> render);

// What a nimbus scrape answers: `cluster` null for a nimbus without ZooKeeper.
std::string nimbusMetricsText(thrift::NimbusBackend& backend, const nimbus::ClusterNimbus* cluster,
                              double uptimeSecs);
// What a supervisor scrape answers.
std::string supervisorMetricsText(const supervisor::Supervisor& sup, const cluster::ZkClient& zk,
                                  double uptimeSecs);

}  // namespace squall::cli
