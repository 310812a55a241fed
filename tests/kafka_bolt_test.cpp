// KafkaBolt against librdkafka's mock cluster: acks on delivery reports, fails (and reports)
// on delivery errors, fire-and-forget, the field-name mapper, topic selectors, the YAML map
// form, synchronous sends. Storm reference: kafka-spout.md §5.

#include "kafka_test_support.h"

using namespace squall;
using namespace squall::kafka_test;
using namespace std::chrono_literals;

namespace {

// What the source spout saw, shared by its copies.
struct SourceState {
  std::mutex mu;
  std::set<int64_t> acked;
  int64_t fails = 0;
  std::atomic<int64_t> emitted{0};
  size_t ackedCount() {
    std::lock_guard lock(mu);
    return acked.size();
  }
  int64_t failCount() {
    std::lock_guard lock(mu);
    return fails;
  }
};

// Emits ["k<i>", "m<i>", topic-or-null] with message id i for i < count; replays failures
// when asked to.
class Source : public BaseRichSpout {
 public:
  Source(std::shared_ptr<SourceState> st, int count, bool replay,
         std::function<Value(int)> topic = nullptr)
      : st_(std::move(st)), count_(count), replay_(replay), topic_(std::move(topic)) {}
  void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out_ = &c; }
  void nextTuple() override {
    int i;
    if (!replays_.empty()) {
      i = replays_.front();
      replays_.pop_front();
    } else if (next_ < count_) {
      i = next_++;
    } else {
      return;
    }
    out_->emit(Values{"k" + std::to_string(i), "m" + std::to_string(i), topic_ ? topic_(i) : Value()},
               Value(i));
    st_->emitted.fetch_add(1);
  }
  void ack(const Value& id) override {
    std::lock_guard lock(st_->mu);
    st_->acked.insert(id.asInt());
  }
  void fail(const Value& id) override {
    {
      std::lock_guard lock(st_->mu);
      ++st_->fails;
    }
    if (replay_) replays_.push_back(static_cast<int>(id.asInt()));
  }
  void declareOutputFields(OutputFieldsDeclarer& d) override {
    d.declare(Fields{"key", "message", "topic"});
  }

 private:
  std::shared_ptr<SourceState> st_;
  int count_;
  bool replay_;
  std::function<Value(int)> topic_;
  SpoutOutputCollector* out_ = nullptr;
  int next_ = 0;
  std::deque<int> replays_;
};

template <class Bolt>
StormTopology boltTopology(std::shared_ptr<SourceState> st, int count, bool replay, Bolt bolt,
                           std::function<Value(int)> topic = nullptr) {
  TopologyBuilder b;
  b.setSpout("source", Source(std::move(st), count, replay, std::move(topic)));
  b.setBolt("to-kafka", std::move(bolt)).shuffleGrouping("source");
  return b.createTopology();
}

Config conf() {
  Config c;
  c.setNumAckers(1);
  c.setMessageTimeoutSecs(30);
  return c;
}

// Every record of `topic` as key -> values (a key can repeat: at-least-once).
std::map<std::string, std::vector<std::string>> consumeAll(const std::string& bootstrap,
                                                            const std::string& topic,
                                                            int partitions, size_t atLeast) {
  std::map<std::string, std::vector<std::string>> out;
  char err[512];
  rd_kafka_t* c = rd_kafka_new(
      RD_KAFKA_CONSUMER,
      kafka_test::conf({{"bootstrap.servers", bootstrap}, {"group.id", "reader"},
                        {"enable.auto.commit", "false"}}),
      err, sizeof err);
  EXPECT_NE(c, nullptr) << err;
  if (!c) return out;
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(l, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(c, l);
  rd_kafka_topic_partition_list_destroy(l);
  size_t n = 0;
  waitFor([&] {
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 10)) {
      if (!m->err) {
        std::string key = m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "<null>";
        out[key].emplace_back(static_cast<char*>(m->payload), m->len);
        ++n;
      }
      rd_kafka_message_destroy(m);
    }
    return n >= atLeast;
  }, 30s);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return out;
}

}  // namespace

TEST(KafkaBolt, AcksEachTupleWhenItsRecordIsDelivered) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("out", 2);
  auto st = std::make_shared<SourceState>();
  KafkaBolt bolt;
  bolt.withProducerProperties({{"bootstrap.servers", kafka.bootstrapServers()}, {"linger.ms", "5"}})
      .withTopicSelector("out");
  LocalCluster cluster;
  cluster.submitTopology("bolt", conf(), boltTopology(st, 500, false, bolt));
  ASSERT_TRUE(waitFor([&] { return st->ackedCount() == 500; }, 30s)) << st->ackedCount();
  EXPECT_EQ(st->failCount(), 0);
  cluster.killTopologyWithOpts("bolt", KillOptions{0});
  auto records = consumeAll(kafka.bootstrapServers(), "out", 2, 500);
  ASSERT_EQ(records.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    auto it = records.find("k" + std::to_string(i));
    ASSERT_NE(it, records.end()) << i;
    EXPECT_EQ(it->second, std::vector<std::string>{"m" + std::to_string(i)});
  }
}

