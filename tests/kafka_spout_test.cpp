// KafkaSpout in running topologies. Against the scripted fake consumer: what the mock cluster
// cannot do (offset gaps, compaction, partition growth, precise outages), every
// FirstPollOffsetStrategy on first deploy and redeploy, restarts, guarantees, limits, retries.
// Against librdkafka's mock cluster, in this process and as a separate process: exactly one
// ack per record under random failures, commits reaching the end, redeploys, broker outages.
// Storm reference: kafka-spout.md §1-§4.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kafka_test_support.h"

using namespace squall;
using namespace squall::kafka_test;
using namespace std::chrono_literals;

namespace {

// Topology: KafkaSpout "kafka" -> FlakyBolt "bolt".
StormTopology spoutTopology(const KafkaSpoutConfig& config, int spoutTasks,
                            std::shared_ptr<FlakyStats> stats, double failRate, int boltTasks = 1) {
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config), spoutTasks);
  b.setBolt("bolt", FlakyBolt(std::move(stats), failRate), boltTasks).shuffleGrouping("kafka");
  return b.createTopology();
}

Config topoConf(int ackers = 1) {
  Config c;
  c.setNumAckers(ackers);
  c.setMessageTimeoutSecs(10);
  return c;
}

KafkaSpoutConfig::Builder fakeBuilder(const std::shared_ptr<FakeBroker>& broker,
                                      std::vector<std::string> topics,
                                      const std::shared_ptr<Ledger>& ledger) {
  auto b = KafkaSpoutConfig::builder("fake:9092", std::move(topics));
  b.setGroupId("g")
      .setConsumerFactory(fakeFactory(broker))
      .setTupleListener(ledger)
      .setOffsetCommitPeriodMs(50)
      .setPartitionRefreshPeriodMs(100)
      .setMetricsLogPeriodMs(0);
  return b;
}

std::optional<KafkaSpoutMetrics> metricsOf(const std::string& component, int taskIndex = -1) {
  auto all = kafkaSpoutMetrics();
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.taskId < b.taskId; });
  int i = 0;
  for (auto& m : all) {
    if (m.componentId != component) continue;
    if (taskIndex < 0 || i++ == taskIndex) return m;
  }
  return std::nullopt;
}

bool owns(const std::string& component, int taskIndex, const TopicPartition& tp) {
  auto m = metricsOf(component, taskIndex);
  if (!m) return false;
  for (const auto& p : m->partitions) {
    if (p.tp == tp) return true;
  }
  return false;
}

void kill(LocalCluster& c, const std::string& name) { c.killTopologyWithOpts(name, KillOptions{0}); }

}  // namespace

// --- Fake consumer -------------------------------------------------------------------------------

// The issue's headline: every record acked exactly once at the spout while the bolt fails 10%
// at random, through two spout tasks and the acker; offsets with gaps; commits reach the end.
TEST(KafkaSpoutFake, ExactlyOneAckPerRecordUnderRandomFailures) {
  auto broker = std::make_shared<FakeBroker>();
  auto ledger = std::make_shared<Ledger>();
  broker->createTopic("events", 3);
  std::set<Ledger::Key> all;
  for (int p = 0; p < 3; ++p) {
    TopicPartition tp{"events", p};
    for (int i = 0; i < 400; ++i) {
      // Every 50th record leaves a gap of 3 offsets, as compaction would.
      int64_t o = broker->append(tp, "v", i % 50 == 49 ? static_cast<int64_t>(i) * 2 + 3 : -1);
      all.insert({tp, o});
    }
  }
  auto stats = std::make_shared<FlakyStats>();
  auto config = fakeBuilder(broker, {"events"}, ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("exactly-once", topoConf(), spoutTopology(config, 2, stats, 0.10, 2));
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= all.size(); }, 60s))
      << ledger->ackedRecords() << " of " << all.size();
  ASSERT_TRUE(waitFor(
      [&] {
        for (int p = 0; p < 3; ++p) {
          auto last = std::prev(all.lower_bound({TopicPartition{"events", p + 1}, 0}));
          if (broker->committedOffset({"events", p}) != last->second + 1) return false;
        }
        return true;
      },
      20s))
      << "commits did not reach the end";
  kill(cluster, "exactly-once");
  expectExactlyOneAckEach(*ledger, all);
  EXPECT_GT(stats->failed.load(), 0);
  EXPECT_EQ(ledger->retries(), stats->failed.load()) << "each failure scheduled one retry";
  EXPECT_EQ(ledger->totalEmits(), static_cast<int64_t>(all.size()) + stats->failed.load());
}

