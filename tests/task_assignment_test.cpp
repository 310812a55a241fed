// Task ids, executors and what a task's TopologyContext says (storm.md 2.4, 2.8): components
// sorted by id (system ones included), ids from 1, contiguous executor ranges.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_fixtures.h"
#include "topology/topology_plan.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

using Streams = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Everything one task learnt from its context in open()/prepare().
struct ContextView {
  int task = 0;
  int index = -1;
  std::string component;
  std::vector<int> ownTasks;
  std::map<int, std::string> taskToComponent;
  std::vector<std::string> componentIds;
  std::map<GlobalStreamId, GroupingDef> sources;
  std::map<std::string, std::map<std::string, GroupingDef>> targets;
  std::vector<std::string> streams;
  std::string stormId;
  std::string systemComponent;
  Value myKey;
  Value topologyName;
  // component -> stream -> fields, for every user component, as seen from this task.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> outputs;
  bool unknownComponentHasNoTasks = false;
  std::string unknownTaskError;
  std::thread::id thread;
  const void* instance = nullptr;
};

Recorder<ContextView>& views() {
  static Recorder<ContextView> r;
  return r;
}

ContextView look(const TopologyContext& c, const void* instance) {
  ContextView v;
  v.task = c.getThisTaskId();
  v.index = c.getThisTaskIndex();
  v.component = c.getThisComponentId();
  v.ownTasks = c.getComponentTasks(v.component);
  v.taskToComponent = c.getTaskToComponent();
  v.componentIds = c.getComponentIds();
  v.sources = c.getThisSources();
  v.targets = c.getThisTargets();
  v.streams = c.getThisStreams();
  v.stormId = c.getStormId();
  v.systemComponent = c.getComponentId(-1);
  v.myKey = c.getConfig().get("my.key");
  v.topologyName = c.getConfig().get(Config::TOPOLOGY_NAME);
  for (const auto& id : v.componentIds) {
    if (id.rfind("__", 0) == 0) continue;
    for (const auto& stream : c.getComponentStreams(id)) {
      v.outputs[id][stream] = c.getComponentOutputFields(id, stream).toList();
    }
  }
  v.unknownComponentHasNoTasks = c.getComponentTasks("no-such-component").empty();
  try {
    c.getComponentId(9999);
  } catch (const IllegalArgumentException& e) {
    v.unknownTaskError = e.what();
  }
  v.thread = std::this_thread::get_id();
  v.instance = instance;
  return v;
}

void declareAll(const Streams& streams, OutputFieldsDeclarer& d) {
  for (const auto& [id, fields] : streams) d.declareStream(id, Fields(fields));
}

class ProbeSpout : public BaseRichSpout {
 public:
  explicit ProbeSpout(Streams streams = {{"default", {"word"}}}) : streams_(std::move(streams)) {}
  void open(const Config&, TopologyContext& context, SpoutOutputCollector&) override {
    views().add("all", look(context, this));
  }
  void nextTuple() override {}
  void declareOutputFields(OutputFieldsDeclarer& d) override { declareAll(streams_, d); }

 private:
  Streams streams_;
};

class ProbeBolt : public BaseRichBolt {
 public:
  explicit ProbeBolt(Streams streams = {}) : streams_(std::move(streams)) {}
  void prepare(const Config&, TopologyContext& context, OutputCollector&) override {
    views().add("all", look(context, this));
  }
  void execute(const Tuple&) override {}
  void declareOutputFields(OutputFieldsDeclarer& d) override { declareAll(streams_, d); }

 private:
  Streams streams_;
};

// Starts the topology and waits until `tasks` tasks have reported their context.
std::vector<ContextView> startAndLook(LocalCluster& cluster, const std::string& name,
                                      const Config& conf, const StormTopology& topology,
                                      size_t tasks) {
  views().clear();
  cluster.submitTopology(name, conf, topology);
  EXPECT_TRUE(waitFor([&] { return views().count("all") >= tasks; }))
      << describe(cluster.getErrors(name));
  return views().get("all");
}

std::optional<TopologySummary> summaryOf(const LocalCluster& cluster, const std::string& name) {
  for (const auto& s : cluster.getTopologySummaries()) {
    if (s.name == name) return s;
  }
  return std::nullopt;
}

