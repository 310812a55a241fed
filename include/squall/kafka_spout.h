#pragma once
// KafkaSpout: Storm's storm-kafka-client spout on librdkafka, with Storm's names and semantics:
// manual, deterministic partition assignment (no consumer-group rebalancing), the four
// FirstPollOffsetStrategy values with Storm's first-deploy / redeploy / restart behaviour,
// AT_LEAST_ONCE / AT_MOST_ONCE / NO_GUARANTEE, commits of the contiguous acked prefix only,
// exponential-backoff retries, per-partition metrics.
//
//   auto conf = KafkaSpoutConfig::builder("localhost:9092", {"orders"})
//                   .setGroupId("orders-reader")
//                   .setFirstPollOffsetStrategy(FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST)
//                   .setProp("fetch.wait.max.ms", "10")
//                   .build();
//   builder.setSpout("orders", KafkaSpout(conf), 2);
//
// YAML topologies name it "org.apache.storm.kafka.spout.KafkaSpout" with one constructor
// argument: a map of settings (src/kafka/README.md lists the keys), or, as Storm's Flux files
// write it, a ref to a KafkaSpoutConfig component (KafkaSpoutConfig::fromFlux).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "squall/components.h"
#include "squall/fields.h"
#include "squall/kafka_consumer.h"
#include "squall/value.h"

namespace squall::kafka {

enum class FirstPollOffsetStrategy { EARLIEST, LATEST, UNCOMMITTED_EARLIEST, UNCOMMITTED_LATEST };
enum class ProcessingGuarantee { AT_LEAST_ONCE, AT_MOST_ONCE, NO_GUARANTEE };

const char* toString(FirstPollOffsetStrategy s);
const char* toString(ProcessingGuarantee g);
// IllegalArgumentException listing the valid names.
FirstPollOffsetStrategy parseFirstPollOffsetStrategy(const std::string& name);
ProcessingGuarantee parseProcessingGuarantee(const std::string& name);

// ---------------------------------------------------------------------------------------------
// Record translation.

// A tuple and the stream it goes to (Storm's KafkaTuple: Values routed to a stream).
struct KafkaTuple {
  Values values;
  std::string stream = kDefaultStream;
};

// Record -> tuple (Storm's RecordTranslator). nullopt skips the record (see emitNullTuples).
// Shared by every task of the spout: apply() must be safe to call from several threads.
class RecordTranslator {
 public:
  virtual ~RecordTranslator() = default;
  virtual std::optional<KafkaTuple> apply(const ConsumerRecord& record) const = 0;
  virtual Fields getFieldsFor(const std::string& stream) const = 0;
  virtual std::vector<std::string> streams() const { return {kDefaultStream}; }
  // What the spout calls: the record is not used afterwards, so a translator may move its
  // strings into the tuple instead of copying them. Defaults to apply().
  virtual std::optional<KafkaTuple> take(ConsumerRecord&& record) const { return apply(record); }
};

// Fields topic, partition, offset, key, value, on `stream` (default "default").
class DefaultRecordTranslator : public RecordTranslator {
 public:
  explicit DefaultRecordTranslator(std::string stream = kDefaultStream, bool bytesKey = false,
                                   bool bytesValue = false)
      : stream_(std::move(stream)), bytesKey_(bytesKey), bytesValue_(bytesValue) {}
  std::optional<KafkaTuple> apply(const ConsumerRecord& record) const override;
  std::optional<KafkaTuple> take(ConsumerRecord&& record) const override;
  Fields getFieldsFor(const std::string& stream) const override;
  std::vector<std::string> streams() const override { return {stream_}; }
  static const Fields& fields();

 private:
  std::string stream_;
  bool bytesKey_;
  bool bytesValue_;
};

// Wraps a function (Storm's SimpleRecordTranslator): its nullopt stays a skip.
class SimpleRecordTranslator : public RecordTranslator {
 public:
  using Func = std::function<std::optional<Values>(const ConsumerRecord&)>;
  SimpleRecordTranslator(Func func, Fields fields, std::string stream = kDefaultStream)
      : func_(std::move(func)), fields_(std::move(fields)), stream_(std::move(stream)) {}
  std::optional<KafkaTuple> apply(const ConsumerRecord& record) const override;
  Fields getFieldsFor(const std::string& stream) const override;
  std::vector<std::string> streams() const override { return {stream_}; }

