#pragma once
// Small helpers around the librdkafka C API shared by the consumer, the bolt's producer and
// the development cluster: configuration from a property map, logging into spdlog, owning
// wrappers for partition lists.

#include <librdkafka/rdkafka.h>

#include <future>

#include <map>
#include <memory>
#include <string>
#include <vector>

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

// Destroys a handle (its queues first) on a thread of its own, so a caller can bound its
// wait: librdkafka's destroy waits for commits still looking for a coordinator (up to
// session.timeout.ms) and for broker threads. `keep` stays alive until librdkafka is done
// (what its callbacks use). The future is ready once the handle is gone; if the caller stops
// waiting, the thread finishes alone. Consumers are destroyed without consumer_close().
std::future<void> destroyInBackground(rd_kafka_t* rk, std::vector<rd_kafka_queue_t*> queues,
                                      std::shared_ptr<void> keep);

}  // namespace squall::kafka::rdk