// A failed record that compaction removed before its retry: the spout sees the log skip it,
// treats it as done (Storm's STORM-2546) and commits past it. (Record 4 is larger than the
// spout keeps copies of, so its retry re-reads the log; a kept record would be re-emitted.)
TEST(KafkaSpoutFake, CompactedRetryIsAckedAndCommittedPast) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("c", 1);
  TopicPartition tp{"c", 0};
  for (int i = 0; i < 20; ++i) broker->append(tp, i == 4 ? std::string(17 << 20, 'x') : "v");

  // Fails offset 4 once; compacts it away from the log as the spout schedules the retry.
  struct CompactOnRetry : Ledger {
    std::shared_ptr<FakeBroker> broker;
    void onRetry(const KafkaSpoutMessageId& id) override {
      broker->compactAway(id.tp, id.offset);
      Ledger::onRetry(id);
    }
  };
  auto ledger = std::make_shared<CompactOnRetry>();
  ledger->broker = broker;
  struct FailFourOnce : BaseRichBolt {
    OutputCollector* out = nullptr;
    bool failed = false;
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out = &c; }
    void execute(const Tuple& t) override {
      if (t.getLongByField("offset") == 4 && !failed) {
        failed = true;
        out->fail(t);
      } else {
        out->ack(t);
      }
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(fakeBuilder(broker, {"c"}, ledger).build()));
  b.setBolt("bolt", FailFourOnce()).shuffleGrouping("kafka");
  LocalCluster cluster;
  cluster.submitTopology("compacted", topoConf(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 20; }, 20s))
      << "committed " << broker->committedOffset(tp);
  kill(cluster, "compacted");
  EXPECT_EQ(ledger->retries(), 1);
  EXPECT_EQ(ledger->emits().at({tp, 4}), 1) << "never re-emitted: it is gone";
  EXPECT_EQ(ledger->acks().at({tp, 4}), 1);
}

// Storm's KafkaSpoutRetryExponentialBackoff: a record that always fails is emitted
// 1 + maxRetries times, then acked (logged and reported) so the commit moves past it.
TEST(KafkaSpoutFake, GivesUpAfterMaxRetriesAndCommitsPast) {
  using TI = KafkaSpoutRetryExponentialBackoff::TimeInterval;
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("r", 1);
  TopicPartition tp{"r", 0};
  for (int i = 0; i < 10; ++i) broker->append(tp, "v");
  auto ledger = std::make_shared<Ledger>();
  struct AlwaysFailThree : BaseRichBolt {
    OutputCollector* out = nullptr;
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out = &c; }
    void execute(const Tuple& t) override {
      if (t.getLongByField("offset") == 3) {
        out->fail(t);
      } else {
        out->ack(t);
      }
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  auto config = fakeBuilder(broker, {"r"}, ledger)
                    .setRetry(std::make_shared<KafkaSpoutRetryExponentialBackoff>(
                        TI::milliSeconds(0), TI::milliSeconds(5), 2, TI::milliSeconds(50)))
                    .build();
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config));
  b.setBolt("bolt", AlwaysFailThree()).shuffleGrouping("kafka");
  LocalCluster cluster;
  cluster.submitTopology("give-up", topoConf(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 10; }, 20s));
  EXPECT_EQ(ledger->emits().at({tp, 3}), 3) << "1 + maxRetries emissions";
  EXPECT_EQ(ledger->gaveUp(), (std::vector<Ledger::Key>{{tp, 3}}));
  EXPECT_FALSE(errorsMatching(cluster, "give-up", "max retries").empty());
  kill(cluster, "give-up");
}

