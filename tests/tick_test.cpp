// Tick tuples (storm.md 2.10): topology.tick.tuple.freq.secs, per component or topology-wide,
// delivers [secs] from __system/-1 on __tick to every task of the component, first after N s.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine_fixtures.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

using Clock = std::chrono::steady_clock;

struct TickSeen {
  int task;
  std::string component;
  std::string stream;
  int sourceTask;
  Values values;
  std::vector<std::string> fields;
  bool isTick;
  Clock::time_point at;
};

Recorder<TickSeen>& ticks() {
  static Recorder<TickSeen> r;
  return r;
}

// Records every tuple it gets; optionally asks for ticks through getComponentConfiguration().
class TickBolt : public BaseRichBolt {
 public:
  explicit TickBolt(std::string label, Map conf = {})
      : label_(std::move(label)), conf_(std::move(conf)) {}
  void prepare(const Config&, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    task_ = context.getThisTaskId();
    started().add(label_, Started{task_, context.getThisTaskIndex(), context.getThisComponentId(),
                                  std::this_thread::get_id(), this});
  }
  void execute(const Tuple& t) override {
    ticks().add(label_, TickSeen{task_, t.getSourceComponent(), t.getSourceStreamId(),
                                 t.getSourceTask(), t.getValues(), t.getFields().toList(),
                                 t.isTick(), Clock::now()});
    collector_->ack(t);
  }
  void declareOutputFields(OutputFieldsDeclarer&) override {}
  Map getComponentConfiguration() override { return conf_; }

 private:
  std::string label_;
  Map conf_;
  OutputCollector* collector_ = nullptr;
  int task_ = 0;
};

// Tasks of `label` that have received at least one tick.
std::set<int> tickedTasks(const std::string& label) {
  std::set<int> out;
  for (const auto& t : ticks().get(label)) {
    if (t.isTick) out.insert(t.task);
  }
  return out;
}

void expectTickTuple(const TickSeen& t, int64_t secs) {
  EXPECT_TRUE(t.isTick);
  EXPECT_EQ(t.component, "__system");
  EXPECT_EQ(t.stream, "__tick");
  EXPECT_EQ(t.sourceTask, -1);
  EXPECT_EQ(t.values, (Values{secs}));
  EXPECT_EQ(t.fields, (std::vector<std::string>{"rate_secs"}));
}

TEST(Tick, PerComponentSettingTicksEveryTaskOfThatComponentOnly) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("tick.spout", 0), 1);
  // Two executors over three tasks: a tick reaches both tasks of the two-task executor.
  b.setBolt("ticked", TickBolt("ticked"), 2)
      .setNumTasks(3)
      .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1)
      .shuffleGrouping("spout");
  b.setBolt("declared", TickBolt("declared", Map{{Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1}}), 1)
      .shuffleGrouping("spout");
  b.setBolt("plain", TickBolt("plain"), 2).shuffleGrouping("spout");
  LocalCluster cluster;
  auto submitted = Clock::now();
  cluster.submitTopology("ticks", testConfig(1), b.createTopology());
  ASSERT_TRUE(waitFor([] {
    return tickedTasks("ticked").size() == 3 && tickedTasks("declared").size() == 1;
  })) << describe(cluster.getErrors("ticks"));
  // Both ticking components have waited at least a second: "plain" had the same time.
  auto plain = ticks().get("plain");
  cluster.killTopologyWithOpts("ticks", KillOptions{0});

  EXPECT_TRUE(plain.empty()) << plain.size() << " tuples reached a bolt without ticks";
  auto tickedIds = tasksOf("ticked");
  ASSERT_EQ(tickedIds.size(), 3u);
  EXPECT_EQ(tickedTasks("ticked"), std::set<int>(tickedIds.begin(), tickedIds.end()));
  for (const char* label : {"ticked", "declared"}) {
    SCOPED_TRACE(label);
    auto all = ticks().get(label);
    ASSERT_FALSE(all.empty());
    for (const auto& t : all) {
      expectTickTuple(t, 1);
      // The first tick comes one period after the start, not at once.
      EXPECT_GE(t.at - submitted, std::chrono::milliseconds(900));
    }
  }
}

TEST(Tick, TopologyWideSettingTicksEveryBoltUnlessTheComponentOverridesIt) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("wide.spout", 0), 1);
  b.setBolt("one", TickBolt("wide.one"), 1).shuffleGrouping("spout");
  b.setBolt("two", TickBolt("wide.two"), 1).setNumTasks(2).shuffleGrouping("spout");
  b.setBolt("slow", TickBolt("wide.slow"), 1)
      .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 100)
      .shuffleGrouping("spout");
  Config conf = testConfig();
  conf.setTickTupleFreqSecs(1);
  LocalCluster cluster;
  cluster.submitTopology("wide", conf, b.createTopology());
  ASSERT_TRUE(waitFor([] {
    return tickedTasks("wide.one").size() == 1 && tickedTasks("wide.two").size() == 2;
  })) << describe(cluster.getErrors("wide"));
  auto slow = ticks().get("wide.slow");
  cluster.killTopologyWithOpts("wide", KillOptions{0});

  EXPECT_TRUE(slow.empty()) << "the component's own 100 s period overrides the topology's 1 s";
  for (const char* label : {"wide.one", "wide.two"}) {
    for (const auto& t : ticks().get(label)) expectTickTuple(t, 1);
  }
}

// Sends ticks to onTickTuple() and data to process().
class TickAwareBolt : public BaseTickTupleAwareRichBolt {
 public:
  void prepare(const Config&, TopologyContext&, OutputCollector&) override {}
  void declareOutputFields(OutputFieldsDeclarer&) override {}

 protected:
  void onTickTuple(const Tuple& t) override {
    events().add("aware.tick", t.isTick() ? "tick" : "data in onTickTuple");
  }
  void process(const Tuple& t) override {
    events().add("aware.data", t.isTick() ? "tick in process" : t.getStringByField("key"));
  }
};

TEST(Tick, TickAwareBoltSeparatesTicksFromData) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("aware.spout", 5), 1);
  b.setBolt("aware", TickAwareBolt(), 1)
      .addConfiguration(Config::TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1)
      .shuffleGrouping("spout");
  LocalCluster cluster;
  cluster.submitTopology("aware", testConfig(), b.createTopology());
  ASSERT_TRUE(waitFor(
      [] { return events().count("aware.tick") >= 1 && events().count("aware.data") >= 5; }))
      << describe(cluster.getErrors("aware"));
  cluster.killTopologyWithOpts("aware", KillOptions{0});

  for (const auto& e : events().get("aware.tick")) EXPECT_EQ(e, "tick");
  auto data = events().get("aware.data");
  ASSERT_EQ(data.size(), 5u);
  for (const auto& e : data) EXPECT_EQ(e.rfind("k", 0), 0u) << e;
}

}  // namespace
