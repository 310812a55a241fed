#pragma once
// RdKafkaConsumer: KafkaConsumer on the librdkafka C API in assign mode (never subscribe):
// incremental assign/unassign, asynchronous seeks, batch consumption from the consumer queue
// with a zero timeout. librdkafka's broker threads fetch ahead into the consumer queue, so the
// spout thread only copies records out of it.
//
// Commits (with Storm's metadata) and committed-offset reads go through a second handle, the
// committer, which never fetches. In assign mode a commit needs no group membership, only the
// group coordinator, and librdkafka 2.0.2 can lose that for good: when the coordinator's
// broker comes back at another address under the same node id, its group-coordinator
// connection keeps dialling the old address ("Waiting for coordinator") while fetching
// recovers. A commit that gets no answer within kCommitStall, or fails for want of a
// coordinator, therefore replaces the committer by a fresh handle, which looks the
// coordinator up anew; fetching is not disturbed.
//
// Stopping is bounded: interrupt() makes blocking control-plane calls on other threads return
// within kSlice; close() destroys the handles on background threads and waits at most
// kCloseWait for them (a handle with a commit still waiting for a coordinator takes up to
// session.timeout.ms to go; it finishes alone).
//
// Threading: librdkafka's handle is thread-safe; control-plane calls may run on the spout's
// discovery thread. The data-plane calls are made by the spout thread only.

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
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
  void interrupt() override;
  void close() override;

  // A commit unanswered this long means the committer lost its coordinator.
  static constexpr std::chrono::milliseconds kCommitStall{5000};
  // Longest single wait of a control-plane call, so interrupt() takes effect this soon.
  static constexpr std::chrono::milliseconds kSlice{250};
  // What close() waits for librdkafka to shut down.
  static constexpr std::chrono::milliseconds kCloseWait{300};

  struct ErrorSink;
  struct Committer;

 private:
  const rd_kafka_metadata_t* metadata();
  // Runs `call(sliceMs)` until it stops timing out, the request timeout passes, or
  // interrupt(); throws KafkaException when interrupted.
  template <class Call>
  rd_kafka_resp_err_t sliced(const char* what, Call call);
  std::shared_ptr<Committer> committer();
  void replaceCommitter(const std::string& why);

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* consumerQueue_ = nullptr;
  std::map<std::string, std::string> props_;
  std::string name_;
  int timeoutMs_;
  bool closed_ = false;
  std::atomic<bool> interrupted_{false};
  std::vector<rd_kafka_message_t*> batch_;
  std::shared_ptr<ErrorSink> sink_;
  std::mutex committerMu_;
  std::shared_ptr<Committer> committer_;  // guarded by committerMu_; created on first use
  std::chrono::steady_clock::time_point lastReplaced_;  // guarded by committerMu_
  // Spout thread only: commits started and not answered yet, with their start time and the
  // committer they went to.
  struct Outstanding {
    std::chrono::steady_clock::time_point started;
    std::shared_ptr<Committer> committer;
  };
  std::map<uint64_t, Outstanding> outstanding_;
};

}  // namespace squall::kafka