// Partitions move between tasks: new topics matching the pattern, then partition growth.
// The old owner commits its acked prefix first; its late acks are ignored; the new owner
// resumes at the commit (so only uncommitted records are seen twice); nothing is lost.
TEST(KafkaSpoutFake, ReassignmentCommitsFirstIgnoresLateAcksAndResumes) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("tb", 1);
  TopicPartition tb{"tb", 0};
  for (int i = 0; i < 100; ++i) broker->append(tb, "v");
  auto ledger = std::make_shared<Ledger>();
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto seen = std::make_shared<squall::testing::Recorder<std::pair<int, int64_t>>>();

  // Holds what spout task index 0 emits from tb-0 at offsets [50, 100) until released, then
  // acks them on the next tick: by then the partition belongs to the other task.
  struct Holder : BaseRichBolt {
    std::shared_ptr<std::atomic<bool>> release;
    std::shared_ptr<squall::testing::Recorder<std::pair<int, int64_t>>> seen;
    OutputCollector* out = nullptr;
    int firstSpoutTask = 0;
    std::vector<Tuple> held;
    void prepare(const Config&, TopologyContext& ctx, OutputCollector& c) override {
      out = &c;
      firstSpoutTask = ctx.getComponentTasks("kafka").front();
    }
    void execute(const Tuple& t) override {
      if (t.isTick()) {
        if (release->load()) {
          for (auto& h : held) out->ack(h);
          held.clear();
        }
        return;
      }
      int64_t offset = t.getLongByField("offset");
      seen->add(t.getStringByField("topic"), {t.getSourceTask(), offset});
      if (t.getSourceTask() == firstSpoutTask && t.getStringByField("topic") == "tb" &&
          offset >= 50 && offset < 100) {
        held.push_back(t);
      } else {
        out->ack(t);
      }
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  Holder holder;
  holder.release = release;
  holder.seen = seen;
  auto config = KafkaSpoutConfig::builder("fake:9092", TopicPattern{"t[a-z]"})
                    .setGroupId("g")
                    .setConsumerFactory(fakeFactory(broker))
                    .setTupleListener(ledger)
                    .setOffsetCommitPeriodMs(50)
                    .setPartitionRefreshPeriodMs(100)
                    .setMetricsLogPeriodMs(0)
                    .build();
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config), 2);
  b.setBolt("bolt", holder).shuffleGrouping("kafka").addConfiguration(
      Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1);
  LocalCluster cluster;
  cluster.submitTopology("reassign", topoConf(), b.createTopology());

  // Task 0 owns tb-0 and commits exactly the acked prefix: 50.
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tb) == 50; }, 20s));
  ASSERT_TRUE(waitFor([&] { return seen->count("tb") >= 100; }, 20s));
  EXPECT_EQ(broker->committedOffset(tb), 50) << "never past the unacked hole";

  // "ta" sorts first: task 0 takes ta-0, tb-0 moves to task 1, which resumes at 50.
  broker->createTopic("ta", 1);
  TopicPartition ta{"ta", 0};
  for (int i = 0; i < 10; ++i) broker->append(ta, "a");
  ASSERT_TRUE(waitFor([&] { return owns("kafka", 1, tb) && owns("kafka", 0, ta); }, 20s));
  release->store(true);
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tb) == 100; }, 20s));
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(ta) == 10; }, 20s));

  // Growth: ta gets a second partition; sorted [ta-0, ta-1, tb-0] puts tb-0 back on task 0.
  broker->addPartitions("ta", 1);
  TopicPartition ta1{"ta", 1};
  ASSERT_TRUE(waitFor([&] { return owns("kafka", 1, ta1) && owns("kafka", 0, tb); }, 20s));
  for (int i = 0; i < 10; ++i) broker->append(ta1, "a1");
  for (int i = 0; i < 10; ++i) broker->append(tb, "b");
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(ta1) == 10; }, 20s));
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tb) == 110; }, 20s));
  kill(cluster, "reassign");

  std::set<Ledger::Key> all;
  for (int i = 0; i < 110; ++i) all.insert({tb, i});
  for (int i = 0; i < 10; ++i) all.insert({ta, i});
  for (int i = 0; i < 10; ++i) all.insert({ta1, i});
  expectExactlyOneAckEach(*ledger, all);
  // Only the uncommitted records [50, 100) were emitted twice.
  auto emits = ledger->emits();
  for (int i = 0; i < 110; ++i) {
    EXPECT_EQ((emits[{tb, i}]), (i >= 50 && i < 100) ? 2 : 1) << "tb-0 offset " << i;
  }
}

namespace {

// First emitted offset of `tp` when a topology with `strategy` starts on 10 records
// (0..9), with or without an earlier submission's commit at 5. When the strategy starts at
// the end, a record is appended once the partition is assigned.
int64_t firstEmittedOffset(FirstPollOffsetStrategy strategy, bool foreignCommit) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("s", 1);
  TopicPartition tp{"s", 0};
  for (int i = 0; i < 10; ++i) broker->append(tp, "v");
  if (foreignCommit) {
    broker->setCommit(tp, 5, R"({"topologyId":"earlier-1-1","taskId":3,"threadName":"x"})");
  }
  auto ledger = std::make_shared<Ledger>();
  auto config = fakeBuilder(broker, {"s"}, ledger).setFirstPollOffsetStrategy(strategy).build();
  LocalCluster cluster;
  cluster.submitTopology("strategy", topoConf(), spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0));
  EXPECT_TRUE(waitFor([&] { return owns("kafka", 0, tp); }, 20s));
  bool appended = false;
  EXPECT_TRUE(waitFor(
      [&] {
        if (ledger->totalEmits() > 0) return true;
        if (!appended) {
          broker->append(tp, "new");
          appended = true;
        }
        return false;
      },
      20s));
  kill(cluster, "strategy");
  auto emits = ledger->emits();
  return emits.empty() ? -1 : emits.begin()->first.second;
}

}  // namespace

// Storm's table (kafka-spout.md §1.4): first deploy and redeploy after another submission's
// commit. (Restarts of the same submission: RestartOfTheSameSubmissionResumesAtItsCommit.)
TEST(KafkaSpoutFake, FirstPollOffsetStrategiesOnFirstDeployAndRedeploy) {
  using S = FirstPollOffsetStrategy;
  EXPECT_EQ(firstEmittedOffset(S::EARLIEST, false), 0);
  EXPECT_EQ(firstEmittedOffset(S::LATEST, false), 10);
  EXPECT_EQ(firstEmittedOffset(S::UNCOMMITTED_EARLIEST, false), 0);
  EXPECT_EQ(firstEmittedOffset(S::UNCOMMITTED_LATEST, false), 10);
  EXPECT_EQ(firstEmittedOffset(S::EARLIEST, true), 0) << "full replay";
  EXPECT_EQ(firstEmittedOffset(S::LATEST, true), 10) << "skips the backlog";
  EXPECT_EQ(firstEmittedOffset(S::UNCOMMITTED_EARLIEST, true), 5);
  EXPECT_EQ(firstEmittedOffset(S::UNCOMMITTED_LATEST, true), 5);
}

