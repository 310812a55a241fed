// rebalance -e on a cluster (src/nimbus): the executor counts Storm allows (more than a
// component's tasks is refused, naming it; unknown components in Storm's words), the executors
// recomputed with the task count fixed (tasks split as Storm splits them), and a reschedule
// that keeps every executor whose range did not change where it runs; rebalance -n keeps the
// acker tasks fixed at submit (Storm's normalized topology.acker.executors).

#include <gtest/gtest.h>

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <set>

#include "nimbus/even_scheduler.h"
#include "nimbus/json_conf.h"
#include "nimbus/nimbus_core.h"
#include "nimbus/storm_topology_translation.h"

using namespace squall;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/squall-rebalance-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

storm::ComponentCommon common(int parallelism, const std::string& jsonConf,
                              const std::string& input = "") {
  storm::ComponentCommon c;
  if (!input.empty()) {
    storm::GlobalStreamId from;
    from.componentId = input;
    from.streamId = "default";
    storm::Grouping g;
    g.__set_shuffle(storm::NullStruct());
    c.inputs[from] = g;
  }
  storm::StreamInfo out;
  out.output_fields = {"word"};
  c.streams["default"] = out;
  c.__set_parallelism_hint(parallelism);
  c.__set_json_conf(jsonConf);
  return c;
}

storm::ComponentObject shell(const std::string& script) {
  storm::ShellComponent s;
  s.__set_execution_command("python3");
  s.__set_script(script);
  storm::ComponentObject o;
  o.__set_shell(s);
  return o;
}

// "words" (2 executors, 2 tasks) -> "split" (2 executors, 5 tasks) -> "count" (4 executors).
storm::StormTopology topology() {
  storm::StormTopology t;
  storm::SpoutSpec spout;
  spout.spout_object = shell("words.py");
  spout.common = common(2, "{}");
  t.spouts["words"] = spout;
  storm::Bolt split;
  split.bolt_object = shell("split.py");
  split.common = common(2, R"({"topology.tasks": 5})", "words");
  t.bolts["split"] = split;
  storm::Bolt count;
  count.bolt_object = shell("count.py");
  count.common = common(4, "{}", "split");
  t.bolts["count"] = count;
  return t;
}

std::vector<std::pair<int, int>> rangesOf(const storm::TopologyInfo& info,
                                          const std::string& component) {
  std::vector<std::pair<int, int>> out;
  for (const auto& e : info.executors) {
    if (e.component_id == component) {
      out.push_back({e.executor_info.task_start, e.executor_info.task_end});
    }
  }
  return out;
}

struct Core {
  TempDir dir;
  std::atomic<int64_t> clock{1'000'000};
  std::unique_ptr<nimbus::NimbusCore> core;
  std::string id;
  explicit Core(const std::string& conf = R"({"topology.acker.executors": 0})") {
    nimbus::NimbusCoreOptions o;
    o.localDir = dir.path.string();
    o.nowMs = [this] { return clock.load(); };
    core = std::make_unique<nimbus::NimbusCore>(o);
    core->submitTopology("words", "", conf, topology(), {});
    id = core->getClusterInfo().topologies.at(0).id;
  }
};

}  // namespace

TEST(RebalanceExecutors, MoreExecutorsThanTasksIsRefusedNamingTheComponent) {
  Core c;
  storm::RebalanceOptions rb;
  rb.__set_num_executors({{"words", 3}});
  try {
    c.core->rebalance("words", rb);
    FAIL() << "3 executors for 2 tasks were accepted";
  } catch (const storm::InvalidTopologyException& e) {
    EXPECT_NE(e.msg.find("'words' (3) is more than its number of tasks (2)"), std::string::npos)
        << e.msg;
  }
  rb.__set_num_executors({{"ghost", 1}});
  try {
    c.core->rebalance("words", rb);
    FAIL() << "an unknown component was accepted";
  } catch (const storm::InvalidTopologyException& e) {
    EXPECT_EQ(e.msg,
              "Invalid component ghost for topology words, valid values are count,split,words");
  }
  rb.__set_num_executors({{"split", 0}});
  EXPECT_THROW(c.core->rebalance("words", rb), storm::InvalidTopologyException);
  // Nothing was changed by the refusals.
  EXPECT_EQ(c.core->getClusterInfo().topologies.at(0).status, "ACTIVE");
}

TEST(RebalanceExecutors, ExecutorsAreRecomputedAfterTheWaitWithTasksFixed) {
  Core c;
  auto before = c.core->getTopologyInfo(c.id);
  // Tasks by component sorted: count 1-4, split 5-9, words 10-11.
  EXPECT_EQ(rangesOf(before, "split"), (std::vector<std::pair<int, int>>{{5, 7}, {8, 9}}));
  int tasksBefore = c.core->getClusterInfo().topologies.at(0).num_tasks;

  storm::RebalanceOptions rb;
  rb.__set_wait_secs(3);
  rb.__set_num_executors({{"split", 3}, {"count", 1}});
  c.core->rebalance("words", rb);
  EXPECT_EQ(c.core->getClusterInfo().topologies.at(0).status, "REBALANCING");
  c.clock += 2'999;
  c.core->runDueActions();
  EXPECT_EQ(rangesOf(c.core->getTopologyInfo(c.id), "split").size(), 2u);  // not yet
  c.clock += 1;
  c.core->runDueActions();

  auto after = c.core->getTopologyInfo(c.id);
  EXPECT_EQ(after.status, "ACTIVE");
  // Storm's partitionFixed: 5 tasks in 3 executors are 2, 2, 1, larger first.
  EXPECT_EQ(rangesOf(after, "split"), (std::vector<std::pair<int, int>>{{5, 6}, {7, 8}, {9, 9}}));
  EXPECT_EQ(rangesOf(after, "count"), (std::vector<std::pair<int, int>>{{1, 4}}));
  EXPECT_EQ(rangesOf(after, "words"), (std::vector<std::pair<int, int>>{{10, 10}, {11, 11}}));
  auto summary = c.core->getClusterInfo().topologies.at(0);
  EXPECT_EQ(summary.num_executors, 2 + 3 + 1);
  EXPECT_EQ(summary.num_tasks, tasksBefore);

  // What the scheduler and the workers plan from: the same tasks, the new executors.
  TopologyDef def = c.core->topologyDef(c.id);
  EXPECT_EQ(def.find("split")->parallelism, 3);
  EXPECT_EQ(def.find("split")->conf.at("topology.tasks").asInt(), 5);
  EXPECT_EQ(def.find("count")->parallelism, 1);
  EXPECT_EQ(def.find("count")->conf.at("topology.tasks").asInt(), 4);
  EXPECT_EQ(def.find("words")->conf.count("topology.tasks"), 0u);  // unchanged component
}

