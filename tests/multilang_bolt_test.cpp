// ShellBolt with real children (storm.md 1): the squall package and storm.py splitters in a
// LocalCluster with both serializers, the handshake context, direct emits with small task
// ids, tick tuples, heartbeats, the in-flight window, the registry names, and scripted faulty
// children (malformed output, unknown command, unknown ack id, crash, silence, garbage,
// flooding stderr): the error names component, task and pid, the child restarts, and a
// reliable spout gets every message id acked in the end.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <squall/squall.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "multilang_support.h"

using namespace squall;
using namespace squall::multilang_test;

namespace {

const std::vector<std::string> kSentences = {
    "the cow jumped over the moon", "an apple a day keeps the doctor away",
    "four score and seven years ago", "snow white and the seven dwarfs", "i am at two with nature"};

std::map<std::string, int64_t> expectedWordCounts(int64_t sentences) {
  std::map<std::string, int64_t> counts;
  for (int64_t i = 0; i < sentences; ++i) {
    const std::string& s = kSentences[static_cast<size_t>(i) % kSentences.size()];
    size_t start = 0;
    while (start < s.size()) {
      size_t end = s.find(' ', start);
      if (end == std::string::npos) end = s.size();
      counts[s.substr(start, end - start)]++;
      start = end + 1;
    }
  }
  return counts;
}

std::map<std::string, int64_t> countWords(const std::string& label) {
  std::map<std::string, int64_t> counts;
  for (const auto& s : sinkSeen().get(label)) counts[s.values.at(0).asString()]++;
  return counts;
}

class SplitterTest : public ::testing::TestWithParam<std::string> {};

void runSplitter(const std::string& label, const std::string& serializer,
                 std::vector<std::string> command) {
  if (serializer == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  const int64_t n = 100;
  TopologyBuilder b;
  b.setSpout("sentences", ReliableSpout(label, n, kSentences));
  b.setBolt("split", ShellBolt(std::move(command), Fields{"word"}).setEnv(pythonEnv()))
      .shuffleGrouping("sentences");
  b.setBolt("count", SinkBolt(label)).fieldsGrouping("split", Fields{"word"});
  Config conf = baseConfig(serializer);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); }))
      << ackedCount(label) << " acked; errors:\n"
      << allErrors(cluster, label);
  EXPECT_EQ(countWords(label), expectedWordCounts(n));
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

TEST_P(SplitterTest, SquallPackageSplitterCountsEveryWord) {
  runSplitter("squall-split-" + GetParam(), GetParam(),
              {kPython, exampleScript("split_sentence_bolt.py")});
}

TEST_P(SplitterTest, StormPySplitterGetsTaskIdsForEveryEmit) {
  runSplitter("stormpy-split-" + GetParam(), GetParam(),
              {kPython, exampleScript("storm_split_sentence.py")});
}

INSTANTIATE_TEST_SUITE_P(Serializers, SplitterTest, ::testing::Values("json", "msgpack"));

class ContextTest : public ::testing::TestWithParam<std::string> {};