// A spout task that crashes is restarted in the same submission: it resumes at its own
// commit even with EARLIEST (STORM-2844), re-emitting only what was not committed.
TEST(KafkaSpoutFake, RestartOfTheSameSubmissionResumesAtItsCommit) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("x", 1);
  TopicPartition tp{"x", 0};
  for (int i = 0; i < 7; ++i) broker->append(tp, "v");
  auto ledger = std::make_shared<Ledger>();
  auto crashed = std::make_shared<std::atomic<bool>>(false);
  auto translator = std::make_shared<SimpleRecordTranslator>(
      [crashed](const ConsumerRecord& r) -> std::optional<Values> {
        if (r.offset == 7 && !crashed->exchange(true)) throw std::runtime_error("poison record");
        return Values{r.topic, static_cast<int64_t>(r.partition), r.offset};
      },
      Fields{"topic", "partition", "offset"});
  auto config = fakeBuilder(broker, {"x"}, ledger)
                    .setFirstPollOffsetStrategy(FirstPollOffsetStrategy::EARLIEST)
                    .setRecordTranslator(translator)
                    .build();
  LocalCluster cluster;
  cluster.submitTopology("restart", topoConf(), spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0));
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 7; }, 20s));
  for (int i = 0; i < 5; ++i) broker->append(tp, "v");
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 12; }, 20s));
  EXPECT_TRUE(crashed->load());
  EXPECT_FALSE(errorsMatching(cluster, "restart", "poison record").empty());
  kill(cluster, "restart");
  auto emits = ledger->emits();
  for (int i = 0; i < 12; ++i) EXPECT_EQ((emits[{tp, i}]), 1) << "offset " << i;
}

// maxUncommittedOffsets: per partition, emitted-but-uncommitted offsets stop the polling
// until a commit frees them (by at most one poll batch over the limit, as in Storm).
TEST(KafkaSpoutFake, MaxUncommittedOffsetsThrottlesUntilTheNextCommit) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("m", 1);
  TopicPartition tp{"m", 0};
  for (int i = 0; i < 60; ++i) broker->append(tp, "v");
  auto ledger = std::make_shared<Ledger>();
  auto config = fakeBuilder(broker, {"m"}, ledger)
                    .setMaxUncommittedOffsets(10)
                    .setMaxPollRecords(5)
                    .setOffsetCommitPeriodMs(300)
                    .build();
  LocalCluster cluster;
  cluster.submitTopology("limit", topoConf(), spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0));
  ASSERT_TRUE(waitFor([&] { return ledger->totalEmits() >= 10; }, 20s));
  // Until the first commit, no more than limit + batch - 1.
  int64_t most = 0;
  ASSERT_TRUE(waitFor([&] {
    bool committed = broker->commitCount() > 0;
    if (!committed) most = std::max(most, ledger->totalEmits());
    return committed;
  }, 20s));
  EXPECT_LE(most, 14);
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 60; }, 20s));
  kill(cluster, "limit");
}

// AT_MOST_ONCE commits the polled position before emitting anything, and never replays;
// NO_GUARANTEE commits positions on the timer.
TEST(KafkaSpoutFake, AtMostOnceCommitsBeforeEmitAndNeverReplays) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("amo", 2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 50; ++i) broker->append({"amo", p}, "v");
  }
  auto violations = std::make_shared<std::atomic<int>>(0);
  auto executed = std::make_shared<std::atomic<int>>(0);
  struct CheckCommitted : BaseRichBolt {
    std::shared_ptr<FakeBroker> broker;
    std::shared_ptr<std::atomic<int>> violations, executed;
    OutputCollector* out = nullptr;
    void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out = &c; }
    void execute(const Tuple& t) override {
      TopicPartition tp{t.getStringByField("topic"), static_cast<int32_t>(t.getLongByField("partition"))};
      if (broker->committedOffset(tp) <= t.getLongByField("offset")) violations->fetch_add(1);
      executed->fetch_add(1);
      out->fail(t);  // would be replayed under AT_LEAST_ONCE
    }
    void declareOutputFields(OutputFieldsDeclarer&) override {}
  };
  CheckCommitted bolt;
  bolt.broker = broker;
  bolt.violations = violations;
  bolt.executed = executed;
  auto ledger = std::make_shared<Ledger>();
  auto config = fakeBuilder(broker, {"amo"}, ledger)
                    .setProcessingGuarantee(ProcessingGuarantee::AT_MOST_ONCE)
                    .setTupleTrackingEnforced(true)
                    .build();
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config));
  b.setBolt("bolt", bolt).shuffleGrouping("kafka");
  LocalCluster cluster;
  cluster.submitTopology("amo", topoConf(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return executed->load() >= 100; }, 20s));
  ASSERT_TRUE(waitFor([&] { return metricsOf("kafka") && metricsOf("kafka")->partitions.size() == 2 &&
                                   metricsOf("kafka")->partitions[1].lag == 0; }, 20s));
  kill(cluster, "amo");
  EXPECT_EQ(violations->load(), 0) << "a record reached the bolt before its offset was committed";
  EXPECT_EQ(executed->load(), 100) << "failed tuples are not replayed";
  EXPECT_EQ(ledger->totalEmits(), 0) << "no at-least-once bookkeeping";

  auto ng = std::make_shared<FakeBroker>();
  ng->createTopic("ng", 1);
  for (int i = 0; i < 30; ++i) ng->append({"ng", 0}, "v");
  auto stats = std::make_shared<FlakyStats>();
  auto ngConfig = fakeBuilder(ng, {"ng"}, ledger)
                      .setProcessingGuarantee(ProcessingGuarantee::NO_GUARANTEE)
                      .build();
  cluster.submitTopology("ng", topoConf(0), spoutTopology(ngConfig, 1, stats, 0.5));
  ASSERT_TRUE(waitFor([&] { return ng->committedOffset({"ng", 0}) == 30; }, 20s));
  EXPECT_TRUE(waitFor([&] { return stats->executed.load() == 30; }, 20s));
  kill(cluster, "ng");
}

