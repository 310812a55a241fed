#pragma once
// RdKafkaConsumer: KafkaConsumer on the librdkafka C API in assign mode (never subscribe):
// incremental assign/unassign, asynchronous seeks, batch consumption from the consumer queue
// with a zero timeout, commits with Storm's metadata through a private queue whose results
// are polled without blocking. librdkafka's broker threads fetch ahead into the consumer
// queue, so the spout thread only copies records out of it.
//
// Threading: librdkafka's handle is thread-safe; control-plane calls may run on the spout's
// discovery thread. The data-plane calls are made by the spout thread only.

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "squall/kafka_consumer.h"

namespace squall::kafka {

class RdKafkaConsumer : public KafkaConsumer {
 public:
  // `props` go to librdkafka as they are; throws KafkaException for a bad property.
  RdKafkaConsumer(const std::map<std::string, std::string>& props, std::string name,
                  int requestTimeoutMs = 10'000);
  ~RdKafkaConsumer() override;

  std::vector<TopicPartition> partitionsFor(const std::vector<std::string>& topics,
                                            std::vector<std::string>* missing) override;
  std::vector<std::string> listTopics() override;
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(
      const std::vector<TopicPartition>& partitions) override;
  std::pair<int64_t, int64_t> watermarks(const TopicPartition& tp) override;

  void assign(const std::vector<std::pair<TopicPartition, int64_t>>& add,
              const std::vector<TopicPartition>& remove) override;
  void seek(const TopicPartition& tp, int64_t offset) override;
  void pause(const std::vector<TopicPartition>& partitions) override;
  void resume(const std::vector<TopicPartition>& partitions) override;
  size_t poll(std::vector<ConsumerRecord>& out, size_t maxRecords,
              std::chrono::milliseconds timeout, std::vector<std::string>& errors) override;
  void commitAsync(const std::vector<std::pair<TopicPartition, OffsetAndMetadata>>& offsets,
                   uint64_t token) override;
  std::vector<CommitResult> pollCommitResults(std::chrono::milliseconds timeout) override;
  std::optional<int64_t> cachedLogEndOffset(const TopicPartition& tp) override;
  void close() override;

  struct ErrorSink;

 private:
  const rd_kafka_metadata_t* metadata();

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* consumerQueue_ = nullptr;
  rd_kafka_queue_t* commitQueue_ = nullptr;
  std::string name_;
  int timeoutMs_;
  bool closed_ = false;
  std::vector<rd_kafka_message_t*> batch_;
  std::unique_ptr<ErrorSink> sink_;
};

}  // namespace squall::kafka
