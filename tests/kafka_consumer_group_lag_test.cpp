// consumerGroupLag (src/kafka/consumer_group_lag.h): a consumer group's lag read from the
// brokers alone, as `squall ui` shows a cluster's Kafka spouts, against librdkafka's mock cluster.

#include "kafka/consumer_group_lag.h"

#include <chrono>

#include "kafka_test_support.h"

namespace squall::kafka_test {
namespace {

// Commits `offset` for `tp` as group `group`, the way a spout's committer does (assign mode).
void commit(const std::string& bootstrap, const std::string& group, const std::string& topic,
            int partition, int64_t offset) {
  char err[512];
  rd_kafka_t* c =
      rd_kafka_new(RD_KAFKA_CONSUMER, conf({{"bootstrap.servers", bootstrap}, {"group.id", group}}),
                   err, sizeof err);
  ASSERT_NE(c, nullptr) << err;
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic.c_str(), partition)->offset = offset;
  EXPECT_EQ(rd_kafka_commit(c, l, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
}

KafkaSpoutConfig spoutConfig(const Map& m) {
  return KafkaSpoutConfig::fromArgs(Values{Value(m)});
}

TEST(ConsumerGroupLag, EndAndCommittedOffsetsPerPartition) {
  DevKafkaCluster kafka(1);
  const std::string bs = kafka.bootstrapServers();
  kafka.createTopic("in", 2);
  kafka.createTopic("other", 1);
  produce(bs, "in", 30, 0);
  produce(bs, "in", 10, 1);
  produce(bs, "other", 4, 0);
  commit(bs, "g", "in", 0, 25);

  auto lag = consumerGroupLag(
      spoutConfig(
          Map{{"bootstrap.servers", Value(bs)}, {"topics", Value("in")}, {"group.id", Value("g")}}),
      5000);
  ASSERT_EQ(lag.size(), 2u);
  EXPECT_EQ(lag[0].topic, "in");
  EXPECT_EQ(lag[0].partition, 0);
  EXPECT_EQ(lag[0].logEndOffset, 30);
  EXPECT_EQ(lag[0].committedOffset, 25);
  EXPECT_EQ(lag[0].lag, 5);
  // Nothing committed: the offset and the lag are unknown, as a local run shows them.
  EXPECT_EQ(lag[1].partition, 1);
  EXPECT_EQ(lag[1].logEndOffset, 10);
  EXPECT_EQ(lag[1].committedOffset, -1);
  EXPECT_EQ(lag[1].lag, -1);

  // A pattern matches whole topic names, as the spout's does.
  auto byPattern = consumerGroupLag(spoutConfig(Map{{"bootstrap.servers", Value(bs)},
                                                    {"topic.pattern", Value("oth.*")},
                                                    {"group.id", Value("g")}}),
                                    5000);
  ASSERT_EQ(byPattern.size(), 1u);
  EXPECT_EQ(byPattern[0].topic, "other");
  EXPECT_EQ(byPattern[0].logEndOffset, 4);
}

TEST(ConsumerGroupLag, NoGroupNoTopicAndNoBrokerAreErrorsNamingThem) {
  DevKafkaCluster kafka(1);
  const std::string bs = kafka.bootstrapServers();
  try {
    consumerGroupLag(spoutConfig(Map{{"bootstrap.servers", Value(bs)}, {"topics", Value("in")}}),
                     5000);
    FAIL() << "no group.id";
  } catch (const KafkaException& e) {
    EXPECT_NE(std::string(e.what()).find("group.id"), std::string::npos) << e.what();
  }
  try {
    consumerGroupLag(spoutConfig(Map{{"bootstrap.servers", Value(bs)},
                                     {"topics", Value("absent")},
                                     {"group.id", Value("g")}}),
                     5000);
    FAIL() << "no such topic";
  } catch (const KafkaException& e) {
    EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos) << e.what();
  }
  // Every broker down: an error within the request timeout, not a hang.
  kafka.setBrokerDown(-1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(consumerGroupLag(spoutConfig(Map{{"bootstrap.servers", Value(bs)},
                                                {"topics", Value("in")},
                                                {"group.id", Value("g")}}),
                                1000),
               KafkaException);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace squall::kafka_test
