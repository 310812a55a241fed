#pragma once
// The Kafka spouts' lag of a topology running in a cluster, for `squall ui`'s /lag: each
// KafkaSpout of the topology nimbus holds, its configuration taken from its constructor
// arguments, its lag read from its brokers (kafka/consumer_group_lag.h), as Storm's UI does.

#include <vector>

#include "storm_thrift/storm_types.h"
#include "ui/storm_api.h"

namespace squall::cli {

// Spouts in id order; one whose brokers do not answer, or that cannot be read, has its error.
// Empty when this squall was built without Kafka.
std::vector<ui::SpoutLag> clusterKafkaLag(const storm::StormTopology& topology, int timeoutMs);

}  // namespace squall::cli
