#pragma once
// KafkaBolt: writes tuples to Kafka (Storm's storm-kafka-client KafkaBolt) through a librdkafka
// producer, one per bolt task. A mapper takes the key and message from the tuple, a selector
// picks the topic. By default each tuple is acked when its delivery report says the record is
// stored and failed (with reportError) when delivery fails; with fireAndForget it is acked as
// soon as it is handed to the producer. Delivery reports are served by a poll thread of the
// bolt, so execute() never waits for the broker. Emits nothing.
//
//   builder.setBolt("to-kafka", KafkaBolt()
//                       .withProducerProperties({{"bootstrap.servers", servers}})
//                       .withTopicSelector("out"), 1)
//       .shuffleGrouping("upstream");
//
// YAML topologies name it "org.apache.storm.kafka.bolt.KafkaBolt" with one constructor
// argument, a map of settings (src/kafka/README.md lists the keys).

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "squall/components.h"
#include "squall/value.h"

namespace squall::kafka {

// Tuple -> record key and message (Storm's TupleToKafkaMapper).
class TupleToKafkaMapper {
 public:
  virtual ~TupleToKafkaMapper() = default;
  // nullptr = no key.
  virtual const Value* getKeyFromTuple(const Tuple& tuple) const = 0;
  virtual const Value& getMessageFromTuple(const Tuple& tuple) const = 0;
};

// Fields "key" and "message" by default. A missing key field means no key; a missing message
// field is an error and the tuple fails.
class FieldNameBasedTupleToKafkaMapper : public TupleToKafkaMapper {
 public:
  FieldNameBasedTupleToKafkaMapper() : FieldNameBasedTupleToKafkaMapper("key", "message") {}
  FieldNameBasedTupleToKafkaMapper(std::string keyField, std::string messageField)
      : keyField_(std::move(keyField)), messageField_(std::move(messageField)) {}
  const Value* getKeyFromTuple(const Tuple& tuple) const override;
  const Value& getMessageFromTuple(const Tuple& tuple) const override;

 private:
  std::string keyField_;
  std::string messageField_;
};

// Tuple -> topic (Storm's KafkaTopicSelector). nullopt: the tuple is acked and dropped.
class KafkaTopicSelector {
 public:
  virtual ~KafkaTopicSelector() = default;
  virtual std::optional<std::string> getTopic(const Tuple& tuple) const = 0;
};

class DefaultTopicSelector : public KafkaTopicSelector {
 public:
  explicit DefaultTopicSelector(std::string topic) : topic_(std::move(topic)) {}
  std::optional<std::string> getTopic(const Tuple&) const override { return topic_; }

 private:
  std::string topic_;
};

// The field's string value, or `defaultTopic` when the tuple has no such field.
class FieldNameTopicSelector : public KafkaTopicSelector {
 public:
  FieldNameTopicSelector(std::string field, std::string defaultTopic)
      : field_(std::move(field)), default_(std::move(defaultTopic)) {}
  std::optional<std::string> getTopic(const Tuple& tuple) const override;

 private:
  std::string field_;
  std::string default_;
};

// The value at `index`, or `defaultTopic` when the tuple is shorter. A negative index is an
// IllegalArgumentException.
class FieldIndexTopicSelector : public KafkaTopicSelector {
 public:
  FieldIndexTopicSelector(int index, std::string defaultTopic);
  std::optional<std::string> getTopic(const Tuple& tuple) const override;

 private:
  int index_;
  std::string default_;
};

class KafkaBolt : public BaseRichBolt {
 public:
  KafkaBolt();
  // The registry form: one argument, a map of settings.
  explicit KafkaBolt(const Values& args);
  KafkaBolt(const KafkaBolt& other);
  KafkaBolt& operator=(const KafkaBolt&) = delete;
  ~KafkaBolt() override;

  // librdkafka producer properties (bootstrap.servers, acks, linger.ms, ...).
  KafkaBolt& withProducerProperties(const std::map<std::string, std::string>& props);
  KafkaBolt& withTupleToKafkaMapper(std::shared_ptr<const TupleToKafkaMapper> mapper);
  KafkaBolt& withTopicSelector(std::shared_ptr<const KafkaTopicSelector> selector);
  KafkaBolt& withTopicSelector(const std::string& topic);
  // Ack as soon as the record is handed to the producer; delivery errors are then unseen.
  KafkaBolt& setFireAndForget(bool fireAndForget);
  // false: execute() waits for each record's delivery report (slow; Storm's async=false).
  KafkaBolt& setAsync(bool async);
  // How long execute() keeps retrying while the producer queue is full before failing the
  // tuple (Java's max.block.ms). Default 60 s.
  KafkaBolt& setMaxBlockMs(int64_t ms);

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override;
  void execute(const Tuple& input) override;
  void cleanup() override;
  void declareOutputFields(OutputFieldsDeclarer&) override {}

  // Records handed to the producer and not yet reported delivered or failed (any thread).
  int64_t inFlight() const;

  class Impl;

 private:
  struct Settings {
    std::map<std::string, std::string> props;
    std::shared_ptr<const TupleToKafkaMapper> mapper;
    std::shared_ptr<const KafkaTopicSelector> selector;
    bool fireAndForget = false;
    bool async = true;
    int64_t maxBlockMs = 60'000;
  };
  Settings settings_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::kafka
