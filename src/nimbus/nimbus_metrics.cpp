#include "nimbus/nimbus_metrics.h"

namespace squall::nimbus {

void addNimbusFamilies(const NimbusMetrics& m, metrics::PrometheusText& out) {
  out.add("squall_nimbus_leader", "gauge", "1 while this nimbus leads.", "", m.leader ? 1 : 0);
  out.add("squall_nimbus_uptime_seconds", "gauge", "Seconds since nimbus started.", "",
          m.uptimeSecs);
  if (m.zooKeeperConnected) {
    out.add("squall_zookeeper_connected", "gauge", "1 while the ZooKeeper session is connected.",
            "", *m.zooKeeperConnected ? 1 : 0);
  }
  out.add("squall_nimbus_cluster_readable", "gauge",
          "1 when the cluster's state could be read for this scrape (the squall_cluster_* and "
          "squall_topology_* families are then present).",
          "", m.topologies ? 1 : 0);
  if (m.topologies) {
    out.add("squall_nimbus_topologies", "gauge", "Topologies nimbus knows.", "", *m.topologies);
  }
}

}  // namespace squall::nimbus
