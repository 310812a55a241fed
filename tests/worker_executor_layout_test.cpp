// A worker follows the executor counts of its assignment (src/worker/executor_layout.h): after
// a cluster's rebalance -e its topology's code is unchanged, so the counts come from the
// executors the assignment lists; the tasks stay as submitted.

#include <gtest/gtest.h>

#include "squall/topology_builder.h"
#include "topology/topology_plan.h"
#include "worker/executor_layout.h"
#include "worker/testing_components.h"

using namespace squall;

namespace {

StormTopology topology() {
  worker::registerTestingComponents();
  TopologyBuilder b;
  // The argument is added apart: GCC 12 at -O2 reports a temporary Values{...} passed here as
  // maybe-uninitialized (a false positive that -Werror turns into a failed build).
  ComponentSpec spout("squall.testing.SequenceSpout");
  spout.args.emplace_back(int64_t{10});
  b.setSpout("numbers", spout, 1);
  b.setBolt("record", ComponentSpec("squall.testing.RecordingBolt"), 2)
      .setNumTasks(5)
      .shuffleGrouping("numbers");
  return b.createTopology();
}

Config conf() {
  Config c;
  c.set(Config::TOPOLOGY_WORKERS, 2);
  return c;
}

std::vector<std::pair<int, int>> executorsOf(const internal::TopologyPlan& plan,
                                             const std::string& component) {
  std::vector<std::pair<int, int>> out;
  for (const auto& ep : plan.components.at(component).executors) {
    out.push_back({ep.startTask, ep.endTask});
  }
  return out;
}

}  // namespace

TEST(ExecutorLayout, ComponentTakesTheAssignmentsExecutorCountWithItsTasks) {
  StormTopology t = topology();
  auto before = internal::TopologyPlan::build("t", "t-1-1", conf(), t);
  // __acker 1-2, numbers 3, record 4-8 in 2 executors.
  ASSERT_EQ(executorsOf(*before, "record"), (std::vector<std::pair<int, int>>{{4, 6}, {7, 8}}));

  // Nimbus made record 4 executors: [4-5] [6] [7] [8].
  worker::Assignment a;
  a.topologyId = "t-1-1";
  a.workers = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
  a.executorWorker = {{1, 0}, {2, 1}, {3, 0}, {4, 1}, {6, 0}, {7, 1}, {8, 0}};
  auto changed = worker::followAssignedExecutors(t, "t", conf(), a);
  EXPECT_EQ(changed, (std::map<std::string, int>{{"record", 4}}));

  auto after = internal::TopologyPlan::build("t", "t-1-1", conf(), t);
  EXPECT_EQ(executorsOf(*after, "record"),
            (std::vector<std::pair<int, int>>{{4, 5}, {6, 6}, {7, 7}, {8, 8}}));
  EXPECT_EQ(after->components.at("record").tasks.size(), 5u);
  EXPECT_NO_THROW(a.checkCovers(*after));
  // Following the same assignment again changes nothing.
  EXPECT_TRUE(worker::followAssignedExecutors(t, "t", conf(), a).empty());
}

TEST(ExecutorLayout, AnAssignmentAsSubmittedChangesNothing) {
  StormTopology t = topology();
  auto plan = internal::TopologyPlan::build("t", "t-1-1", conf(), t);
  worker::Assignment a;
  a.topologyId = "t-1-1";
  a.workers = {{"127.0.0.1", 1}};
  a.executorWorker = worker::evenSchedule(*plan, 1);
  EXPECT_TRUE(worker::followAssignedExecutors(t, "t", conf(), a).empty());
  EXPECT_EQ(t.def.find("record")->parallelism, 2);
}
