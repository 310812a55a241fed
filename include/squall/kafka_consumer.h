#pragma once
// The small consumer interface KafkaSpout is written against, and the Kafka types it uses.
// One implementation drives librdkafka (src/kafka/rdkafka_consumer.cpp); tests drive a scripted
// fake (offset gaps, partition growth, failing commits) through the same interface, the way
// Storm's own tests mock KafkaConsumer.
//
// Threading: the "control plane" calls (partitionsFor, listTopics, committed, watermarks) may
// run on the spout's discovery thread while the spout thread makes the "data plane" calls;
// an implementation must allow that. Data-plane calls never block beyond their timeout.

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "squall/errors.h"

namespace squall::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // Topic name, then partition number: Storm's TopicPartitionComparator, so every task sorts
  // the partitions the same way.
  auto operator<=>(const TopicPartition&) const = default;
  bool operator==(const TopicPartition&) const = default;
  std::string toString() const { return topic + "-" + std::to_string(partition); }
};

// An offset to commit: "the next offset to process", plus Storm's commit metadata JSON.
struct OffsetAndMetadata {
  int64_t offset = -1;
  std::string metadata;
};

// One record as the consumer returned it. A null key or value (a tombstone) is nullopt.
struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;  // ms since the epoch, -1 when unknown
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// The outcome of one asynchronous commit (see KafkaConsumer::commitAsync).
struct CommitResult {
  uint64_t token = 0;
  std::string error;  // empty on success
  // Partitions the broker refused although the request as a whole succeeded.
  std::vector<std::pair<TopicPartition, std::string>> partitionErrors;
  bool ok() const { return error.empty(); }
};

// A Kafka operation failed. `retriable()` says whether trying again later can help (a broker
// that is down, a coordinator moving) as opposed to a configuration mistake.
class KafkaException : public SquallError {
 public:
  KafkaException(const std::string& what, bool retriable)
      : SquallError(what), retriable_(retriable) {}
  bool retriable() const { return retriable_; }

 private:
  bool retriable_;
};

// Logical start offsets for assign().
inline constexpr int64_t kOffsetBeginning = -2;
inline constexpr int64_t kOffsetEnd = -1;

class KafkaConsumer {
 public:
  virtual ~KafkaConsumer() = default;

  // --- Control plane (blocking up to the consumer's request timeout; may run on another
  // thread than the data plane). Failures throw KafkaException.

  // The partitions of `topics`, sorted. Topics that do not exist are skipped and listed in
  // `missing`.
  virtual std::vector<TopicPartition> partitionsFor(const std::vector<std::string>& topics,
                                                    std::vector<std::string>* missing) = 0;
  // Every topic name the cluster knows.
  virtual std::vector<std::string> listTopics() = 0;
  // Committed offsets of the consumer group; nullopt where nothing is committed.
  virtual std::map<TopicPartition, std::optional<OffsetAndMetadata>> committed(
      const std::vector<TopicPartition>& partitions) = 0;
  // Log start and log end offsets.
  virtual std::pair<int64_t, int64_t> watermarks(const TopicPartition& tp) = 0;

  // --- Data plane (the spout thread only; never blocks longer than the given timeout).

  // Adds partitions at absolute start offsets and removes others; partitions in neither list
  // keep their fetch position and anything already fetched for them.
  virtual void assign(const std::vector<std::pair<TopicPartition, int64_t>>& add,
                      const std::vector<TopicPartition>& remove) = 0;
  // The next poll returns records of `tp` from `offset` on; nothing fetched earlier for it.
  virtual void seek(const TopicPartition& tp, int64_t offset) = 0;
  virtual void pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual void resume(const std::vector<TopicPartition>& partitions) = 0;
  // Appends up to `maxRecords` records, in offset order per partition, waiting at most
  // `timeout` for the first. Errors the caller should know about (a broker down, a partition
  // reset) are appended to `errors` as text; they never stop the consumer.
  virtual size_t poll(std::vector<ConsumerRecord>& out, size_t maxRecords,
                      std::chrono::milliseconds timeout, std::vector<std::string>& errors) = 0;
  // Starts a commit; its CommitResult, tagged with `token`, comes out of pollCommitResults.
  virtual void commitAsync(const std::vector<std::pair<TopicPartition, OffsetAndMetadata>>& offsets,
                           uint64_t token) = 0;
  // Results of finished commits, waiting at most `timeout` for the first one.
  virtual std::vector<CommitResult> pollCommitResults(std::chrono::milliseconds timeout) = 0;
  // The log end offset last seen by the fetcher, without a request; nullopt when unknown.
  virtual std::optional<int64_t> cachedLogEndOffset(const TopicPartition& tp) = 0;
  // Makes control-plane calls blocked on other threads give up soon (throwing
  // KafkaException); called when the spout stops, before close(). Any thread.
  virtual void interrupt() {}
  // Leaves the cluster within a bounded time, whatever the brokers do. No call may follow.
  virtual void close() = 0;
};

}  // namespace squall::kafka
