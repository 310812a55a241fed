#pragma once
// Small helpers around the librdkafka C API shared by the consumer, the bolt's producer and
// the development cluster: configuration from a property map, logging into spdlog, owning
// wrappers for partition lists.

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

namespace squall::kafka::rdk {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
inline PartitionList newPartitionList(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size));
}

// A configuration with every property set and librdkafka's log routed to spdlog. `what`
// names the owner in errors. Throws KafkaException (not retriable) for a bad property.
rd_kafka_conf_t* makeConf(const std::map<std::string, std::string>& props, const std::string& what);

// "Broker: Not coordinator (NOT_COORDINATOR)".
std::string errorText(rd_kafka_resp_err_t err);
// Whether trying again later may succeed (broker down, timeouts, coordinator moves).
bool retriable(rd_kafka_resp_err_t err);

}  // namespace squall::kafka::rdk