TEST(TaskAssignment, ComponentsAreSortedByIdWithTheAckerAndNumberedFromOne) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(), 2);
  b.setBolt("count", ProbeBolt(), 3).shuffleGrouping("spout");
  // Upper case sorts before "__acker", which sorts before lower case (byte order, like Java).
  b.setBolt("Bolt", ProbeBolt(), 1).shuffleGrouping("spout");
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "sorted", testConfig(1), b.createTopology(), 6);
  ASSERT_EQ(seen.size(), 6u);

  const std::map<int, std::string> expected{{1, "Bolt"},  {2, "__acker"}, {3, "count"},
                                            {4, "count"}, {5, "count"},   {6, "spout"},
                                            {7, "spout"}};
  std::map<int, std::string> byTask;
  for (const auto& v : seen) {
    SCOPED_TRACE("task " + std::to_string(v.task));
    EXPECT_EQ(v.taskToComponent, expected);
    EXPECT_EQ(v.componentIds, (std::vector<std::string>{"Bolt", "__acker", "count", "spout"}));
    EXPECT_EQ(v.systemComponent, "__system");
    EXPECT_EQ(v.topologyName, Value("sorted"));
    EXPECT_EQ(v.stormId.rfind("sorted-", 0), 0u) << v.stormId;
    ASSERT_GE(v.index, 0);
    ASSERT_LT(static_cast<size_t>(v.index), v.ownTasks.size());
    EXPECT_EQ(v.ownTasks[static_cast<size_t>(v.index)], v.task);
    EXPECT_TRUE(std::is_sorted(v.ownTasks.begin(), v.ownTasks.end()));
    byTask[v.task] = v.component;
  }
  // Every user task reported, each under its own id.
  EXPECT_EQ(byTask, (std::map<int, std::string>{{1, "Bolt"}, {3, "count"}, {4, "count"},
                                                {5, "count"}, {6, "spout"}, {7, "spout"}}));

  auto s = summaryOf(cluster, "sorted");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->tasks, 7);
  EXPECT_EQ(s->executors, 7);
  EXPECT_EQ(s->status, TopologyStatus::Active);
  EXPECT_EQ(s->id, seen[0].stormId);
}

TEST(TaskAssignment, WithoutAckersThereIsNoAckerTask) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(), 2);
  b.setBolt("count", ProbeBolt(), 3).shuffleGrouping("spout");
  b.setBolt("Bolt", ProbeBolt(), 1).shuffleGrouping("spout");
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "noacker", testConfig(0), b.createTopology(), 6);
  ASSERT_EQ(seen.size(), 6u);
  const std::map<int, std::string> expected{{1, "Bolt"},  {2, "count"}, {3, "count"},
                                            {4, "count"}, {5, "spout"}, {6, "spout"}};
  for (const auto& v : seen) {
    EXPECT_EQ(v.taskToComponent, expected);
    EXPECT_EQ(v.componentIds, (std::vector<std::string>{"Bolt", "count", "spout"}));
  }
  EXPECT_EQ(summaryOf(cluster, "noacker").value().tasks, 6);
}

TEST(TaskAssignment, AckerTasksFollowTheAckerExecutorSetting) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(), 1);
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "ackers", testConfig(3), b.createTopology(), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].taskToComponent,
            (std::map<int, std::string>{{1, "__acker"}, {2, "__acker"}, {3, "__acker"},
                                        {4, "spout"}}));
  auto s = summaryOf(cluster, "ackers");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->tasks, 4);
  EXPECT_EQ(s->executors, 4);
}

TEST(TaskAssignment, MoreTasksThanExecutorsGiveContiguousRangesLargerFirst) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(), 1);
  b.setBolt("five", ProbeBolt(), 2).setNumTasks(5).shuffleGrouping("spout");
  // More executors than tasks: one executor per task.
  b.setBolt("two", ProbeBolt(), 3).setNumTasks(2).shuffleGrouping("spout");
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "ranges", testConfig(), b.createTopology(), 8);
  ASSERT_EQ(seen.size(), 8u);

  std::map<std::string, std::map<std::thread::id, std::vector<int>>> tasksByThread;
  std::set<const void*> instances;
  for (const auto& v : seen) {
    tasksByThread[v.component][v.thread].push_back(v.task);
    instances.insert(v.instance);
  }
  EXPECT_EQ(instances.size(), 8u) << "every task gets its own copy of the component";

  // "five" = tasks 1..5 (sorted first), "spout" = 6, "two" = 7..8.
  std::set<std::vector<int>> five;
  for (auto& [thread, tasks] : tasksByThread["five"]) {
    std::sort(tasks.begin(), tasks.end());
    five.insert(tasks);
  }
  EXPECT_EQ(five, (std::set<std::vector<int>>{{1, 2, 3}, {4, 5}}));
  std::set<std::vector<int>> two;
  for (auto& [thread, tasks] : tasksByThread["two"]) two.insert(tasks);
  EXPECT_EQ(two, (std::set<std::vector<int>>{{7}, {8}}));

  for (const auto& v : seen) {
    if (v.component == "five") {
      EXPECT_EQ(v.ownTasks, (std::vector<int>{1, 2, 3, 4, 5}));
      EXPECT_EQ(v.index, v.task - 1);
    }
  }
  auto s = summaryOf(cluster, "ranges");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->tasks, 8);
  EXPECT_EQ(s->executors, 2 + 1 + 2);
}