// The handshake carries conf, pidDir and every context key of storm.md 1.3; the child runs
// in the given cwd with the given env and SQUALL_SERIALIZER; tuples carry the source
// component, stream and task; a direct emit with a small integer task id reaches its task.
TEST_P(ContextTest, HandshakeContextAndDirectEmit) {
  const std::string serializer = GetParam();
  if (serializer == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  const std::string label = "context-" + serializer;
  TempDir dir;
  ShellBolt bolt({kPython, childScript("context_bolt.py")}, Fields{"x", "report"});
  bolt.declareStream("direct", Fields{"x"}, true)
      .declareStream("ticks", Fields{"comp", "stream", "task", "secs"})
      .setCwd(dir.path())
      .setEnv({{"SQUALL_TEST_ENV", "hello"}});
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 3));
  b.setBolt("ctx", bolt).shuffleGrouping("spout");
  b.setBolt("report-sink", SinkBolt(label)).shuffleGrouping("ctx");
  b.setBolt("direct-sink", SinkBolt(label + "-direct"), 2).directGrouping("ctx", "direct");
  Config conf =
      baseConfig(serializer == "json" ? "org.apache.storm.multilang.JsonSerializer"
                                      : "com.yelp.pyleus.serializer.MessagePackSerializer");
  conf.set("squall.test.key", Value(Map{{"a", Value(List{1, 2.5, "x"})}}));
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == 3; })) << allErrors(cluster, label);
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label + "-direct") == 3; }));

  auto reports = sinkSeen().get(label);
  ASSERT_EQ(reports.size(), 3u);
  rapidjson::Document d;
  d.Parse(reports[0].values.at(1).asString().c_str());
  ASSERT_FALSE(d.HasParseError());
  const auto& c = d["context"];
  // Task ids: components sorted by id from 1: __acker 1, ctx 2, direct-sink 3-4,
  // report-sink 5, spout 6.
  EXPECT_EQ(c["taskid"].GetInt(), 2);
  EXPECT_STREQ(c["componentid"].GetString(), "ctx");
  EXPECT_STREQ(c["task->component"]["1"].GetString(), "__acker");
  EXPECT_STREQ(c["task->component"]["4"].GetString(), "direct-sink");
  EXPECT_STREQ(c["task->component"]["6"].GetString(), "spout");
  EXPECT_FALSE(c["task->component"].HasMember("-1"));
  std::set<std::string> streams;
  for (const auto& s : c["streams"].GetArray()) streams.insert(s.GetString());
  EXPECT_EQ(streams, (std::set<std::string>{"default", "direct", "ticks"}));
  EXPECT_STREQ(c["stream->outputfields"]["default"][1].GetString(), "report");
  EXPECT_STREQ(c["stream->target->grouping"]["default"]["report-sink"]["type"].GetString(),
               "SHUFFLE");
  EXPECT_STREQ(c["stream->target->grouping"]["direct"]["direct-sink"]["type"].GetString(),
               "DIRECT");
  EXPECT_STREQ(c["source->stream->grouping"]["spout"]["default"]["type"].GetString(), "SHUFFLE");
  EXPECT_STREQ(c["source->stream->fields"]["spout"]["default"][0].GetString(), "sentence");
  EXPECT_FALSE(c["source->stream->fields"]["spout"].HasMember("__ack_init"));

  EXPECT_STREQ(d["conf"]["topology.name"].GetString(), label.c_str());
  EXPECT_EQ(d["conf"]["topology.message.timeout.secs"].GetInt(), 30);
  EXPECT_EQ(d["conf"]["squall.test.key"]["a"][1].GetDouble(), 2.5);
  EXPECT_TRUE(d["pidFileExists"].GetBool());
  EXPECT_TRUE(std::filesystem::path(d["pidDir"].GetString()).is_absolute());
  EXPECT_EQ(std::filesystem::canonical(d["cwd"].GetString()),
            std::filesystem::canonical(dir.path()));
  EXPECT_STREQ(d["serializer"].GetString(), serializer.c_str());
  EXPECT_STREQ(d["env"].GetString(), "hello");
  EXPECT_STREQ(d["comp"].GetString(), "spout");
  EXPECT_STREQ(d["sourceStream"].GetString(), "default");
  EXPECT_EQ(d["sourceTask"].GetInt(), 6);
  EXPECT_TRUE(d["tupleId"].IsString());

  for (const auto& s : sinkSeen().get(label + "-direct")) EXPECT_EQ(s.task, 3);
  // The pid file goes when the child does.
  std::string pidFile =
      std::string(d["pidDir"].GetString()) + "/" + std::to_string(d["pid"].GetInt());
  EXPECT_TRUE(std::filesystem::exists(pidFile));
  cluster.killTopologyWithOpts(label, KillOptions{0});
  EXPECT_FALSE(std::filesystem::exists(pidFile));
}

INSTANTIATE_TEST_SUITE_P(Serializers, ContextTest, ::testing::Values("json", "msgpack"));

// Tick tuples reach the child as comp __system, stream __tick, task -1, [secs]; an idle
// child answers heartbeats and is not taken for dead (subprocess timeout 1 s).
TEST(ShellBoltTest, TicksAreForwardedAndHeartbeatsKeepAnIdleChildAlive) {
  const std::string label = "ticks";
  ShellBolt bolt({kPython, childScript("context_bolt.py")}, Fields{"x", "report"});
  bolt.declareStream("direct", Fields{"x"}, true)
      .declareStream("ticks", Fields{"comp", "stream", "task", "secs"})
      .setComponentConfiguration(Map{{Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1}});
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 0));
  b.setBolt("ctx", bolt).shuffleGrouping("spout");
  b.setBolt("tick-sink", SinkBolt(label)).shuffleGrouping("ctx", "ticks");
  Config conf = baseConfig();
  conf.set(Config::TOPOLOGY_SUBPROCESS_TIMEOUT_SECS, 1);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= 3; }));
  for (const auto& s : sinkSeen().get(label)) {
    EXPECT_EQ(s.values.at(0).asString(), "__system");
    EXPECT_EQ(s.values.at(1).asString(), "__tick");
    EXPECT_EQ(s.values.at(2).asInt(), -1);
    EXPECT_EQ(s.values.at(3).asInt(), 1);
  }
  // Three ticks are more than two seconds: without heartbeats the child would have been
  // killed for silence by now.
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