 private:
  Func func_;
  Fields fields_;
  std::string stream_;
};

// Picks a translator by the record's topic (Storm's ByTopicRecordTranslator). Registering a
// topic twice is an IllegalStateException-like IllegalArgumentException, as is one stream
// declared with two different Fields.
class ByTopicRecordTranslator : public RecordTranslator {
 public:
  explicit ByTopicRecordTranslator(std::shared_ptr<const RecordTranslator> defaultTranslator);
  ByTopicRecordTranslator(SimpleRecordTranslator::Func func, Fields fields,
                          std::string stream = kDefaultStream);
  ByTopicRecordTranslator& forTopic(const std::string& topic,
                                    std::shared_ptr<const RecordTranslator> translator);
  ByTopicRecordTranslator& forTopic(const std::string& topic, SimpleRecordTranslator::Func func,
                                    Fields fields, std::string stream = kDefaultStream);
  std::optional<KafkaTuple> apply(const ConsumerRecord& record) const override;
  std::optional<KafkaTuple> take(ConsumerRecord&& record) const override;
  Fields getFieldsFor(const std::string& stream) const override;
  std::vector<std::string> streams() const override;

 private:
  void addStreams(const RecordTranslator& t);
  std::shared_ptr<const RecordTranslator> default_;
  std::map<std::string, std::shared_ptr<const RecordTranslator>, std::less<>> byTopic_;
  std::map<std::string, Fields> streamFields_;
};

// ---------------------------------------------------------------------------------------------
// Retries.

// Which record failed, and how often (Storm's KafkaSpoutMessageId as the retry service and
// the tuple listener see it).
struct KafkaSpoutMessageId {
  TopicPartition tp;
  int64_t offset = 0;
  int numFails = 0;
};

using RetryClock = std::chrono::steady_clock;

// Storm's KafkaSpoutRetryService: when failed records are emitted again. A config holds a
// prototype; each spout task works on its own clone(). Spout thread only.
class KafkaSpoutRetryService {
 public:
  virtual ~KafkaSpoutRetryService() = default;
  // Schedules (or reschedules) a retry after `id.numFails` failures; false when the retry
  // limit is reached, and the spout then gives up on the record.
  virtual bool schedule(const KafkaSpoutMessageId& id, RetryClock::time_point now) = 0;
  virtual bool remove(const TopicPartition& tp, int64_t offset) = 0;
  // Drops the schedules of partitions not in `partitions`.
  virtual void retainAll(const std::set<TopicPartition>& partitions) = 0;
  // Per partition, the smallest offset whose retry is due.
  virtual std::map<TopicPartition, int64_t> earliestRetriableOffsets(
      RetryClock::time_point now) const = 0;
  // Up to `max` offsets whose retry is due, the longest due first (the spout re-emits those
  // it still holds a copy of without a seek). Defaults to earliestRetriableOffsets().
  virtual std::vector<std::pair<TopicPartition, int64_t>> readyOffsets(RetryClock::time_point now,
                                                                       size_t max) const {
    std::vector<std::pair<TopicPartition, int64_t>> out;
    for (auto& e : earliestRetriableOffsets(now)) {
      if (out.size() >= max) break;
      out.push_back(e);
    }
    return out;
  }
  virtual bool isReady(const TopicPartition& tp, int64_t offset,
                       RetryClock::time_point now) const = 0;
  virtual bool isScheduled(const TopicPartition& tp, int64_t offset) const = 0;
  virtual size_t readyMessageCount(RetryClock::time_point now) const = 0;
  virtual size_t scheduledCount() const = 0;
  // A fresh service with the same policy and nothing scheduled.
  virtual std::unique_ptr<KafkaSpoutRetryService> clone() const = 0;
};

// Storm's KafkaSpoutRetryExponentialBackoff. Delay after the k-th failure: k = 1 →
// initialDelay; k ≥ 2 → delayPeriod × 2^(k−1); never more than maxDelay. A record is emitted
// at most 1 + maxRetries times; past that it is acked (so commits move on) and logged.
class KafkaSpoutRetryExponentialBackoff : public KafkaSpoutRetryService {
 public:
  struct TimeInterval {
    std::chrono::nanoseconds length;
    static TimeInterval seconds(int64_t n) { return {std::chrono::seconds(n)}; }
    static TimeInterval milliSeconds(int64_t n) { return {std::chrono::milliseconds(n)}; }
    static TimeInterval microSeconds(int64_t n) { return {std::chrono::microseconds(n)}; }
  };
  static constexpr int kRetryForever = 2147483647;

