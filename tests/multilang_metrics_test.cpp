// The multilang `metrics` command: values reach the topology's MetricsRegistry, keyed by
// component, task and name, with the latest value and the number of reports.

#include "multilang_support.h"

namespace squall::multilang_test {
namespace {

std::optional<MetricSample> metric(LocalCluster& cluster, const std::string& topology,
                                   const std::string& name) {
  for (const auto& m : cluster.getMetrics(topology)) {
    if (m.component == "count" && m.name == name) return m;
  }
  return std::nullopt;
}

TEST(MultilangMetricsTest, ReportedValuesAreKeptPerTaskAndName) {
  const std::string label = "metrics";
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 5));
  ShellCommand spec;
  spec.command = {kPython, childScript("metrics_bolt.py")};
  spec.env = pythonEnv();
  b.setBolt("count", ShellBolt(spec)).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == 5; })) << allErrors(cluster, label);
  // The acks and the metrics leave the child in one write; the registry has them once acked.
  auto seen = metric(cluster, label, "seen");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->value, Value(int64_t{5}));
  EXPECT_EQ(seen->updates, 5u);
  EXPECT_GT(seen->task, 0);
  auto last = metric(cluster, label, "last");
  ASSERT_TRUE(last.has_value());
  ASSERT_TRUE(last->value.isMap()) << last->value.toString();
  EXPECT_NE(last->value.find("word"), nullptr);
  EXPECT_EQ(cluster.getMetrics(label).size(), 2u);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

TEST(MultilangMetricsTest, RegistryIsBounded) {
  MetricsRegistry registry;
  for (size_t i = 0; i < MetricsRegistry::kMaxMetrics + 3; ++i) {
    registry.update("c", 1, "m" + std::to_string(i), Value(int64_t(i)));
  }
  registry.update("c", 1, "m0", Value(int64_t{42}));
  EXPECT_EQ(registry.snapshot().size(), MetricsRegistry::kMaxMetrics);
  EXPECT_EQ(registry.dropped(), 3u);
  auto m0 = registry.find("c", 1, "m0");
  ASSERT_TRUE(m0.has_value());
  EXPECT_EQ(m0->value, Value(int64_t{42}));
  EXPECT_EQ(m0->updates, 2u);
}

}  // namespace
}  // namespace squall::multilang_test