struct FaultCase {
  std::string mode;
  std::string serializer;
  std::vector<std::string> expected;  // substrings of the error report
};

std::ostream& operator<<(std::ostream& os, const FaultCase& c) {
  return os << c.mode << "/" << c.serializer;
}

class FaultTest : public ::testing::TestWithParam<FaultCase> {};

// The first child misbehaves after a few tuples; the error names the component, task and pid
// and says what went wrong; the child is restarted; the in-flight tuples fail and are
// replayed, so every message id is acked in the end.
TEST_P(FaultTest, ReportsRestartsAndLosesNothing) {
  const FaultCase& fc = GetParam();
  if (fc.serializer == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  const std::string label = "fault-" + fc.mode + "-" + fc.serializer;
  TempDir dir;
  const int64_t n = 30;
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, n));
  b.setBolt("faulty",
            ShellBolt({kPython, childScript("fault_bolt.py"), fc.mode, "5"}, Fields{"x", "pid"})
                .setEnv({{"FAULT_MARKER", dir.file("marker")}}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("faulty");
  Config conf = baseConfig(fc.serializer);
  conf.set(Config::TOPOLOGY_SUBPROCESS_TIMEOUT_SECS, 1);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); }))
      << ackedCount(label) << " acked; errors:\n"
      << allErrors(cluster, label);

  std::vector<std::string> parts = {"ShellBolt 'faulty' task 2", "pid ", "fault_bolt.py",
                                    "restarting the child"};
  parts.insert(parts.end(), fc.expected.begin(), fc.expected.end());
  EXPECT_TRUE(hasError(cluster, label, parts)) << allErrors(cluster, label);
  std::set<int64_t> pids;
  for (const auto& s : sinkSeen().get(label)) pids.insert(s.values.at(1).asInt());
  EXPECT_EQ(pids.size(), 2u) << "the child was restarted once";
  std::lock_guard lock(spoutLog(label).mu);
  EXPECT_GT(spoutLog(label).fails, 0) << "in-flight tuples are failed, not left to time out";
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    ::testing::Values(
        FaultCase{"malformed", "json", {"malformed JSON", "offending message: {\"command\""}},
        FaultCase{"malformed", "msgpack", {"malformed msgpack"}},
        FaultCase{"unknown_command", "json", {"unknown command 'explode'"}},
        FaultCase{"no_command", "json", {"without 'command'", "offending message"}},
        FaultCase{"unknown_ack", "json", {"ack of tuple id '12345'", "not in flight"}},
        FaultCase{"anchor_after_ack", "json", {"anchored onto tuple id", "not in flight"}},
        FaultCase{"crash",
                  "json",
                  {"closed its stdout", "exited with status 3", "RuntimeError: crash on purpose"}},
        FaultCase{"silent", "json", {"heartbeat timeout", "killed by signal"}},
        FaultCase{"garbage", "json", {"not protocol", "garbage"}},
        FaultCase{"garbage", "msgpack", {"not protocol", "garbage"}}),
    [](const auto& info) { return info.param.mode + "_" + info.param.serializer; });

// A child writing 20 MB to stderr while it works never blocks: stderr is read all the time.
TEST(ShellBoltTest, FloodingStderrDoesNotBlockTheChild) {
  const std::string label = "flood";
  const int64_t n = 200;
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, n));
  b.setBolt("flood",
            ShellBolt({kPython, childScript("fault_bolt.py"), "flood_stderr"}, Fields{"x", "pid"}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("flood");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); }))
      << allErrors(cluster, label);
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