  // Storm's defaults: 0 s, 2 ms, retry forever, 10 s.
  KafkaSpoutRetryExponentialBackoff()
      : KafkaSpoutRetryExponentialBackoff(TimeInterval::seconds(0), TimeInterval::milliSeconds(2),
                                          kRetryForever, TimeInterval::seconds(10)) {}
  KafkaSpoutRetryExponentialBackoff(TimeInterval initialDelay, TimeInterval delayPeriod,
                                    int maxRetries, TimeInterval maxDelay);

  bool schedule(const KafkaSpoutMessageId& id, RetryClock::time_point now) override;
  bool remove(const TopicPartition& tp, int64_t offset) override;
  void retainAll(const std::set<TopicPartition>& partitions) override;
  std::map<TopicPartition, int64_t> earliestRetriableOffsets(
      RetryClock::time_point now) const override;
  std::vector<std::pair<TopicPartition, int64_t>> readyOffsets(RetryClock::time_point now,
                                                               size_t max) const override;
  bool isReady(const TopicPartition& tp, int64_t offset, RetryClock::time_point now) const override;
  bool isScheduled(const TopicPartition& tp, int64_t offset) const override;
  size_t readyMessageCount(RetryClock::time_point now) const override;
  size_t scheduledCount() const override { return due_.size(); }
  std::unique_ptr<KafkaSpoutRetryService> clone() const override;

  // The delay after `numFails` failures.
  std::chrono::nanoseconds delayFor(int numFails) const;
  int maxRetries() const { return maxRetries_; }

 private:
  using Key = std::pair<TopicPartition, int64_t>;
  TimeInterval initialDelay_, delayPeriod_, maxDelay_;
  int maxRetries_;
  std::map<Key, RetryClock::time_point> due_;
  std::set<std::pair<RetryClock::time_point, Key>> byDue_;
};

// ---------------------------------------------------------------------------------------------
// Hooks (Storm's KafkaTupleListener). Shared by every task of the spout: thread-safe.

class KafkaTupleListener {
 public:
  virtual ~KafkaTupleListener() = default;
  virtual void open(const Config&, TopologyContext&) {}
  virtual void onEmit(const KafkaSpoutMessageId&) {}
  // Once per record whose ack takes effect (late acks for revoked partitions and duplicate
  // acks are ignored and not reported).
  virtual void onAck(const KafkaSpoutMessageId&) {}
  virtual void onPartitionsReassigned(const std::vector<TopicPartition>&) {}
  virtual void onRetry(const KafkaSpoutMessageId&) {}
  virtual void onMaxRetryReached(const KafkaSpoutMessageId&) {}
};

// ---------------------------------------------------------------------------------------------
// Configuration.

// Topics by regular expression; a topic matches when the whole name matches (Java's
// Pattern.matcher(name).matches()).
struct TopicPattern {
  explicit TopicPattern(std::string re) : regex(std::move(re)) {}
  std::string regex;
};

class KafkaSpoutConfig;
using KafkaConsumerFactory =
    std::function<std::unique_ptr<KafkaConsumer>(const KafkaSpoutConfig& config, int taskId)>;

class KafkaSpoutConfig {
 public:
  static constexpr int64_t kDefaultOffsetCommitPeriodMs = 30'000;
  static constexpr int64_t kDefaultMaxUncommittedOffsets = 10'000'000;
  static constexpr int64_t kDefaultPollTimeoutMs = 0;  // Storm: 200; see pollTimeoutMs()
  static constexpr int64_t kDefaultPartitionRefreshPeriodMs = 2'000;
  static constexpr int64_t kDefaultMaxPollRecords = 500;
  static constexpr int64_t kDefaultMetricsLogPeriodMs = 60'000;

  class Builder {
   public:
    Builder(std::string bootstrapServers, std::vector<std::string> topics);
    Builder(std::string bootstrapServers, TopicPattern pattern);