TEST(RebalanceExecutors, RescheduleKeepsUnchangedExecutorsInTheirSlots) {
  using cluster::ExecutorRange;
  // Before: count [1-4], split [5-7] [8-9], words [10] [11] over two workers.
  std::vector<ExecutorRange> was = {{1, 4}, {5, 7}, {8, 9}, {10, 10}, {11, 11}};
  nimbus::ScheduleRequest req;
  req.topologyId = "words-1-1";
  req.executors = was;
  req.numWorkers = 2;
  req.freeSlots = {{"sup-a", {6700, 6701}}, {"sup-b", {6700, 6701}}};
  req.hosts = {{"sup-a", "a"}, {"sup-b", "b"}};
  req.nowSecs = 100;
  cluster::Assignment before = nimbus::scheduleEven(req);

  // split to 3 executors: its two ranges go, three come; the others must stay put.
  req.executors = {{1, 4}, {5, 6}, {7, 8}, {9, 9}, {10, 10}, {11, 11}};
  req.current = before;
  req.nowSecs = 200;
  cluster::Assignment after = nimbus::scheduleEven(req);

  std::set<cluster::NodePort> slots;
  for (const auto& [e, slot] : after.executorNodePort) slots.insert(slot);
  EXPECT_EQ(slots.size(), 2u);
  EXPECT_EQ(after.executorNodePort.size(), 6u);
  for (ExecutorRange kept : {ExecutorRange{1, 4}, ExecutorRange{10, 10}, ExecutorRange{11, 11}}) {
    EXPECT_EQ(after.executorNodePort.at(kept), before.executorNodePort.at(kept));
    EXPECT_EQ(after.executorStartTimeSecs.at(kept), 100);  // never restarted
  }
  for (ExecutorRange gone : {ExecutorRange{5, 7}, ExecutorRange{8, 9}}) {
    EXPECT_EQ(after.executorNodePort.count(gone), 0u);
  }
  EXPECT_EQ(after.executorStartTimeSecs.at(ExecutorRange{5, 6}), 200);
  // Even: 6 executors over 2 workers, 3 each.
  std::map<cluster::NodePort, int> load;
  for (const auto& [e, slot] : after.executorNodePort) ++load[slot];
  for (const auto& [slot, n] : load) EXPECT_EQ(n, 3);
}

TEST(RebalanceWorkers, AckerTasksStayAsSubmitted) {
  // No topology.acker.executors: Storm makes one acker per worker at submit and keeps that.
  Core c(R"({"topology.workers": 2})");
  auto before = c.core->getTopologyInfo(c.id);
  auto ackersBefore = rangesOf(before, "__acker");
  ASSERT_EQ(ackersBefore.size(), 2u);
  int tasksBefore = c.core->getClusterInfo().topologies.at(0).num_tasks;
  // The conf nimbus keeps (and hands to the scheduler and the workers) says so.
  Map conf = nimbus::parseJson(c.core->getTopologyConf(c.id)).asMap();
  ASSERT_TRUE(conf.count("topology.acker.executors"));
  EXPECT_EQ(conf.at("topology.acker.executors").asInt(), 2);

  storm::RebalanceOptions rb;
  rb.__set_wait_secs(0);
  rb.__set_num_workers(3);
  c.core->rebalance("words", rb);
  c.core->runDueActions();
  auto after = c.core->getTopologyInfo(c.id);
  auto summary = c.core->getClusterInfo().topologies.at(0);
  EXPECT_EQ(summary.num_workers, 3);
  EXPECT_EQ(rangesOf(after, "__acker"), ackersBefore);
  EXPECT_EQ(summary.num_tasks, tasksBefore);
  for (const char* component : {"count", "split", "words"}) {
    EXPECT_EQ(rangesOf(after, component), rangesOf(before, component)) << component;
  }
  EXPECT_EQ(c.core->getTopology(c.id).bolts.at("__acker").common.parallelism_hint, 2);
}

TEST(RebalanceWorkers, AGivenAckerCountIsKept) {
  Core c(R"({"topology.workers": 1, "topology.acker.executors": 3})");
  storm::RebalanceOptions rb;
  rb.__set_wait_secs(0);
  rb.__set_num_workers(2);
  c.core->rebalance("words", rb);
  c.core->runDueActions();
  EXPECT_EQ(rangesOf(c.core->getTopologyInfo(c.id), "__acker").size(), 3u);
}