// At most topology.shellbolt.max.pending tuples are in flight to a child: one that never
// acks gets exactly that many, and the rest wait (backpressure). Killing the topology does
// not hang on the full window: tuples older than the message timeout leave it.
TEST(ShellBoltTest, InFlightWindowBoundsWhatTheChildHolds) {
  const std::string label = "window";
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 1000));
  b.setBolt("stuck",
            ShellBolt({kPython, childScript("fault_bolt.py"), "never_ack"}, Fields{"x", "pid"}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("stuck");
  Config conf = baseConfig();
  conf.set(Config::TOPOLOGY_SHELLBOLT_MAX_PENDING, 7);
  conf.setMessageTimeoutSecs(2);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return sinkSeen().count(label) >= 7; }));
  // Nothing more can arrive before the first tuples time out (2 s): give an eighth tuple a
  // bounded window to (wrongly) get through.
  EXPECT_FALSE(
      waitFor([&] { return sinkSeen().count(label) > 7; }, std::chrono::milliseconds(300)));
  EXPECT_EQ(sinkSeen().count(label), 7u);
  auto t0 = std::chrono::steady_clock::now();
  cluster.killTopologyWithOpts(label, KillOptions{0});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

// A full window refills from its low-water mark, not one slot per ack; a child that holds
// tuples above that mark (here 7 of a window of 8, whose low-water mark is 6) must still get
// new input promptly, not only once the held tuples time out (60 s here).
TEST(ShellBoltTest, ChildHoldingTuplesAboveTheLowWaterMarkKeepsGettingInput) {
  const std::string label = "holding";
  const size_t n = 300;
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, n));
  b.setBolt("hold",
            ShellBolt({kPython, childScript("fault_bolt.py"), "hold", "7"}, Fields{"x", "pid"}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("hold");
  Config conf = baseConfig();
  conf.set(Config::TOPOLOGY_SHELLBOLT_MAX_PENDING, 8);
  conf.setMessageTimeoutSecs(60);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  EXPECT_TRUE(waitFor([&] { return sinkSeen().count(label) >= n; }, std::chrono::seconds(15)))
      << sinkSeen().count(label) << " of " << n << " through; errors:\n"
      << allErrors(cluster, label);
  EXPECT_TRUE(waitFor([&] { return ackedCount(label) == n - 7; })) << ackedCount(label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

class RoundTripTest : public ::testing::TestWithParam<std::string> {};

// Task-id replies (written by the reader thread) and tuples (written by the executor thread)
// share the child's stdin. Tuples of 150 KB each fill the pipe, so writes end part way and
// continue later from either thread while the other adds to what waits: every tuple must
// reach the child and come back whole, and every reply must arrive as a list of task ids.
TEST_P(RoundTripTest, RepliesAndLargeTuplesShareTheChildsStdinIntact) {
  const std::string serializer = GetParam();
  if (serializer == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  const std::string label = "round-trip-large-" + serializer;
  std::vector<std::string> payloads;
  for (char c : std::string("abcde")) payloads.push_back(std::string(150'000, c) + "|" + c);
  const int64_t n = 200;
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, n, payloads));
  b.setBolt("echo", ShellBolt({kPython, childScript("round_trip_echo_bolt.py")}, Fields{"x"}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("echo");
  Config conf = baseConfig(serializer);
  conf.set(Config::TOPOLOGY_SHELLBOLT_MAX_PENDING, 50);
  LocalCluster cluster;
  cluster.submitTopology(label, conf, b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); },
                      std::chrono::seconds(60)))
      << ackedCount(label) << " of " << n << " acked; errors:\n"
      << allErrors(cluster, label);
  std::map<std::string, int64_t> seen;
  for (const auto& s : sinkSeen().get(label)) seen[s.values.at(0).asString()]++;
  std::map<std::string, int64_t> expected;
  for (int64_t i = 0; i < n; ++i) expected[payloads[static_cast<size_t>(i) % payloads.size()]]++;
  EXPECT_TRUE(seen == expected) << seen.size() << " distinct payloads came back";
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

INSTANTIATE_TEST_SUITE_P(Serializers, RoundTripTest, ::testing::Values("json", "msgpack"));

// write(2)s made so far by this process's thread whose name starts with `prefix` (its
// /proc/self/task/TID/io), or -1 when there is no such thread.
int64_t writesOfThread(const std::string& prefix) {
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    if (!std::getline(comm, name) || name.rfind(prefix, 0) != 0) continue;
    std::ifstream io(e.path() / "io");
    std::string key;
    int64_t value = 0;
    while (io >> key >> value) {
      if (key == "syscw:") return value;
    }
  }
  return -1;
}

class BurstRepliesTest : public ::testing::TestWithParam<std::string> {};

// A child that emits without waiting for each reply (storm.js) sends many emits in one write.
// Their task-id replies leave in one write per read of the child's output, not one per emit:
// 40 emits a tuple, 20 tuples, and the reader thread makes far fewer writes than the 800
// replies, each of which still arrives, in order, as a list of task ids.
TEST_P(BurstRepliesTest, RepliesToOneReadLeaveInOneWrite) {
  const std::string serializer = GetParam();
  if (serializer == "msgpack" && !pythonHasMsgpack()) GTEST_SKIP() << "no python3-msgpack";
  const std::string label = "burst-replies-" + serializer;
  const int64_t n = 20;
  const int64_t burst = 40;
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, n, kSentences));
  b.setBolt("burst", ShellBolt({kPython, childScript("burst_emit_bolt.py")}, Fields{"x"})
                         .setEnv({{"BURST_EMITS", std::to_string(burst)}}))
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("burst");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(serializer), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == static_cast<size_t>(n); },
                      std::chrono::seconds(30)))
      << ackedCount(label) << " of " << n << " acked; errors:\n"
      << allErrors(cluster, label);
  EXPECT_EQ(sinkSeen().count(label), static_cast<size_t>(n * burst));
  int64_t writes = writesOfThread("ml:burst");
  ASSERT_GE(writes, 0) << "no reader thread named ml:burst";
  // Per tuple: one write of the replies, perhaps the next tuple, perhaps a heartbeat.
  EXPECT_LT(writes, 4 * n) << writes << " writes for " << n * burst << " replies";
  EXPECT_TRUE(cluster.getErrors(label).empty()) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