// The broker refuses some produce requests: their tuples fail (and the error is reported),
// the spout replays them, and in the end every message is in the topic.
TEST(KafkaBolt, FailsTuplesWhoseDeliveryFails) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("out", 1);
  kafka.pushRequestErrors(0 /* Produce */, {29, 29, 29});  // TOPIC_AUTHORIZATION_FAILED
  auto st = std::make_shared<SourceState>();
  KafkaBolt bolt;
  bolt.withProducerProperties({{"bootstrap.servers", kafka.bootstrapServers()}, {"linger.ms", "2"}})
      .withTopicSelector("out");
  LocalCluster cluster;
  cluster.submitTopology("failing", conf(), boltTopology(st, 200, true, bolt));
  ASSERT_TRUE(waitFor([&] { return st->ackedCount() == 200; }, 30s)) << st->ackedCount();
  EXPECT_GT(st->failCount(), 0);
  // Reported, throttled: the broker's refusal of the topic, on delivery (or, once librdkafka
  // caches the topic error, already when sending).
  auto errors = errorsMatching(cluster, "failing", "TOPIC_AUTHORIZATION_FAILED");
  EXPECT_FALSE(errors.empty());
  EXPECT_LE(errors.size(), 4u) << "one report per kind per 10 s";
  cluster.killTopologyWithOpts("failing", KillOptions{0});
  EXPECT_EQ(consumeAll(kafka.bootstrapServers(), "out", 1, 200).size(), 200u);
}

// Fire-and-forget acks as soon as the record is handed over, even with every broker down;
// the default mode fails those tuples when their delivery times out.
TEST(KafkaBolt, FireAndForgetAcksAtOnceWhileReportsWaitForTheBroker) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("out", 1);
  kafka.setBrokerDown(-1);
  const std::map<std::string, std::string> props{{"bootstrap.servers", kafka.bootstrapServers()},
                                                 {"message.timeout.ms", "1000"}};
  LocalCluster cluster;
  auto st = std::make_shared<SourceState>();
  KafkaBolt fireAndForget;
  fireAndForget.withProducerProperties(props).withTopicSelector("out").setFireAndForget(true);
  cluster.submitTopology("faf", conf(), boltTopology(st, 50, false, fireAndForget));
  ASSERT_TRUE(waitFor([&] { return st->ackedCount() == 50; }, 20s));
  EXPECT_EQ(st->failCount(), 0);
  cluster.killTopologyWithOpts("faf", KillOptions{0});

  auto st2 = std::make_shared<SourceState>();
  KafkaBolt reliable;
  reliable.withProducerProperties(props).withTopicSelector("out");
  cluster.submitTopology("reliable", conf(), boltTopology(st2, 50, false, reliable));
  ASSERT_TRUE(waitFor([&] { return st2->failCount() == 50; }, 20s)) << st2->failCount();
  EXPECT_EQ(st2->ackedCount(), 0u);
  EXPECT_FALSE(errorsMatching(cluster, "reliable", "timed out").empty());
  cluster.killTopologyWithOpts("reliable", KillOptions{0});
}

