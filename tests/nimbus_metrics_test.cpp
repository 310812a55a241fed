// Nimbus's own /metrics families (nimbus/nimbus_metrics.h).

#include "nimbus/nimbus_metrics.h"

#include <gtest/gtest.h>

using namespace squall;

TEST(NimbusMetrics, SaysLeadershipZooKeeperAndWhetherTheClusterWasRead) {
  nimbus::NimbusMetrics m;
  m.leader = true;
  m.zooKeeperConnected = false;
  m.uptimeSecs = 12.5;
  metrics::PrometheusText out;
  nimbus::addNimbusFamilies(m, out);
  std::string text = out.text();
  EXPECT_NE(text.find("\nsquall_nimbus_leader 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsquall_zookeeper_connected 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsquall_nimbus_uptime_seconds 12.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsquall_nimbus_cluster_readable 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("squall_nimbus_topologies"), std::string::npos) << text;

  nimbus::NimbusMetrics alone;  // no ZooKeeper: no connection family
  alone.leader = true;
  alone.topologies = 3;
  metrics::PrometheusText out2;
  nimbus::addNimbusFamilies(alone, out2);
  text = out2.text();
  EXPECT_EQ(text.find("squall_zookeeper_connected"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsquall_nimbus_topologies 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nsquall_nimbus_cluster_readable 1\n"), std::string::npos) << text;
}
