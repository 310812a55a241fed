#include "cli/cluster_kafka_lag.h"

#include <fmt/format.h>

#include <algorithm>

#include "nimbus/storm_topology_translation.h"
#ifdef SQUALL_HAVE_KAFKA
#include "kafka/consumer_group_lag.h"
#endif

namespace squall::cli {

std::vector<ui::SpoutLag> clusterKafkaLag([[maybe_unused]] const storm::StormTopology& topology,
                                          [[maybe_unused]] int timeoutMs) {
  std::vector<ui::SpoutLag> out;
#ifdef SQUALL_HAVE_KAFKA
  nimbus::TranslateOptions options;
  options.requireRegisteredClasses = false;  // only the Kafka spouts' arguments are read
  TopologyDef def = nimbus::toTopologyDef(topology, options);
  for (const auto& c : def.components) {
    if (c.kind != ComponentKind::Spout ||
        c.className != "org.apache.storm.kafka.spout.KafkaSpout") {
      continue;
    }
    ui::SpoutLag& s = out.emplace_back();
    s.spout = c.id;
    try {
      for (auto& p :
           kafka::consumerGroupLag(kafka::KafkaSpoutConfig::fromArgs(c.args), timeoutMs)) {
        ui::KafkaPartitionSample sample;
        sample.component = c.id;
        sample.topic = std::move(p.topic);
        sample.partition = p.partition;
        sample.committedOffset = p.committedOffset;
        sample.logEndOffset = p.logEndOffset;
        sample.lag = p.lag;
        s.partitions.push_back(std::move(sample));
      }
    } catch (const std::exception& e) {
      s.error = fmt::format("cannot read the lag of spout '{}': {}", c.id, e.what());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ui::SpoutLag& a, const ui::SpoutLag& b) { return a.spout < b.spout; });
#endif
  return out;
}

}  // namespace squall::cli
