// A topology is checked against what the machine can hold before any executor starts, and an
// idle receive ring costs next to nothing until tuples pass through it.

#include <gtest/gtest.h>
#include <squall/squall.h>

#include <fstream>
#include <string>

#include "engine_fixtures.h"
#include "runtime/executor_budget.h"
#include "runtime/mpsc_ring.h"
#include "topology/topology_plan.h"

using namespace squall;
using namespace squall::engine_test;

namespace {

std::shared_ptr<internal::TopologyPlan> plan(int spouts, int bolts, const Config& conf) {
  TopologyBuilder b;
  b.setSpout("spout", SeqSpout("budget", 0), spouts);
  b.setBolt("bolt", RecordingBolt("budget"), bolts).shuffleGrouping("spout");
  return internal::TopologyPlan::build("budget", "budget-1", conf, b.createTopology());
}

long vmRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

TEST(ExecutorBudget, CountsExecutorsQueuesAndThePerDestinationBatches) {
  Config conf = testConfig(1);
  auto demand = internal::executorDemand(*plan(2, 3, conf));
  EXPECT_EQ(demand.executors, 6u);  // 2 + 3 + the acker
  uint64_t ring = 32768 * 16;       // the default receive buffer, full
  EXPECT_EQ(demand.bytes, 6 * (internal::kIdleExecutorBytes + ring + 64 * 6));
  EXPECT_GE(demand.threads, 6u);
}

TEST(ExecutorBudget, RefusesWhatTheMachineCannotHoldSayingWhatItNeeds) {
  auto demand = internal::executorDemand(*plan(1000, 1000, testConfig(1)));
  internal::MachineCapacity small{1ULL << 30, 100000};
  try {
    internal::checkExecutorBudget("wide", demand, small);
    FAIL() << "2001 executors fit in 1 GiB";
  } catch (const InvalidTopologyException& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("topology 'wide' needs 2001 executors"), std::string::npos) << m;
    EXPECT_NE(m.find("1.0 GiB available"), std::string::npos) << m;
    EXPECT_NE(m.find("topology.max.task.parallelism"), std::string::npos) << m;
  }
  internal::MachineCapacity threads{1ULL << 40, 1000};
  EXPECT_THROW(internal::checkExecutorBudget("wide", demand, threads), InvalidTopologyException);
  internal::MachineCapacity big{1ULL << 40, 100000};
  EXPECT_NO_THROW(internal::checkExecutorBudget("wide", demand, big));
}

TEST(ExecutorBudget, MaxTaskParallelismCapsTheExecutors) {
  Config conf = testConfig(1);
  conf.set(Config::TOPOLOGY_MAX_TASK_PARALLELISM, 4);
  auto demand = internal::executorDemand(*plan(100000, 100000, conf));
  EXPECT_EQ(demand.executors, 4u + 4u + 1u);
}

TEST(ExecutorBudget, TooManyTasksInAllAreRefusedBeforeTheTablesAreBuilt) {
  try {
    plan(1000000, 1000000, testConfig(1));
    FAIL() << "2 million tasks were planned";
  } catch (const InvalidTopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("2000001 tasks in all"), std::string::npos) << e.what();
  }
}

TEST(ExecutorBudget, AnIdleRingIsNotResident) {
  long before = vmRssKb();
  internal::MpscRing<void*> ring(1 << 20);  // 16 MiB of slots
  long idle = vmRssKb();
  EXPECT_LT(idle - before, 1024) << "an idle 16 MiB ring made " << idle - before << " KiB resident";
  void* items[3] = {&before, &idle, nullptr};
  ASSERT_EQ(ring.tryPushBatch(items, 3), 3u);
  size_t got = 0;
  ring.drain([&](void* p) { EXPECT_EQ(p, items[got++]); }, 3);
  EXPECT_EQ(got, 3u);
  EXPECT_TRUE(ring.empty());
}

TEST(ExecutorBudget, ARingStartingFromZeroedSlotsWrapsAroundAndFills) {
  internal::MpscRing<int> ring(8);
  int next = 0, expect = 0;
  for (int round = 0; round < 100; ++round) {
    int items[3] = {next, next + 1, next + 2};
    ASSERT_EQ(ring.tryPushBatch(items, 3), 3u);
    next += 3;
    ring.drain([&](int v) { EXPECT_EQ(v, expect++); }, 3);
  }
  int many[9] = {};
  EXPECT_EQ(ring.tryPushBatch(many, 9), 8u);  // full at its capacity
  EXPECT_EQ(ring.size(), 8u);
}