    // A librdkafka consumer property, passed through (enable.auto.commit is refused: use
    // setProcessingGuarantee). key.deserializer / value.deserializer take Kafka's
    // StringDeserializer (default) or ByteArrayDeserializer class names, or "string"/"bytes".
    Builder& setProp(const std::string& key, std::string value);
    Builder& setProp(const std::map<std::string, std::string>& props);
    Builder& setGroupId(std::string groupId) { return setProp("group.id", std::move(groupId)); }
    Builder& setFirstPollOffsetStrategy(FirstPollOffsetStrategy s);
    Builder& setProcessingGuarantee(ProcessingGuarantee g);
    Builder& setOffsetCommitPeriodMs(int64_t ms);
    Builder& setMaxUncommittedOffsets(int64_t n);
    Builder& setPollTimeoutMs(int64_t ms);
    Builder& setPartitionRefreshPeriodMs(int64_t ms);
    Builder& setRetry(std::shared_ptr<const KafkaSpoutRetryService> retry);
    Builder& setRecordTranslator(std::shared_ptr<const RecordTranslator> translator);
    Builder& setRecordTranslator(SimpleRecordTranslator::Func func, Fields fields,
                                 std::string stream = kDefaultStream);
    Builder& setEmitNullTuples(bool emit);
    Builder& setTupleTrackingEnforced(bool enforced);
    Builder& setTupleListener(std::shared_ptr<KafkaTupleListener> listener);
    // Most records taken from the consumer per poll (Kafka's max.poll.records).
    Builder& setMaxPollRecords(int64_t n);
    // How often each task logs its partition metrics; 0 = never.
    Builder& setMetricsLogPeriodMs(int64_t ms);
    // Replaces the librdkafka consumer (tests: a scripted fake).
    Builder& setConsumerFactory(KafkaConsumerFactory factory);

    // Validates; IllegalArgumentException naming the bad setting.
    KafkaSpoutConfig build() const;

   private:
    friend class KafkaSpoutConfig;
    std::shared_ptr<KafkaSpoutConfig> c_;
  };

  static Builder builder(std::string bootstrapServers, std::vector<std::string> topics) {
    return Builder(std::move(bootstrapServers), std::move(topics));
  }
  // builder(servers, {"a", "b"}): an initializer list is a better match than a pattern.
  static Builder builder(std::string bootstrapServers, std::initializer_list<std::string> topics) {
    return Builder(std::move(bootstrapServers), std::vector<std::string>(topics));
  }
  static Builder builder(std::string bootstrapServers, TopicPattern pattern) {
    return Builder(std::move(bootstrapServers), std::move(pattern));
  }
  // From a YAML/registry argument map (keys in src/kafka/README.md). IllegalArgumentException
  // naming an unknown key or a bad value.
  static KafkaSpoutConfig fromMap(const Map& m);
  // From Storm's Flux form: a KafkaSpoutConfig component (built from a KafkaSpoutConfig$Builder
  // component with properties and configMethods), the builder itself, or a KafkaSpout component
  // holding one. IllegalArgumentException naming the component and the supported form.
  static KafkaSpoutConfig fromFlux(const Value& component);
  // From a KafkaSpout's registry constructor arguments: one map (fromMap) or one Flux
  // component (fromFlux).
  static KafkaSpoutConfig fromArgs(const Values& args);

  const std::string& bootstrapServers() const { return bootstrap_; }
  const std::vector<std::string>& topics() const { return topics_; }
  const std::optional<TopicPattern>& topicPattern() const { return pattern_; }
  // Comma-separated topics, or the pattern (Storm's TopicFilter.getTopicsString()).
  std::string topicsString() const;
  std::optional<std::string> groupId() const;
  // Every property handed to librdkafka, after build()'s adjustments.
  const std::map<std::string, std::string>& kafkaProps() const { return props_; }
  FirstPollOffsetStrategy firstPollOffsetStrategy() const { return firstPoll_; }
  ProcessingGuarantee processingGuarantee() const { return guarantee_; }
  int64_t offsetCommitPeriodMs() const { return commitPeriodMs_; }
  int64_t maxUncommittedOffsets() const { return maxUncommitted_; }
  // Longest time nextTuple waits for records when it has nothing else to emit. Squall's
  // default is 0 (never block; the executor idles on its own) where Storm's is 200 ms.
  int64_t pollTimeoutMs() const { return pollTimeoutMs_; }
  int64_t partitionRefreshPeriodMs() const { return refreshPeriodMs_; }
  int64_t maxPollRecords() const { return maxPollRecords_; }
  int64_t metricsLogPeriodMs() const { return metricsLogPeriodMs_; }
  bool emitNullTuples() const { return emitNullTuples_; }
  bool tupleTrackingEnforced() const { return tupleTrackingEnforced_; }
  const KafkaSpoutRetryService& retry() const { return *retry_; }
  const RecordTranslator& translator() const { return *translator_; }
  const std::shared_ptr<KafkaTupleListener>& tupleListener() const { return listener_; }
  const KafkaConsumerFactory& consumerFactory() const { return consumerFactory_; }
  bool bytesKeys() const { return bytesKeys_; }
  bool bytesValues() const { return bytesValues_; }

