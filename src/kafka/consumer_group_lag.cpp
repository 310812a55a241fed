#include "kafka/consumer_group_lag.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <regex>

#include "kafka/rdkafka_consumer.h"

namespace squall::kafka {

std::vector<PartitionLag> consumerGroupLag(const KafkaSpoutConfig& config, int timeoutMs) {
  auto group = config.groupId();
  if (!group) {
    throw KafkaException(fmt::format("the spout of topics '{}' has no group.id, so it commits no "
                                     "offsets to measure lag from",
                                     config.topicsString()),
                         false);
  }
  auto props = config.kafkaProps();
  // Its own client id: the brokers' logs tell it from the spout's tasks.
  props["client.id"] = "squall-lag-" + *group;
  RdKafkaConsumer consumer(props, fmt::format("lag of consumer group '{}'", *group), timeoutMs);
  std::vector<PartitionLag> out;
  try {
    std::vector<std::string> topics = config.topics();
    if (const auto& pattern = config.topicPattern()) {
      // The spout's own matching: the whole name against the pattern.
      std::regex re(pattern->regex);
      for (auto& t : consumer.listTopics()) {
        if (std::regex_match(t, re)) topics.push_back(std::move(t));
      }
    }
    std::vector<std::string> missing;
    auto partitions = consumer.partitionsFor(topics, &missing);
    if (partitions.empty() && !missing.empty()) {
      throw KafkaException(fmt::format("no such topic: {}", fmt::join(missing, ", ")), false);
    }
    auto committed = consumer.committed(partitions);
    for (const auto& tp : partitions) {
      PartitionLag p;
      p.topic = tp.topic;
      p.partition = tp.partition;
      p.logEndOffset = consumer.watermarks(tp).second;
      if (auto it = committed.find(tp); it != committed.end() && it->second) {
        p.committedOffset = it->second->offset;
        p.lag = p.logEndOffset - p.committedOffset;
      }
      out.push_back(std::move(p));
    }
  } catch (...) {
    consumer.close();
    throw;
  }
  consumer.close();
  return out;
}

}  // namespace squall::kafka