INSTANTIATE_TEST_SUITE_P(Serializers, BurstRepliesTest, ::testing::Values("json", "msgpack"));

// Topology definitions name shell components by class: Flux's wrappers and squall's own.
TEST(ShellBoltTest, RegisteredUnderFluxAndSquallClassNames) {
  registerMultilangComponents();
  const std::string label = "registry";
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 10, kSentences));
  List command{kPython, exampleScript("split_sentence_bolt.py")};
  b.setBolt("flux-split", ComponentSpec{"org.apache.storm.flux.wrappers.bolts.FluxShellBolt",
                                        Values{Value(command), Value(List{"word"})}})
      .shuffleGrouping("spout");
  Map env;
  for (const auto& [k, v] : pythonEnv()) env[k] = v;
  b.setBolt("squall-split",
            ComponentSpec{"squall.ShellBolt",
                          Values{Value(Map{{"command", Value(command)},
                                           {"streams", Value(Map{{"default", Value(List{"w"})}})},
                                           {"env", Value(env)}})}})
      .shuffleGrouping("spout");
  b.setBolt("sink", SinkBolt(label)).shuffleGrouping("flux-split").shuffleGrouping("squall-split");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] { return ackedCount(label) == 10; })) << allErrors(cluster, label);
  std::set<std::string> from;
  for (const auto& s : sinkSeen().get(label)) from.insert(s.sourceComponent);
  EXPECT_EQ(from, (std::set<std::string>{"flux-split", "squall-split"}));

  const ComponentFactory* f = ComponentRegistry::global().findComponent("squall.ShellBolt");
  ASSERT_NE(f, nullptr);
  try {
    (*f)(Values{Value(Map{{"command", Value(command)}, {"feilds", Value(List{"w"})}})});
    FAIL() << "a misspelt key must be rejected";
  } catch (const IllegalArgumentException& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'feilds'"), std::string::npos) << e.what();
  }
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

// A command that cannot run fails prepare() with a clear message (and the executor retries).
TEST(ShellBoltTest, MissingProgramIsReported) {
  const std::string label = "missing";
  TopologyBuilder b;
  b.setSpout("spout", ReliableSpout(label, 1));
  b.setBolt("nothing", ShellBolt({"no-such-program-squall"}, Fields{"x"})).shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology(label, baseConfig(), b.createTopology());
  ASSERT_TRUE(waitFor([&] {
    return hasError(
        cluster, label,
        {"ShellBolt 'nothing' task", "cannot run 'no-such-program-squall'", "not found on PATH"});
  })) << allErrors(cluster, label);
  cluster.killTopologyWithOpts(label, KillOptions{0});
}

}  // namespace