// Null tuples: a translator that skips a record still lets commits pass it; with
// emitNullTuples they are emitted (as tuples of nulls).
TEST(KafkaSpoutFake, SkippedRecordsAreCommittedAndNullTuplesCanBeEmitted) {
  for (bool emitNull : {false, true}) {
    auto broker = std::make_shared<FakeBroker>();
    broker->createTopic("n", 1);
    TopicPartition tp{"n", 0};
    for (int i = 0; i < 20; ++i) broker->append(tp, "v");
    auto ledger = std::make_shared<Ledger>();
    auto stats = std::make_shared<FlakyStats>();
    auto config =
        fakeBuilder(broker, {"n"}, ledger)
            .setRecordTranslator(
                [](const ConsumerRecord& r) -> std::optional<Values> {
                  if (r.offset % 2) return std::nullopt;
                  return Values{r.offset};
                },
                Fields{"offset"})
            .setEmitNullTuples(emitNull)
            .build();
    LocalCluster cluster;
    cluster.submitTopology("nulls", topoConf(), spoutTopology(config, 1, stats, 0));
    ASSERT_TRUE(waitFor([&] { return broker->committedOffset(tp) == 20; }, 20s));
    EXPECT_TRUE(waitFor([&] { return stats->executed.load() == (emitNull ? 20 : 10); }, 20s));
    kill(cluster, "nulls");
    EXPECT_EQ(ledger->ackedRecords(), 20u);
  }
}

// A broker outage and failing commits: clear errors are reported, nothing is committed
// before it is acked, and everything completes once the broker is back.
TEST(KafkaSpoutFake, OutageAndFailingCommitsAreReportedAndRetried) {
  auto broker = std::make_shared<FakeBroker>();
  broker->createTopic("o", 2);
  std::set<Ledger::Key> all;
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 100; ++i) all.insert({{"o", p}, broker->append({"o", p}, "v")});
  }
  auto ledger = std::make_shared<Ledger>();
  auto stats = std::make_shared<FlakyStats>();
  broker->failCommits(3);
  auto config = fakeBuilder(broker, {"o", "later"}, ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("outage", topoConf(), spoutTopology(config, 1, stats, 0.05));
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "outage", "offset commit failed").empty(); }, 20s));
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "outage", "do not exist").empty(); }, 20s))
      << "the missing topic is reported";
  ASSERT_TRUE(waitFor([&] { return broker->committedOffset({"o", 0}) == 100; }, 20s));

  broker->setDown(true);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 50; ++i) all.insert({{"o", p}, broker->append({"o", p}, "w")});
  }
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "outage", "fake broker is down").empty(); }, 20s));
  EXPECT_LE(broker->committedOffset({"o", 0}), 100);
  broker->setDown(false);
  // The topic that did not exist appears and is picked up.
  broker->createTopic("later", 1);
  for (int i = 0; i < 10; ++i) all.insert({{"later", 0}, broker->append({"later", 0}, "l")});
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() == all.size(); }, 30s))
      << ledger->ackedRecords() << " of " << all.size();
  ASSERT_TRUE(waitFor([&] {
    return broker->committedOffset({"o", 0}) == 150 && broker->committedOffset({"o", 1}) == 150 &&
           broker->committedOffset({"later", 0}) == 10;
  }, 20s));
  kill(cluster, "outage");
  expectExactlyOneAckEach(*ledger, all);
}

// --- librdkafka's mock cluster, in this process ------------------------------------------------

namespace {

KafkaSpoutConfig::Builder mockBuilder(const std::string& bootstrap, std::vector<std::string> topics,
                                      const std::string& group,
                                      const std::shared_ptr<Ledger>& ledger) {
  auto b = KafkaSpoutConfig::builder(bootstrap, std::move(topics));
  b.setGroupId(group)
      .setProp(quickProps())
      .setTupleListener(ledger)
      .setOffsetCommitPeriodMs(100)
      .setPartitionRefreshPeriodMs(500)
      .setMetricsLogPeriodMs(0);
  return b;
}

std::set<Ledger::Key> keys(const std::string& topic, const Offsets& o) {
  std::set<Ledger::Key> out;
  for (const auto& [p, end] : o.end) {
    for (int64_t i = 0; i < end; ++i) out.insert({{topic, p}, i});
  }
  return out;
}

bool committedAtEnd(const std::string& bootstrap, const std::string& group,
                    const std::string& topic, int partitions) {
  auto o = readOffsets(bootstrap, group, topic, partitions);
  for (int p = 0; p < partitions; ++p) {
    if (o.committed[p] != o.end[p]) return false;
  }
  return true;
}

}  // namespace

