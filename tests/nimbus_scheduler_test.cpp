// Storm's even scheduler (src/nimbus/even_scheduler.h): workers spread over supervisors,
// executors evenly over workers, a reschedule that moves only what it must, and a refusal that
// says what the topology needs and what the cluster has.

#include <gtest/gtest.h>

#include <set>

#include "nimbus/even_scheduler.h"

using namespace squall;
using cluster::ExecutorRange;
using cluster::NodePort;
using nimbus::ScheduleRequest;

namespace {

std::vector<ExecutorRange> executors(int n) {
  std::vector<ExecutorRange> out;
  for (int i = 1; i <= n; ++i) out.push_back({i, i});
  return out;
}

std::map<NodePort, int> loadBySlot(const cluster::Assignment& a) {
  std::map<NodePort, int> m;
  for (const auto& [e, slot] : a.executorNodePort) ++m[slot];
  return m;
}

int moved(const cluster::Assignment& before, const cluster::Assignment& after) {
  int n = 0;
  for (const auto& [e, slot] : after.executorNodePort) {
    auto was = before.executorNodePort.find(e);
    if (was == before.executorNodePort.end() || was->second != slot) ++n;
  }
  return n;
}

ScheduleRequest request(int numExecutors, int workers,
                        std::map<std::string, std::vector<int>> free) {
  ScheduleRequest r;
  r.topologyId = "t-1-1";
  r.executors = executors(numExecutors);
  r.numWorkers = workers;
  r.freeSlots = std::move(free);
  r.hosts = {{"sup-a", "host-a"}, {"sup-b", "host-b"}, {"sup-c", "host-c"}};
  r.nowSecs = 1000;
  return r;
}

}  // namespace

TEST(EvenScheduler, SpreadsWorkersOverSupervisorsAndExecutorsOverWorkers) {
  auto a = nimbus::scheduleEven(
      request(7, 4, {{"sup-a", {6700, 6701, 6702}}, {"sup-b", {6700, 6701, 6702}}}));
  ASSERT_EQ(a.executorNodePort.size(), 7u);
  auto load = loadBySlot(a);
  ASSERT_EQ(load.size(), 4u);
  std::map<std::string, int> perNode;
  std::multiset<int> sizes;
  for (const auto& [slot, n] : load) {
    ++perNode[slot.node];
    sizes.insert(n);
  }
  EXPECT_EQ(perNode["sup-a"], 2);
  EXPECT_EQ(perNode["sup-b"], 2);
  EXPECT_EQ(sizes, (std::multiset<int>{1, 2, 2, 2}));
  EXPECT_EQ(a.nodeHost.at("sup-a"), "host-a");
  EXPECT_EQ(a.executorStartTimeSecs.at({1, 1}), 1000);
}

TEST(EvenScheduler, SchedulingAgainChangesNothing) {
  auto req = request(6, 3, {{"sup-a", {6700, 6701}}, {"sup-b", {6700, 6701}}});
  auto first = nimbus::scheduleEven(req);
  req.current = first;
  req.nowSecs = 2000;
  auto again = nimbus::scheduleEven(req);
  EXPECT_EQ(again, first);  // start times too
  EXPECT_EQ(nimbus::changedSlots(first, again), 0);
}

TEST(EvenScheduler, RebalanceMovesOnlyWhatMustMove) {
  auto req = request(12, 2, {{"sup-a", {6700, 6701}}, {"sup-b", {6700, 6701}}});
  auto before = nimbus::scheduleEven(req);
  req.current = before;
  req.numWorkers = 3;  // 6+6 -> 4+4+4: two executors move from each old worker
  auto after = nimbus::scheduleEven(req);
  EXPECT_EQ(loadBySlot(after).size(), 3u);
  EXPECT_EQ(moved(before, after), 4);
  for (const auto& [slot, n] : loadBySlot(after)) EXPECT_EQ(n, 4);

  req.current = after;
  req.numWorkers = 2;  // back to two: only the executors of the dropped worker move
  auto fewer = nimbus::scheduleEven(req);
  EXPECT_EQ(loadBySlot(fewer).size(), 2u);
  EXPECT_EQ(moved(after, fewer), 4);
}

TEST(EvenScheduler, ReassignsOnlyTheLostSupervisorsExecutors) {
  auto req = request(8, 4, {{"sup-a", {6700, 6701}}, {"sup-b", {6700, 6701}}, {"sup-c", {6700}}});
  auto before = nimbus::scheduleEven(req);
  std::set<std::string> nodes;
  for (const auto& [e, slot] : before.executorNodePort) nodes.insert(slot.node);
  ASSERT_EQ(nodes.size(), 3u);
  // sup-b is gone: what ran elsewhere stays, its executors go to the free slots left.
  req.current = before;
  req.freeSlots.erase("sup-b");
  auto after = nimbus::scheduleEven(req);
  int onB = 0;
  for (const auto& [e, slot] : before.executorNodePort) {
    if (slot.node == "sup-b") {
      ++onB;
      EXPECT_NE(after.executorNodePort.at(e).node, "sup-b");
    } else {
      EXPECT_EQ(after.executorNodePort.at(e), slot) << e.startTask;
    }
  }
  EXPECT_EQ(moved(before, after), onB);
  EXPECT_EQ(after.nodeHost.count("sup-b"), 0u);
  EXPECT_EQ(loadBySlot(after).size(), 3u);  // 3 slots left: fewer workers, still running
}

TEST(EvenScheduler, RefusesWhatDoesNotFitSayingWhy) {
  auto req = request(4, 3, {{"sup-a", {6700}}, {"sup-b", {6700}}});
  req.requireAllWorkers = true;
  try {
    nimbus::scheduleEven(req);
    FAIL() << "scheduled 3 workers on 2 slots";
  } catch (const nimbus::NotEnoughSlots& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("needs 3 worker slot(s) but the cluster has 2 free"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("1 free on sup-a"), std::string::npos) << msg;
  }
  req.freeSlots.clear();
  EXPECT_THROW(nimbus::scheduleEven(req), nimbus::NotEnoughSlots);
  // Workers beyond the executors would stay empty; they are not asked for.
  auto two = request(2, 5, {{"sup-a", {6700, 6701}}});
  two.requireAllWorkers = true;
  EXPECT_EQ(loadBySlot(nimbus::scheduleEven(two)).size(), 2u);
}
