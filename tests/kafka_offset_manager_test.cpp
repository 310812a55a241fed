// The pure parts of the Kafka spout: OffsetManager (commit rule, voids, limits), the
// exponential-backoff retry service, commit metadata, config building and the argument map.
// Storm reference: kafka-spout.md §1, §3, §4.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <random>
#include <set>

#include "kafka/commit_metadata.h"
#include "kafka/offset_manager.h"

using namespace squall;
using namespace squall::kafka;
using namespace std::chrono_literals;

namespace {

OffsetManager withEmitted(int64_t start, std::initializer_list<int64_t> emitted) {
  OffsetManager m(start);
  for (auto o : emitted) EXPECT_TRUE(m.addToEmitted(o));
  return m;
}

}  // namespace

TEST(OffsetManager, CommitsTheContiguousAckedPrefix) {
  auto m = withEmitted(0, {0, 1, 2, 3, 4});
  EXPECT_EQ(m.findNextCommitOffset(), std::nullopt);
  m.addToAcked(1);
  m.addToAcked(2);
  EXPECT_EQ(m.findNextCommitOffset(), std::nullopt) << "0 is still in flight";
  m.addToAcked(0);
  EXPECT_EQ(m.findNextCommitOffset(), 3) << "commit = last processed + 1";
  EXPECT_EQ(m.commit(3), 3);
  EXPECT_EQ(m.committedOffset(), 3);
  EXPECT_TRUE(m.hasCommitted());
  EXPECT_EQ(m.numUncommittedOffsets(), 2);
  EXPECT_EQ(m.findNextCommitOffset(), std::nullopt);
  m.addToAcked(4);
  m.addToAcked(3);
  EXPECT_EQ(m.findNextCommitOffset(), 5);
}