TEST(KafkaSpoutMock, ExactlyOneAckPerRecordAndCommitsReachTheEnd) {
  DevKafkaCluster kafka(3);
  kafka.createTopic("orders", 4, 3);
  produce(kafka.bootstrapServers(), "orders", 2000);
  auto ledger = std::make_shared<Ledger>();
  auto stats = std::make_shared<FlakyStats>();
  auto config = mockBuilder(kafka.bootstrapServers(), {"orders"}, "g1", ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("mock", topoConf(), spoutTopology(config, 2, stats, 0.10, 2));
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 2000; }, 60s))
      << ledger->ackedRecords();
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(kafka.bootstrapServers(), "g1", "orders", 4); }, 20s));
  auto offsets = readOffsets(kafka.bootstrapServers(), "g1", "orders", 4);
  expectExactlyOneAckEach(*ledger, keys("orders", offsets));
  EXPECT_GT(stats->failed.load(), 0);
  // Storm's commit metadata, naming this submission.
  EXPECT_NE(offsets.metadata[0].find("\"topologyId\":\"mock-"), std::string::npos) << offsets.metadata[0];
  // Per-partition metrics: lag 0, committed at the end, every record emitted once or more.
  ASSERT_TRUE(waitFor([&] {
    int64_t emitted = 0;
    for (const auto& m : kafkaSpoutMetrics()) {
      if (m.componentId != "kafka") continue;
      for (const auto& p : m.partitions) {
        if (p.lag != 0 || p.committedOffset != offsets.end[p.tp.partition]) return false;
        emitted += p.recordsEmitted;
      }
    }
    return emitted >= 2000;
  }, 20s));
  kill(cluster, "mock");
}

// Redeploys against the real commit path: UNCOMMITTED_EARLIEST resumes, EARLIEST replays,
// LATEST skips the backlog.
TEST(KafkaSpoutMock, RedeployResumesPerStrategy) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("log", 2);
  const std::string bs = kafka.bootstrapServers();
  produce(bs, "log", 100);
  LocalCluster cluster;
  auto run = [&](FirstPollOffsetStrategy s, int64_t expectEmits, bool produceAfterAssign) {
    auto ledger = std::make_shared<Ledger>();
    auto config = mockBuilder(bs, {"log"}, "g", ledger).setFirstPollOffsetStrategy(s).build();
    cluster.submitTopology("redeploy", topoConf(), spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0));
    if (produceAfterAssign) {
      EXPECT_TRUE(waitFor([&] { return metricsOf("kafka") && metricsOf("kafka")->partitions.size() == 2; }, 20s));
      produce(bs, "log", 10, -1, 1000);
    }
    EXPECT_TRUE(waitFor([&] { return ledger->ackedRecords() >= static_cast<size_t>(expectEmits); }, 20s));
    EXPECT_TRUE(waitFor([&] { return committedAtEnd(bs, "g", "log", 2); }, 20s));
    kill(cluster, "redeploy");
    EXPECT_EQ(ledger->totalEmits(), expectEmits) << toString(s);
  };
  run(FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST, 100, false);
  produce(bs, "log", 50, -1, 100);
  run(FirstPollOffsetStrategy::UNCOMMITTED_EARLIEST, 50, false);
  run(FirstPollOffsetStrategy::EARLIEST, 150, false);
  run(FirstPollOffsetStrategy::LATEST, 10, true);
}

// All brokers go down while the spout works and come back: the outage and the failed
// commits are reported, and every record (also those produced after the outage) is acked
// once, with commits at the end.
TEST(KafkaSpoutMock, BrokerDownAndBack) {
  DevKafkaCluster kafka(3);
  kafka.createTopic("b", 3, 3);
  const std::string bs = kafka.bootstrapServers();
  produce(bs, "b", 600);
  auto ledger = std::make_shared<Ledger>();
  auto stats = std::make_shared<FlakyStats>();
  auto config = mockBuilder(bs, {"b"}, "gb", ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("down", topoConf(), spoutTopology(config, 1, stats, 0.05));
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 600; }, 30s));
  kafka.setBrokerDown(-1);
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "down", "KafkaSpout").empty(); }, 30s))
      << "the outage is reported";
  kafka.setBrokerUp(-1);
  produce(bs, "b", 300, -1, 600);
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 900; }, 60s)) << ledger->ackedRecords();
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gb", "b", 3); }, 30s));
  kill(cluster, "down");
  expectExactlyOneAckEach(*ledger, keys("b", readOffsets(bs, "gb", "b", 3)));
}