// The YAML form: custom field names, topic from a field with a default, a null topic
// (acked and dropped), a tuple without the message field (failed and reported).
TEST(KafkaBolt, MapFormWithFieldTopicSelectorAndCustomFields) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("even", 1);
  kafka.createTopic("fallback", 1);
  auto st = std::make_shared<SourceState>();
  KafkaBolt bolt(Values{Map{{"bootstrap.servers", kafka.bootstrapServers()},
                            {"topic.field", "topic"},
                            {"topic", "fallback"},
                            {"key.field", "message"},
                            {"message.field", "key"},
                            {"kafka", Map{{"linger.ms", 1}}}}});
  LocalCluster cluster;
  cluster.submitTopology("mapped", conf(),
                         boltTopology(st, 30, false, bolt, [](int i) -> Value {
                           if (i % 3 == 2) return Value();  // no topic: acked, dropped
                           return i % 3 == 0 ? Value("even") : Value("fallback");
                         }));
  ASSERT_TRUE(waitFor([&] { return st->ackedCount() == 30; }, 20s));
  cluster.killTopologyWithOpts("mapped", KillOptions{0});
  auto even = consumeAll(kafka.bootstrapServers(), "even", 1, 10);
  auto fallback = consumeAll(kafka.bootstrapServers(), "fallback", 1, 10);
  EXPECT_EQ(even.size(), 10u);
  EXPECT_EQ(fallback.size(), 10u);
  // Swapped mapping: the key is the "message" field, the value the "key" field.
  EXPECT_EQ(even.at("m0"), std::vector<std::string>{"k0"});

  // Missing message field: fail and report.
  struct NoMessage : BaseRichSpout {
    std::shared_ptr<SourceState> st;
    SpoutOutputCollector* out = nullptr;
    bool done = false;
    void open(const Config&, TopologyContext&, SpoutOutputCollector& c) override { out = &c; }
    void nextTuple() override {
      if (!done) out->emit(Values{"x"}, Value(1));
      done = true;
    }
    void fail(const Value&) override {
      std::lock_guard lock(st->mu);
      ++st->fails;
    }
    void declareOutputFields(OutputFieldsDeclarer& d) override { d.declare(Fields{"other"}); }
  };
  auto st2 = std::make_shared<SourceState>();
  NoMessage spout;
  spout.st = st2;
  TopologyBuilder b;
  b.setSpout("source", spout);
  b.setBolt("to-kafka", KafkaBolt().withProducerProperties(
                            {{"bootstrap.servers", kafka.bootstrapServers()}}))
      .shuffleGrouping("source");
  Config c = conf();
  c.set("topic", "fallback");  // Storm's fallback selector: the topology's "topic"
  cluster.submitTopology("nomessage", c, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return st2->failCount() == 1; }, 20s));
  EXPECT_FALSE(errorsMatching(cluster, "nomessage", "message").empty());
  cluster.killTopologyWithOpts("nomessage", KillOptions{0});
}

TEST(KafkaBolt, SynchronousSendsAckInOrder) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("sync", 1);
  auto st = std::make_shared<SourceState>();
  KafkaBolt bolt;
  bolt.withProducerProperties({{"bootstrap.servers", kafka.bootstrapServers()}})
      .withTopicSelector("sync")
      .setAsync(false);
  LocalCluster cluster;
  cluster.submitTopology("sync", conf(), boltTopology(st, 20, false, bolt));
  ASSERT_TRUE(waitFor([&] { return st->ackedCount() == 20; }, 20s));
  cluster.killTopologyWithOpts("sync", KillOptions{0});
  EXPECT_EQ(consumeAll(kafka.bootstrapServers(), "sync", 1, 20).size(), 20u);
}

TEST(KafkaBolt, RejectsABadConfiguration) {
  EXPECT_THROW(KafkaBolt(Values{Map{{"bootstrap.servers", "x"}, {"topic.feild", "t"}}}),
               IllegalArgumentException);
  EXPECT_THROW(FieldIndexTopicSelector(-1, "t"), IllegalArgumentException);
  // No selector and no "topic" in the configuration: prepare fails, naming the bolt.
  DevKafkaCluster kafka(1);
  TopologyBuilder b;
  auto st = std::make_shared<SourceState>();
  b.setSpout("source", Source(st, 1, false));
  b.setBolt("to-kafka", KafkaBolt().withProducerProperties(
                            {{"bootstrap.servers", kafka.bootstrapServers()}}))
      .shuffleGrouping("source");
  LocalCluster cluster;
  cluster.submitTopology("noselector", conf(), b.createTopology());
  EXPECT_TRUE(waitFor([&] { return !errorsMatching(cluster, "noselector", "no topic selector").empty(); }, 20s));
  cluster.killTopologyWithOpts("noselector", KillOptions{0});
}

// Stopping is bounded whatever the broker does: with every broker down and records waiting
// in the producer, the bolt's cleanup flushes for a bounded time, fails the rest and returns
// (it used to flush for 10 s, then destroy the producer without a bound).
TEST(KafkaBolt, StopsWithinTheBudgetWhileBrokersAreDown) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("out", 1);
  kafka.setBrokerDown(-1);
  auto st = std::make_shared<SourceState>();
  KafkaBolt bolt;
  bolt.withProducerProperties({{"bootstrap.servers", kafka.bootstrapServers()}})
      .withTopicSelector("out");
  LocalCluster cluster;
  cluster.submitTopology("down", conf(), boltTopology(st, 50, false, bolt));
  // The records go to the producer, where they wait for a broker.
  ASSERT_TRUE(waitFor([&] { return st->emitted.load() == 50; }, 10s));
  auto start = std::chrono::steady_clock::now();
  cluster.killTopologyWithOpts("down", KillOptions{0});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LE(took, 5s) << std::chrono::duration<double>(took).count() << " s";
  EXPECT_EQ(st->ackedCount(), 0u);
}