TEST(OffsetManager, PassesVoidsOnlyWhenTheNextEmittedOffsetIsAcked) {
  // Storm's examples: 3 and 4 were compacted away.
  auto m = withEmitted(0, {0, 1, 2, 5, 6});
  for (auto o : {0, 1, 2, 5}) m.addToAcked(o);
  EXPECT_EQ(m.findNextCommitOffset(), 6) << "one step over the void";

  auto n = withEmitted(0, {0, 1, 2, 5, 6});
  for (auto o : {0, 1, 2, 6}) n.addToAcked(o);
  EXPECT_EQ(n.findNextCommitOffset(), 3) << "5 is in flight";

  auto f = withEmitted(0, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  for (int o = 1; o <= 9; ++o) f.addToAcked(o);
  f.markFailed(0);
  EXPECT_EQ(f.findNextCommitOffset(), std::nullopt) << "a failed offset blocks everything after it";
}

TEST(OffsetManager, AVoidAtTheStartAndHugeGapsCostNothing) {
  OffsetManager m(100);
  m.addToEmitted(5'000'000'000LL);  // a gap of five billion offsets (retention, compaction)
  m.addToEmitted(5'000'000'007LL);
  m.addToAcked(5'000'000'000LL);
  EXPECT_EQ(m.findNextCommitOffset(), 5'000'000'001LL);
  m.addToAcked(5'000'000'007LL);
  EXPECT_EQ(m.findNextCommitOffset(), 5'000'000'008LL);
  m.commit(5'000'000'008LL);
  EXPECT_EQ(m.numUncommittedOffsets(), 0);
  EXPECT_EQ(m.latestEmittedOffset(), 5'000'000'007LL);
}

TEST(OffsetManager, RefusesOffsetsBelowTheCommitPointAndDuplicates) {
  auto m = withEmitted(10, {10, 11});
  EXPECT_FALSE(m.addToEmitted(9));
  EXPECT_FALSE(m.addToAcked(9));
  EXPECT_TRUE(m.addToAcked(10));
  EXPECT_FALSE(m.addToAcked(10)) << "a duplicate ack";
  EXPECT_FALSE(m.addToEmitted(10)) << "an acked offset is never emitted again";
  EXPECT_EQ(m.numAcked(), 1);
  m.commit(11);
  EXPECT_EQ(m.state(10), OffsetState::kNotEmitted);
  EXPECT_FALSE(m.addToAcked(10));
  EXPECT_EQ(m.commit(5), 0) << "an older commit is ignored";
  EXPECT_EQ(m.committedOffset(), 11);
}

TEST(OffsetManager, NullTuplesCountAsEmittedAndAcked) {
  OffsetManager m(0);
  m.addToEmitted(0);
  EXPECT_TRUE(m.addToAcked(1));  // never emitted: Storm's null-tuple path
  m.addToAcked(0);
  EXPECT_EQ(m.findNextCommitOffset(), 2);
}

TEST(OffsetManager, CountsUncommittedOffsetsAndFindsTheNth) {
  auto m = withEmitted(0, {1, 2, 8, 10});
  EXPECT_EQ(m.numUncommittedOffsets(), 4);
  EXPECT_EQ(m.nthUncommittedOffsetAfterCommittedOffset(3), 8);
  EXPECT_EQ(m.nthUncommittedOffsetAfterCommittedOffset(4), 10);
  EXPECT_EQ(m.nthUncommittedOffsetAfterCommittedOffset(5), std::nullopt);
  m.addToAcked(1);
  EXPECT_EQ(m.numUncommittedOffsets(), 4) << "acked offsets count until committed";
  m.commit(2);
  EXPECT_EQ(m.numUncommittedOffsets(), 3);
  EXPECT_EQ(m.nthUncommittedOffsetAfterCommittedOffset(1), 2);
}

// Against a simple model (sets, as Storm keeps them), over random emits, acks, fails, voids
// and commits across chunk boundaries.
TEST(OffsetManager, AgreesWithASetModelOnRandomHistories) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 40; ++round) {
    int64_t start = static_cast<int64_t>(rng() % 10'000);
    OffsetManager m(start);
    std::set<int64_t> emitted, acked;
    int64_t committed = start, next = start;
    for (int step = 0; step < 3000; ++step) {
      int op = static_cast<int>(rng() % 10);
      if (op < 4) {
        next += 1 + ((rng() % 20) == 0 ? static_cast<int64_t>(rng() % 6000) : 0);  // voids
        m.addToEmitted(next);
        emitted.insert(next);
      } else if (op < 8 && !emitted.empty()) {
        auto it =
            emitted.lower_bound(committed + static_cast<int64_t>(rng() % (next - committed + 1)));
        if (it == emitted.end()) continue;
        if (!acked.count(*it)) {
          EXPECT_TRUE(m.addToAcked(*it));
          acked.insert(*it);
        }
      } else if (op == 8) {
        // The model: one past the largest acked a with every emitted offset in [c, a] acked.
        std::optional<int64_t> want;
        for (auto e : emitted) {
          if (!acked.count(e)) break;
          want = e + 1;
        }
        ASSERT_EQ(m.findNextCommitOffset(), want) << "round " << round << " step " << step;
        if (want) {
          m.commit(*want);
          committed = *want;
          emitted.erase(emitted.begin(), emitted.lower_bound(*want));
          acked.erase(acked.begin(), acked.lower_bound(*want));
        }
      }
      ASSERT_EQ(m.numUncommittedOffsets(), static_cast<int64_t>(emitted.size()));
      ASSERT_EQ(m.numAcked(), static_cast<int64_t>(acked.size()));
    }
  }
}

// --- Retry service -------------------------------------------------------------------------------

TEST(RetryExponentialBackoff, DelaysDoubleFromThePeriodAndStopAtTheMaximum) {
  using TI = KafkaSpoutRetryExponentialBackoff::TimeInterval;
  KafkaSpoutRetryExponentialBackoff r;  // Storm's default: 0 s, 2 ms, forever, 10 s
  EXPECT_EQ(r.delayFor(1), 0ns);
  EXPECT_EQ(r.delayFor(2), 4ms);
  EXPECT_EQ(r.delayFor(3), 8ms);
  EXPECT_EQ(r.delayFor(13), 8192ms);
  EXPECT_EQ(r.delayFor(14), 10s);
  EXPECT_EQ(r.delayFor(1000), 10s) << "no overflow";
  KafkaSpoutRetryExponentialBackoff custom(TI::milliSeconds(50), TI::milliSeconds(10), 3,
                                           TI::milliSeconds(25));
  EXPECT_EQ(custom.delayFor(1), 25ms) << "even the initial delay is capped";
  EXPECT_EQ(custom.delayFor(2), 20ms);
  EXPECT_EQ(custom.delayFor(3), 25ms);
}

TEST(RetryExponentialBackoff, SchedulesUntilMaxRetriesAndReportsDueOffsets) {
  using TI = KafkaSpoutRetryExponentialBackoff::TimeInterval;
  KafkaSpoutRetryExponentialBackoff r(TI::milliSeconds(0), TI::milliSeconds(10), 2, TI::seconds(1));
  TopicPartition a{"a", 0}, b{"b", 1};
  auto t0 = RetryClock::now();
  EXPECT_TRUE(r.schedule({a, 5, 1}, t0));
  EXPECT_TRUE(r.schedule({a, 3, 2}, t0));  // due at +20 ms
  EXPECT_TRUE(r.schedule({b, 7, 1}, t0));
  EXPECT_FALSE(r.schedule({b, 8, 3}, t0)) << "emitted 1 + maxRetries times already";
  EXPECT_FALSE(r.isScheduled(b, 8));
  EXPECT_EQ(r.readyMessageCount(t0), 2u);
  auto due = r.earliestRetriableOffsets(t0);
  EXPECT_EQ(due.at(a), 5);
  EXPECT_EQ(due.at(b), 7);
  EXPECT_FALSE(r.isReady(a, 3, t0));
  EXPECT_TRUE(r.isReady(a, 3, t0 + 20ms));
  EXPECT_EQ(r.earliestRetriableOffsets(t0 + 20ms).at(a), 3);
  r.retainAll({a});
  EXPECT_FALSE(r.isScheduled(b, 7));
  EXPECT_TRUE(r.remove(a, 5));
  EXPECT_EQ(r.scheduledCount(), 1u);
  auto fresh = r.clone();
  EXPECT_EQ(fresh->scheduledCount(), 0u);

  KafkaSpoutRetryExponentialBackoff none(TI::seconds(0), TI::seconds(0), 0, TI::seconds(0));
  EXPECT_FALSE(none.schedule({a, 1, 1}, t0)) << "maxRetries 0: the first failure gives up";
}

// --- Commit metadata -----------------------------------------------------------------------------

TEST(CommitMetadata, RoundTripsStormsJson) {
  std::string m = makeCommitMetadata("word \"count\"-1-1700000000", 7, "executor[kafka 7]");
  EXPECT_EQ(
      m,
      R"({"topologyId":"word \"count\"-1-1700000000","taskId":7,"threadName":"executor[kafka 7]"})");
  EXPECT_EQ(commitMetadataTopologyId(m), "word \"count\"-1-1700000000");
  // Storm's Java writes the same keys, maybe in another order and with spaces.
  EXPECT_EQ(commitMetadataTopologyId(
                R"( { "taskId" : 3, "x": {"y": [1, "}"]}, "topologyId" : "t-2-9" } )"),
            "t-2-9");
  EXPECT_EQ(commitMetadataTopologyId(""), std::nullopt);
  EXPECT_EQ(commitMetadataTopologyId("kcat was here"), std::nullopt);
  EXPECT_EQ(commitMetadataTopologyId(R"({"taskId":3})"), std::nullopt);
  // What Java's JSON writer may put in: \u escapes of any character, which are the same id.
  EXPECT_EQ(commitMetadataTopologyId(R"({"topologyId":"caf\u00e9-1-2"})"), "caf\xc3\xa9-1-2");
  std::string unicode = "caf\xc3\xa9 \xe2\x82\xac-3-4";
  EXPECT_EQ(commitMetadataTopologyId(makeCommitMetadata(unicode, 1, "t")), unicode);
  // Not JSON, or not an object with a string id: not ours.
  EXPECT_EQ(commitMetadataTopologyId(R"({"topologyId":"a"} trailing)"), std::nullopt);
  EXPECT_EQ(commitMetadataTopologyId(R"({"topologyId":"\u12"})"), std::nullopt);
  EXPECT_EQ(commitMetadataTopologyId(R"({"topologyId":42})"), std::nullopt);
  EXPECT_EQ(commitMetadataTopologyId(R"(["topologyId","a"])"), std::nullopt);
  // Deep nesting is read without recursion.
  EXPECT_EQ(commitMetadataTopologyId("{\"x\":" + std::string(200000, '[')), std::nullopt);
}

// --- Config --------------------------------------------------------------------------------------

TEST(KafkaSpoutConfig, BuildAppliesStormsPropertyRules) {
  auto c = KafkaSpoutConfig::builder("b:9092", {"t"}).setGroupId("g").build();
  EXPECT_EQ(c.kafkaProps().at("bootstrap.servers"), "b:9092");
  EXPECT_EQ(c.kafkaProps().at("enable.auto.commit"), "false");
  EXPECT_EQ(c.kafkaProps().at("auto.offset.reset"), "earliest") << "AT_LEAST_ONCE replays";
  // librdkafka 2.0 would pause fetching for a second each time 100000 records wait locally.
  EXPECT_EQ(c.kafkaProps().at("queued.min.messages"), "10000000");
  EXPECT_EQ(KafkaSpoutConfig::builder("b", {"t"})
                .setProp("queued.min.messages", "5000")
                .build()
                .kafkaProps()
                .at("queued.min.messages"),
            "5000")
      << "the user's value wins";
  EXPECT_EQ(c.firstPollOffsetStrategy(), FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST);
  EXPECT_EQ(c.processingGuarantee(), ProcessingGuarantee::AT_LEAST_ONCE);
  EXPECT_EQ(c.offsetCommitPeriodMs(), 30'000);
  EXPECT_EQ(c.maxUncommittedOffsets(), 10'000'000);
  EXPECT_EQ(c.partitionRefreshPeriodMs(), 2'000);
  EXPECT_EQ(c.groupId(), "g");
  EXPECT_EQ(c.translator().getFieldsFor("default"),
            (Fields{"topic", "partition", "offset", "key", "value"}));

  auto amo = KafkaSpoutConfig::builder("b", {"t"})
                 .setProcessingGuarantee(ProcessingGuarantee::AT_MOST_ONCE)
                 .build();
  EXPECT_EQ(amo.kafkaProps().count("auto.offset.reset"), 0u) << "left to the consumer default";
  auto explicitReset =
      KafkaSpoutConfig::builder("b", {"t"}).setProp("auto.offset.reset", "latest").build();
  EXPECT_EQ(explicitReset.kafkaProps().at("auto.offset.reset"), "latest");

  EXPECT_THROW(KafkaSpoutConfig::builder("b", {"t"}).setProp("enable.auto.commit", "true").build(),
               IllegalArgumentException);
  EXPECT_THROW(KafkaSpoutConfig::builder("", {"t"}).build(), IllegalArgumentException);
  EXPECT_THROW(KafkaSpoutConfig::builder("b", std::vector<std::string>{}).build(),
               IllegalArgumentException);
  EXPECT_THROW(KafkaSpoutConfig::builder("b", TopicPattern{"(unclosed"}).build(),
               IllegalArgumentException);
  EXPECT_THROW(KafkaSpoutConfig::builder("b", {"t"}).setMaxUncommittedOffsets(0).build(),
               IllegalArgumentException);
}

TEST(KafkaSpoutConfig, FromMapMirrorsTheBuilder) {
  Map retry{
      {"initial.delay.ms", 5}, {"delay.period.ms", 1}, {"max.retries", 3}, {"max.delay.ms", 100}};
  Map kafka{{"fetch.wait.max.ms", 10}, {"value.deserializer", "bytes"}};
  Map m{{"bootstrap.servers", "h:1"},
        {"topics", List{"a", "b"}},
        {"group.id", "g"},
        {"first.poll.offset.strategy", "LATEST"},
        {"processing.guarantee", "NO_GUARANTEE"},
        {"offset.commit.period.ms", 1000},
        {"max.uncommitted.offsets", 50},
        {"partition.refresh.period.ms", "300"},
        {"emit.null.tuples", true},
        {"retry", retry},
        {"kafka", kafka},
        {"topic.streams", Map{{"b", "b_stream"}}}};
  auto c = KafkaSpoutConfig::fromMap(m);
  EXPECT_EQ(c.topics(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.firstPollOffsetStrategy(), FirstPollOffsetStrategy::LATEST);
  EXPECT_EQ(c.processingGuarantee(), ProcessingGuarantee::NO_GUARANTEE);
  EXPECT_EQ(c.offsetCommitPeriodMs(), 1000);
  EXPECT_EQ(c.maxUncommittedOffsets(), 50);
  EXPECT_EQ(c.partitionRefreshPeriodMs(), 300);
  EXPECT_TRUE(c.emitNullTuples());
  EXPECT_EQ(c.kafkaProps().at("fetch.wait.max.ms"), "10");
  EXPECT_EQ(c.kafkaProps().count("value.deserializer"), 0u) << "ours, not librdkafka's";
  EXPECT_TRUE(c.bytesValues());
  auto streams = c.translator().streams();
  EXPECT_EQ(streams, (std::vector<std::string>{"b_stream", "default"}));
  ConsumerRecord r{"b", 2, 40, -1, std::nullopt, std::string("v")};
  auto t = c.translator().apply(r);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->stream, "b_stream");
  EXPECT_EQ(t->values[4], Value(Bytes{"v"}));
  EXPECT_TRUE(t->values[3].isNull()) << "a null key stays null";
  EXPECT_EQ(dynamic_cast<const KafkaSpoutRetryExponentialBackoff&>(c.retry()).maxRetries(), 3);

  auto p = KafkaSpoutConfig::fromMap(Map{{"bootstrap.servers", "h"}, {"topic.pattern", "x.*"}});
  EXPECT_EQ(p.topicPattern()->regex, "x.*");
  auto csv = KafkaSpoutConfig::fromMap(Map{{"bootstrap.servers", "h"}, {"topics", "a,b"}});
  EXPECT_EQ(csv.topics().size(), 2u);

  // Mistakes name the key.
  auto message = [](const Map& bad) {
    try {
      KafkaSpoutConfig::fromMap(bad);
    } catch (const IllegalArgumentException& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(
      message(Map{{"bootstrap.servers", "h"}, {"topics", "a"}, {"grup.id", "g"}}).find("'grup.id'"),
      std::string::npos);
  EXPECT_NE(message(Map{{"topics", "a"}}).find("bootstrap.servers"), std::string::npos);
  EXPECT_NE(
      message(Map{{"bootstrap.servers", "h"}, {"topics", "a"}, {"max.uncommitted.offsets", "x"}})
          .find("max.uncommitted.offsets"),
      std::string::npos);
  EXPECT_NE(message(Map{{"bootstrap.servers", "h"},
                        {"topics", "a"},
                        {"first.poll.offset.strategy", "TIMESTAMP"}})
                .find("Trident"),
            std::string::npos);
  EXPECT_NE(message(Map{{"bootstrap.servers", "h"}}).find("topics"), std::string::npos);
}

TEST(RecordTranslators, ByTopicDispatchAndFieldConflicts) {
  auto byTopic = std::make_shared<ByTopicRecordTranslator>(
      [](const ConsumerRecord& r) { return std::optional<Values>(Values{*r.value}); }, Fields{"v"});
  byTopic->forTopic(
      "skip", [](const ConsumerRecord&) { return std::optional<Values>(); }, Fields{"v"});
  EXPECT_THROW(byTopic->forTopic("skip", std::make_shared<DefaultRecordTranslator>()),
               IllegalArgumentException);
  EXPECT_THROW(byTopic->forTopic(
                   "other", [](const ConsumerRecord&) { return std::optional<Values>(); },
                   Fields{"different"}),
               IllegalArgumentException)
      << "one stream, two field lists";
  ConsumerRecord r{"any", 0, 1, -1, std::nullopt, std::string("x")};
  EXPECT_EQ(byTopic->apply(r)->values, Values{"x"});
  r.topic = "skip";
  EXPECT_FALSE(byTopic->apply(r));
}

TEST(KafkaComponents, AreRegisteredUnderStormsClassNames) {
  auto& reg = ComponentRegistry::global();
  ASSERT_NE(reg.findComponent("org.apache.storm.kafka.spout.KafkaSpout"), nullptr);
  ASSERT_NE(reg.findComponent("org.apache.storm.kafka.bolt.KafkaBolt"), nullptr);
  auto spout = (*reg.findComponent("org.apache.storm.kafka.spout.KafkaSpout"))(
      Values{Map{{"bootstrap.servers", "h:1"}, {"topics", List{"t"}}}});
  OutputFieldsDeclarer d;
  asComponent(spout).declareOutputFields(d);
  EXPECT_EQ(d.streams().at("default").fields.size(), 5u);
  EXPECT_THROW((*reg.findComponent("org.apache.storm.kafka.spout.KafkaSpout"))(Values{"h:1"}),
               IllegalArgumentException);
  EXPECT_THROW(
      (*reg.findComponent("org.apache.storm.kafka.bolt.KafkaBolt"))(Values{Map{{"topic", "t"}}}),
      IllegalArgumentException)
      << "no bootstrap.servers";
}