// Ctrl-C while every broker is down: stopping (deactivate, the kill wait of a second, close)
// takes at most the 5 s commit wait plus a second. Acked offsets wait to be committed (long
// commit period), so deactivate and close both have a commit that cannot finish; the
// KafkaBolt in the topology has records nobody can deliver. It used to take a commit wait
// each for deactivate and close, then librdkafka's consumer close and the bolt's flush.
TEST(KafkaSpoutMock, StopTakesAtMostTheCommitWaitPlusASecondWhileBrokersAreDown) {
  DevKafkaCluster kafka(3);
  kafka.createTopic("s", 3, 3);
  const std::string bs = kafka.bootstrapServers();
  produce(bs, "s", 300);
  auto ledger = std::make_shared<Ledger>();
  auto stats = std::make_shared<FlakyStats>();
  auto config = mockBuilder(bs, {"s"}, "gs", ledger).setOffsetCommitPeriodMs(600'000).build();
  KafkaBolt out;
  out.withProducerProperties({{"bootstrap.servers", bs}})
      .withTopicSelector("copy")
      .withTupleToKafkaMapper(std::make_shared<FieldNameBasedTupleToKafkaMapper>("key", "value"));
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config), 2);
  b.setBolt("bolt", FlakyBolt(stats, 0), 1).shuffleGrouping("kafka");
  b.setBolt("copy", std::move(out), 1).shuffleGrouping("kafka");
  Config conf = topoConf();
  conf.setMessageTimeoutSecs(60);
  LocalCluster cluster;
  cluster.submitTopology("stop", conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 300; }, 30s))
      << ledger->ackedRecords();
  kafka.setBrokerDown(-1);
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "stop", "KafkaSpout").empty(); }, 30s))
      << "the outage is noticed";
  auto start = std::chrono::steady_clock::now();
  cluster.killTopologyWithOpts("stop", KillOptions{1});  // squall run's Ctrl-C: --kill-wait 1
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LE(took, 6s) << std::chrono::duration<double>(took).count() << " s";
  kafka.setBrokerUp(-1);
}

// The cluster restarts with its brokers at new addresses (same node ids, same bootstrap
// address), as a development cluster restarted with --port does. librdkafka 2.0.2 keeps
// dialling the group coordinator's old address, so commits stalled for good ("Waiting for
// coordinator") while fetching recovered; the spout's consumer now replaces its commit handle
// when a commit stalls. The committed offsets reach the end of the new log.
TEST(KafkaSpoutMock, CommitsResumeWhenTheBrokersComeBackAtNewAddresses) {
  auto kafka = std::make_unique<DevKafkaCluster>(3);
  kafka->createTopic("m", 2, 3);
  int port = kafka->listenOnFixedPort(0);
  const std::string bs = "127.0.0.1:" + std::to_string(port);
  produce(bs, "m", 200);
  auto ledger = std::make_shared<Ledger>();
  auto stats = std::make_shared<FlakyStats>();
  auto config = mockBuilder(bs, {"m"}, "gm", ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("moved", topoConf(), spoutTopology(config, 1, stats, 0.05));
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gm", "m", 2); }, 30s));
  std::string before = kafka->bootstrapServers();
  kafka.reset();
  kafka = std::make_unique<DevKafkaCluster>(3);
  ASSERT_NE(kafka->bootstrapServers(), before);
  kafka->createTopic("m", 2, 3);
  ASSERT_EQ(kafka->listenOnFixedPort(port), port);
  produce(bs, "m", 300);
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gm", "m", 2); }, 40s))
      << "commits did not resume";
  kill(cluster, "moved");
}

// The same brokers go down and come back at the same addresses while the spout keeps
// committing (100 ms period): the commits that fail meanwhile are retried and reach the end.
TEST(KafkaSpoutMock, CommitsResumeWhenTheBrokersComeBackAtTheSameAddresses) {
  DevKafkaCluster kafka(3);
  kafka.createTopic("r", 2, 3);
  const std::string bs = kafka.bootstrapServers();
  produce(bs, "r", 200);
  auto ledger = std::make_shared<Ledger>();
  auto config = mockBuilder(bs, {"r"}, "gr", ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("same", topoConf(),
                         spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0.05));
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gr", "r", 2); }, 30s));
  kafka.setBrokerDown(-1);
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "same", "KafkaSpout").empty(); }, 30s));
  kafka.setBrokerUp(-1);
  produce(bs, "r", 300, -1, 200);
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 500; }, 40s))
      << ledger->ackedRecords();
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gr", "r", 2); }, 40s))
      << "commits did not resume";
  kill(cluster, "same");
}

namespace {

// Times each retry: from the spout's fail() to the record's next emit.
class RetryTimer : public Ledger {
 public:
  void onRetry(const KafkaSpoutMessageId& id) override {
    Ledger::onRetry(id);
    std::lock_guard lock(mu_);
    failedAt_[{id.tp, id.offset}] = std::chrono::steady_clock::now();
  }
  void onEmit(const KafkaSpoutMessageId& id) override {
    Ledger::onEmit(id);
    std::lock_guard lock(mu_);
    auto it = failedAt_.find({id.tp, id.offset});
    if (it == failedAt_.end()) return;
    delaysMs_.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - it->second)
            .count());
    failedAt_.erase(it);
  }
  std::vector<double> delaysMs() {
    std::lock_guard lock(mu_);
    auto d = delaysMs_;
    std::sort(d.begin(), d.end());
    return d;
  }

 private:
  std::mutex mu_;
  std::map<Key, std::chrono::steady_clock::time_point> failedAt_;
  std::vector<double> delaysMs_;
};