TEST(TaskAssignment, MaxTaskParallelismCapsTheTasks) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(), 1);
  b.setBolt("capped", ProbeBolt(), 4).shuffleGrouping("spout").setMaxTaskParallelism(2);
  b.setBolt("wide", ProbeBolt(), 1).setNumTasks(6).shuffleGrouping("spout");
  Config conf = testConfig();
  conf.set(Config::TOPOLOGY_MAX_TASK_PARALLELISM, 3);
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "capped", conf, b.createTopology(), 6);
  ASSERT_EQ(seen.size(), 6u);
  std::map<std::string, int> tasks;
  for (const auto& [task, component] : seen[0].taskToComponent) ++tasks[component];
  EXPECT_EQ(tasks, (std::map<std::string, int>{{"capped", 2}, {"spout", 1}, {"wide", 3}}));
}

bool sameGrouping(const GroupingDef& a, GroupingType type, std::vector<std::string> fields = {}) {
  return a.type == type && a.fields == fields;
}

TEST(TaskAssignment, ContextKnowsSourcesTargetsStreamsAndConfig) {
  TopologyBuilder b;
  b.setSpout("spout", ProbeSpout(Streams{{"default", {"word"}}, {"ctl", {"cmd"}}}), 1);
  b.setBolt("split", ProbeBolt(Streams{{"default", {"word"}}}), 1)
      .shuffleGrouping("spout")
      .addConfiguration("my.key", 7);
  b.setBolt("count", ProbeBolt(), 2)
      .fieldsGrouping("split", Fields{"word"})
      .allGrouping("spout", "ctl");
  LocalCluster cluster;
  auto seen = startAndLook(cluster, "context", testConfig(), b.createTopology(), 4);
  ASSERT_EQ(seen.size(), 4u);

  std::map<std::string, ContextView> by;
  for (const auto& v : seen) by[v.component] = v;
  ASSERT_EQ(by.size(), 3u);

  const auto& spout = by["spout"];
  EXPECT_TRUE(spout.sources.empty());
  ASSERT_EQ(spout.targets.size(), 2u);
  ASSERT_EQ(spout.targets.at("default").size(), 1u);
  EXPECT_TRUE(sameGrouping(spout.targets.at("default").at("split"), GroupingType::Shuffle));
  ASSERT_EQ(spout.targets.at("ctl").size(), 1u);
  EXPECT_TRUE(sameGrouping(spout.targets.at("ctl").at("count"), GroupingType::All));
  EXPECT_EQ(spout.streams, (std::vector<std::string>{"ctl", "default"}));

  const auto& split = by["split"];
  ASSERT_EQ(split.sources.size(), 1u);
  EXPECT_TRUE(sameGrouping(split.sources.at({"spout", "default"}), GroupingType::Shuffle));
  ASSERT_EQ(split.targets.size(), 1u);
  EXPECT_TRUE(
      sameGrouping(split.targets.at("default").at("count"), GroupingType::Fields, {"word"}));

  const auto& count = by["count"];
  ASSERT_EQ(count.sources.size(), 2u);
  EXPECT_TRUE(sameGrouping(count.sources.at({"split", "default"}), GroupingType::Fields, {"word"}));
  EXPECT_TRUE(sameGrouping(count.sources.at({"spout", "ctl"}), GroupingType::All));
  EXPECT_TRUE(count.targets.empty());
  EXPECT_TRUE(count.streams.empty());

  using Outputs = std::map<std::string, std::map<std::string, std::vector<std::string>>>;
  const Outputs outputs{{"spout", {{"ctl", {"cmd"}}, {"default", {"word"}}}},
                        {"split", {{"default", {"word"}}}}};
  for (const auto& v : seen) {
    SCOPED_TRACE(v.component);
    EXPECT_EQ(v.outputs, outputs);
    EXPECT_TRUE(v.unknownComponentHasNoTasks);
    EXPECT_NE(v.unknownTaskError.find("9999"), std::string::npos) << v.unknownTaskError;
  }

  // A component's own configuration is visible to it and to nobody else.
  EXPECT_EQ(split.myKey, Value(7));
  EXPECT_TRUE(spout.myKey.isNull());
  EXPECT_TRUE(count.myKey.isNull());
}

TEST(TaskAssignment, SplitTasksGivesLargerRangesFirst) {
  using internal::splitTasks;
  using Ranges = std::vector<std::pair<int, int>>;
  EXPECT_EQ(splitTasks(1, 5, 2), (Ranges{{1, 3}, {4, 5}}));
  EXPECT_EQ(splitTasks(4, 7, 3), (Ranges{{4, 6}, {7, 8}, {9, 10}}));
  EXPECT_EQ(splitTasks(1, 2, 5), (Ranges{{1, 1}, {2, 2}}));
  EXPECT_EQ(splitTasks(2, 4, 4), (Ranges{{2, 2}, {3, 3}, {4, 4}, {5, 5}}));
  EXPECT_EQ(splitTasks(1, 3, 1), (Ranges{{1, 3}}));
}

}  // namespace