 private:
  KafkaSpoutConfig() = default;
  std::string bootstrap_;
  std::vector<std::string> topics_;
  std::optional<TopicPattern> pattern_;
  std::map<std::string, std::string> props_;
  FirstPollOffsetStrategy firstPoll_ = FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST;
  ProcessingGuarantee guarantee_ = ProcessingGuarantee::AT_LEAST_ONCE;
  int64_t commitPeriodMs_ = kDefaultOffsetCommitPeriodMs;
  int64_t maxUncommitted_ = kDefaultMaxUncommittedOffsets;
  int64_t pollTimeoutMs_ = kDefaultPollTimeoutMs;
  int64_t refreshPeriodMs_ = kDefaultPartitionRefreshPeriodMs;
  int64_t maxPollRecords_ = kDefaultMaxPollRecords;
  int64_t metricsLogPeriodMs_ = kDefaultMetricsLogPeriodMs;
  bool emitNullTuples_ = false;
  bool tupleTrackingEnforced_ = false;
  bool translatorSet_ = false;
  bool bytesKeys_ = false;
  bool bytesValues_ = false;
  std::shared_ptr<const KafkaSpoutRetryService> retry_;
  std::shared_ptr<const RecordTranslator> translator_;
  std::shared_ptr<KafkaTupleListener> listener_;
  KafkaConsumerFactory consumerFactory_;
};

// ---------------------------------------------------------------------------------------------
// Metrics.

// One partition as a spout task last saw it (Storm's kafkaOffset metrics). Computed on the
// spout thread and published as a snapshot.
struct KafkaPartitionMetrics {
  TopicPartition tp;
  int64_t logEndOffset = -1;     // latest log end seen by the fetcher; -1 unknown
  int64_t committedOffset = -1;  // next offset to process, as committed (or the start)
  int64_t latestEmittedOffset = -1;
  int64_t lag = -1;                // logEndOffset − committedOffset; -1 unknown
  int64_t recordsEmitted = 0;      // tuples emitted for this partition by this task
  int64_t uncommittedOffsets = 0;  // emitted and not yet committed (AT_LEAST_ONCE)
};

struct KafkaSpoutMetrics {
  std::string stormId;
  std::string componentId;
  int taskId = 0;
  std::vector<KafkaPartitionMetrics> partitions;  // the current assignment, sorted
  int64_t commitsOk = 0;
  int64_t commitsFailed = 0;
  int64_t retries = 0;            // fails scheduled for retry
  int64_t maxRetriesReached = 0;  // records given up on
};

// Snapshots of every open KafkaSpout task in this process (a later issue exports them to
// Prometheus). Any thread.
std::vector<KafkaSpoutMetrics> kafkaSpoutMetrics();

// ---------------------------------------------------------------------------------------------

class KafkaSpout : public IRichSpout {
 public:
  explicit KafkaSpout(KafkaSpoutConfig config);
  // The registry form: one argument, a map (KafkaSpoutConfig::fromMap) or a Flux component
  // (KafkaSpoutConfig::fromFlux).
  explicit KafkaSpout(const Values& args);
  // Copies the configuration only (each task gets a fresh copy before open).
  KafkaSpout(const KafkaSpout& other);
  KafkaSpout& operator=(const KafkaSpout&) = delete;
  ~KafkaSpout() override;

  void open(const Config& conf, TopologyContext& context, SpoutOutputCollector& collector) override;
  void close() override;
  void activate() override;
  void deactivate() override;
  void nextTuple() override;
  void ack(const Value& messageId) override;
  void fail(const Value& messageId) override;
  void declareOutputFields(OutputFieldsDeclarer& declarer) override;
  Map getComponentConfiguration() override;

  const KafkaSpoutConfig& config() const { return config_; }
  // The latest metrics snapshot of this task (any thread).
  KafkaSpoutMetrics metrics() const;

  class Impl;

 private:
  KafkaSpoutConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::kafka
