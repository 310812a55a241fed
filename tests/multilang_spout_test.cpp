// ShellSpout with real children (storm.md 1.4, 1.8): the squall package's example spout and
// the all-Python word count in a LocalCluster with both serializers, message ids keeping
// their type on the way back, the synchronous cycle with task ids (storm.py style) when
// acking is off (Storm deadlocks there), and faults: a crashing, a silent and a garbage-
// printing child are reported with component, task and pid and restarted by the executor.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <map>
#include <set>
#include <string>

#include "multilang_support.h"

using namespace squall;
using namespace squall::multilang_test;

namespace {

class SpoutSerializerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  }
};

// sentence_spout.py emits its sentences reliably with integer ids; everything arrives and is
// acked (the spout re-emits anything that fails).
TEST_P(SpoutSerializerTest, SquallSentenceSpoutDeliversEverySentence) {
  const std::string label = "sentence-spout-" + GetParam();
  TopologyBuilder b;
  b.setSpout("sentences",
             ShellSpout({kPython, exampleScript("sentence_spout.py")}, Fields{"sentence"})
                 .setEnv(pythonEnv()));
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("sentences");
  Config conf = baseConfig(GetParam());
  conf.set("squall.examples.sentence_repeats", 20);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= 100; }))
      << allErrors(cluster, label);
  EXPECT_EQ(sinkSeen().count(label), 100u);
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

// The word count written entirely in Python: spout -> split -> count, all children.
TEST_P(SpoutSerializerTest, PythonWordCountEndToEnd) {
  const std::string label = "py-wordcount-" + GetParam();
  TopologyBuilder b;
  b.setSpout("sentences",
             ShellSpout({kPython, exampleScript("sentence_spout.py")}, Fields{"sentence"})
                 .setEnv(pythonEnv()));
  b.setBolt("split", ShellBolt({kPython, exampleScript("split_sentence_bolt.py")}, Fields{"word"})
                         .setEnv(pythonEnv()))
      .shuffleGrouping("sentences");
  b.setBolt("count", ShellBolt({kPython, exampleScript("word_count_bolt.py")},
                               Fields{"word", "count"})
                         .setEnv(pythonEnv()),
            2)
      .fieldsGrouping("split", Fields{"word"});
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("count");
  Config conf = baseConfig(GetParam());
  conf.set("squall.examples.sentence_repeats", 4);  // 20 sentences, 4 x "the cow ..."
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  // 20 sentences of 6, 8, 6, 6, 6 words.
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= 128; }))
      << sinkSeen().count(label) << "\n" << allErrors(cluster, label);
  std::map<std::string, int64_t> maxCount;
  for (const auto& s : sinkSeen().get(label)) {
    auto& m = maxCount[s.values.at(0).asString()];
    m = std::max(m, s.values.at(1).asInt());
  }
  EXPECT_EQ(maxCount["the"], 4 * 4);  // twice in sentence 0, once in 1 and 3
  EXPECT_EQ(maxCount["seven"], 2 * 4);
  EXPECT_EQ(maxCount["nature"], 4);
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

// A storm.py-style spout waits for task ids after every emit. With acking off, Storm acks a
// reliable emit inside emit(): the ack must wait until the `next` exchange has ended (Storm
// sends it at once and deadlocks until the heartbeat timeout). Message ids come back as
// integers.
TEST_P(SpoutSerializerTest, TaskIdRepliesAndAckWithAckingDisabled) {
  const std::string label = "storm-ids-" + GetParam();
  TopologyBuilder b;
  b.setSpout("spout", ShellSpout({kPython, childScript("fault_spout.py"), "storm_ids", "20"},
                                 Fields{"i", "pid"}));
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("spout");
  Config conf = baseConfig(GetParam());
  conf.setNumAckers(0);
  conf.set(Config::TOPOLOGY_SUBPROCESS_TIMEOUT_SECS, 5);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  auto done = [&] {
    for (const auto& s : sinkSeen().get(label)) {
      if (s.values.at(0).isString() && s.values.at(0).asString() == "done") return true;
    }
    return false;
  };
  ASSERT_TRUE(waitFor(done)) << allErrors(cluster, label);
  EXPECT_EQ(sinkSeen().count(label), 21u);
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

INSTANTIATE_TEST_SUITE_P(Serializers, SpoutSerializerTest, ::testing::Values("json", "msgpack"));

struct SpoutFault {
  std::string mode;
  std::vector<std::string> expected;
};

std::ostream& operator<<(std::ostream& os, const SpoutFault& f) {
  return os << f.mode;
}

class SpoutFaultTest : public ::testing::TestWithParam<SpoutFault> {};

// The failing child is reported (component, task, pid, what happened) and the executor
// starts a fresh one; the new child finishes the job.
TEST_P(SpoutFaultTest, ReportedAndRestarted) {
  const SpoutFault& f = GetParam();
  const std::string label = "spout-fault-" + f.mode;
  TempDir dir;
  TopologyBuilder b;
  b.setSpout("spout", ShellSpout({kPython, childScript("fault_spout.py"), f.mode, "10", "3"},
                                 Fields{"i", "pid"})
                          .setEnv({{"FAULT_MARKER", dir.file("marker")}}));
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("spout");
  Config conf = baseConfig();
  conf.set(Config::TOPOLOGY_SUBPROCESS_TIMEOUT_SECS, 1);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  auto done = [&] {
    for (const auto& s : sinkSeen().get(label)) {
      if (s.values.at(0).isString()) return true;
    }
    return false;
  };
  ASSERT_TRUE(waitFor(done)) << allErrors(cluster, label);
  std::vector<std::string> parts = {"ShellSpout 'spout' task", "pid ", "during 'next'"};
  parts.insert(parts.end(), f.expected.begin(), f.expected.end());
  EXPECT_TRUE(hasError(cluster, label, parts)) << allErrors(cluster, label);
  std::set<int64_t> pids;
  for (const auto& s : sinkSeen().get(label)) pids.insert(s.values.at(1).asInt());
  EXPECT_EQ(pids.size(), 2u);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SpoutFaultTest,
    ::testing::Values(SpoutFault{"crash", {"exited with status 4", "spout going down on purpose"}},
                      SpoutFault{"silent", {"heartbeat timeout"}},
                      SpoutFault{"garbage", {"not protocol", "garbage"}},
                      SpoutFault{"ack", {"'ack' is a bolt command"}}),
    [](const auto& info) { return info.param.mode; });

}  // namespace
