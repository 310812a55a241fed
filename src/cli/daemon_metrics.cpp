#include "cli/daemon_metrics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cluster/zk_client.h"
#include "metrics/process_metrics.h"
#include "nimbus/cluster_nimbus.h"
#include "nimbus/nimbus_metrics.h"
#include "supervisor/supervisor_metrics.h"
#include "ui/nimbus_api.h"

namespace squall::cli {

std::unique_ptr<ui::MetricsServer> startDaemonMetrics(const Map& conf, const char* portKey,
                                                      const std::string& who,
                                                      std::function<std::string()> render) {
  Config c(conf);
  auto port = c.getOptionalInt(portKey);
  if (!port) return nullptr;
  if (*port < 0 || *port > 65535) {
    throw std::runtime_error(fmt::format("{} must be a port (0-65535), not {}", portKey, *port));
  }
  ui::MetricsServerOptions o;
  o.host = c.getString(Config::METRICS_BIND_HOST);
  o.port = static_cast<int>(*port);
  o.setBy = fmt::format("{}, metrics.bind.host", portKey);
  auto server = std::make_unique<ui::MetricsServer>(o, std::move(render));
  server->start();
  std::cout << fmt::format("{}: Prometheus metrics at http://{}:{}/metrics", who, o.host,
                           server->port())
            << std::endl;
  return server;
}

std::string nimbusMetricsText(thrift::NimbusBackend& backend, const nimbus::ClusterNimbus* cluster,
                              double uptimeSecs) {
  metrics::PrometheusText out;
  metrics::addProcessFamilies(out);
  nimbus::NimbusMetrics m;
  m.leader = cluster ? cluster->isLeader() : true;
  if (cluster) m.zooKeeperConnected = cluster->zooKeeperConnected();
  m.uptimeSecs = uptimeSecs;
  // Only while ZooKeeper answers: a scrape must not wait out a lost connection.
  if (!m.zooKeeperConnected || *m.zooKeeperConnected) {
    try {
      storm::ClusterSummary summary = backend.getClusterInfo();
      m.topologies = static_cast<int>(summary.topologies.size());
      ui::nimbusapi::prometheusText(summary, out);
    } catch (const std::exception& e) {
      spdlog::debug("nimbus: /metrics: the cluster summary: {}", e.what());
    }
  }
  nimbus::addNimbusFamilies(m, out);
  return out.text();
}

std::string supervisorMetricsText(const supervisor::Supervisor& sup, const cluster::ZkClient& zk,
                                  double uptimeSecs) {
  metrics::PrometheusText out;
  metrics::addProcessFamilies(out);
  supervisor::addSupervisorFamilies(sup.metrics(), zk.connected(), uptimeSecs, out);
  return out.text();
}

}  // namespace squall::cli
