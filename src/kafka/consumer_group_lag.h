#pragma once
// A consumer group's lag read from the brokers alone, as Storm's UI computes a KafkaSpout's
// (its storm-kafka-monitor tool): for every partition of the spout's topics, the log end
// offset and the group's committed offset. Used where the spout's tasks cannot be asked, as
// `squall ui` over a cluster, whose workers run elsewhere.

#include <cstdint>
#include <string>
#include <vector>

#include "squall/kafka_spout.h"

namespace squall::kafka {

struct PartitionLag {
  std::string topic;
  int partition = 0;
  int64_t committedOffset = -1;  // the group's committed offset; -1: none committed
  int64_t logEndOffset = -1;
  int64_t lag = -1;  // logEndOffset − committedOffset; -1 while nothing is committed
};

// Asks the spout's brokers (bootstrap servers, its consumer properties) about the partitions
// of its topics (or of those its pattern matches), sorted by topic and partition; every
// request waits at most `timeoutMs`. KafkaException naming the group for a spout without
// group.id (nothing is committed) or brokers that do not answer.
std::vector<PartitionLag> consumerGroupLag(const KafkaSpoutConfig& config, int timeoutMs);

}  // namespace squall::kafka