// Fails the first delivery of every record and acks the second.
class FailFirstBolt : public BaseRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector& c) override { out_ = &c; }
  void execute(const Tuple& t) override {
    if (seen_.insert({t.getValue(1).asInt(), t.getValue(2).asInt()}).second) {
      out_->fail(t);
    } else {
      out_->ack(t);
    }
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 private:
  std::set<std::pair<int64_t, int64_t>> seen_;
  OutputCollector* out_ = nullptr;
};

}  // namespace

// Storm's default retry policy retries a first failure at once. The spout re-emits a failed
// record from the copy it keeps of unacked records instead of seeking back and waiting for a
// fetch, which at the end of the log is a long poll (fetch.wait.max.ms, 2 s here): retries
// used to wait for it.
TEST(KafkaSpoutMock, AFirstFailureIsRetriedAtOnceWithoutWaitingForAFetch) {
  DevKafkaCluster kafka(1);
  kafka.createTopic("f", 2);
  const std::string bs = kafka.bootstrapServers();
  produce(bs, "f", 200);
  auto timer = std::make_shared<RetryTimer>();
  auto config = mockBuilder(bs, {"f"}, "gf", timer).setProp("fetch.wait.max.ms", "2000").build();
  TopologyBuilder b;
  b.setSpout("kafka", KafkaSpout(config), 1);
  b.setBolt("bolt", FailFirstBolt(), 1).shuffleGrouping("kafka");
  LocalCluster cluster;
  cluster.submitTopology("prompt", topoConf(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return timer->ackedRecords() >= 200; }, 60s)) << timer->ackedRecords();
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gf", "f", 2); }, 20s));
  kill(cluster, "prompt");
  auto delays = timer->delaysMs();
  ASSERT_EQ(delays.size(), 200u);
  EXPECT_LT(delays[delays.size() / 2], 300) << "median retry delay, ms";
  EXPECT_LT(delays[delays.size() * 9 / 10], 1000) << "p90 retry delay, ms";
  expectExactlyOneAckEach(*timer, keys("f", readOffsets(bs, "gf", "f", 2)));
}

// --- The mock cluster as a separate process (squall-dev-kafka) --------------------------------

namespace {

std::string devKafkaBinary() {
  auto exe = std::filesystem::read_symlink("/proc/self/exe");
  return (exe.parent_path().parent_path() / "src" / "kafka" / "squall-dev-kafka").string();
}

// squall-dev-kafka in a child process, stopped with SIGTERM.
class DevKafkaProcess {
 public:
  explicit DevKafkaProcess(std::vector<std::string> args) {
    dir_ = std::filesystem::temp_directory_path() /
           ("squall-kafka-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    bootstrapFile_ = (dir_ / "bootstrap").string();
    fifo_ = (dir_ / "control").string();
    std::filesystem::remove(bootstrapFile_);
    args.insert(args.begin(), {devKafkaBinary(), "--bootstrap-file", bootstrapFile_, "--control",
                               fifo_, "--quiet"});
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~DevKafkaProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  std::string bootstrap() {
    std::string line;
    waitFor([&] {
      std::ifstream f(bootstrapFile_);
      return static_cast<bool>(std::getline(f, line)) && !line.empty();
    }, 20s);
    return line;
  }
  void command(const std::string& c) {
    std::ofstream f(fifo_);
    f << c << "\n";
  }

 private:
  pid_t pid_ = -1;
  std::filesystem::path dir_;
  std::string bootstrapFile_, fifo_;
};

}  // namespace

TEST(KafkaSpoutMockProcess, ConsumesFromASeparateProcessThroughAnOutage) {
  ASSERT_TRUE(std::filesystem::exists(devKafkaBinary())) << devKafkaBinary();
  DevKafkaProcess dev({"--brokers", "2", "--topic", "p:2:2"});
  std::string bs = dev.bootstrap();
  ASSERT_FALSE(bs.empty()) << "squall-dev-kafka did not start";
  produce(bs, "p", 300);
  auto ledger = std::make_shared<Ledger>();
  auto config = mockBuilder(bs, {"p"}, "gp", ledger).build();
  LocalCluster cluster;
  cluster.submitTopology("process", topoConf(), spoutTopology(config, 1, std::make_shared<FlakyStats>(), 0.1));
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 300; }, 30s));
  dev.command("down -1");
  ASSERT_TRUE(waitFor([&] { return !errorsMatching(cluster, "process", "KafkaSpout").empty(); }, 30s));
  dev.command("up -1");
  produce(bs, "p", 100, -1, 300);
  ASSERT_TRUE(waitFor([&] { return ledger->ackedRecords() >= 400; }, 60s));
  ASSERT_TRUE(waitFor([&] { return committedAtEnd(bs, "gp", "p", 2); }, 30s));
  kill(cluster, "process");
  expectExactlyOneAckEach(*ledger, keys("p", readOffsets(bs, "gp", "p", 2)));
}
