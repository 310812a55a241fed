// The cluster's nimbus over a real ZooKeeper (tests/zk_support.h) and real Thrift servers:
// topologies kept in ZooKeeper and seen by a second nimbus, which refuses changes while it does
// not lead, copies the blobs, and takes over when the leader stops; the scheduler's assignment
// in /assignments on submit, refusal of a topology that does not fit, reassignment after a
// supervisor's ZooKeeper session ends.

#include <gtest/gtest.h>

#include "nimbus/even_scheduler.h"
#include "nimbus_cluster_support.h"

using namespace squall;
using namespace squall::testing;

TEST(NimbusZk, SecondNimbusSeesTopologiesRefusesChangesAndTakesOver) {
  TempDir dir;
  auto observer = zkConnect(daemonZk());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  auto first = std::make_unique<Nimbus>(dir.path / "n1");
  ASSERT_TRUE(waitFor([&] { return first->nimbus->isLeader(); }));
  Nimbus second(dir.path / "n2");

  std::string id = submit(*first->nimbus, "words", 2);
  ASSERT_FALSE(id.empty());
  // Scheduled at once, on both supervisors, with the secret made before.
  auto assignment = state.assignmentInfo(id);
  ASSERT_TRUE(assignment);
  EXPECT_EQ(nodesOf(*assignment), (std::set<std::string>{"sup-a", "sup-b"}));
  EXPECT_EQ(assignment->executorNodePort.size(), 7u);  // 2 + 3 + 2 ackers
  EXPECT_EQ(assignment->nodeHost.at("sup-a"), "host-sup-a");
  auto creds = state.credentials(id);
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->creds.at(nimbus::kTopologySecretKey).size(), 64u);
  {
    auto outsider = zkConnect(zkOptions());  // no digest: the secret stays hidden
    cluster::ClusterState other(*outsider);
    EXPECT_THROW(other.credentials(id), cluster::ZkError);
  }

  // The second nimbus sees the topology, both nimbuses, the supervisors and their used slots.
  auto info = second.nimbus->getClusterInfo();
  ASSERT_EQ(info.topologies.size(), 1u);
  EXPECT_EQ(info.topologies[0].id, id);
  EXPECT_EQ(info.topologies[0].num_workers, 2);
  EXPECT_EQ(info.nimbuses.size(), 2u);
  ASSERT_EQ(info.supervisors.size(), 2u);
  for (const auto& s : info.supervisors) {
    EXPECT_EQ(s.num_workers, 2);
    EXPECT_EQ(s.num_used_workers, 1);
  }
  EXPECT_EQ(second.nimbus->getLeader().port, first->nimbus->getLeader().port);

  // It refuses changes as Storm's non-leader does, naming the leader.
  try {
    second.nimbus->killTopology("words", storm::KillOptions());
    FAIL() << "a non-leader killed a topology";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  fmt::format("not a leader, current leader is NimbusInfo{{host='127.0.0.1', "
                              "port={}, isLeader=true}}",
                              first->nimbus->getLeader().port)),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(second.nimbus->beginFileUpload(), std::runtime_error);

  // It holds a copy of the code and conf, checked against the SHA-256 in /blobstore.
  auto holds = [&](const std::string& key) {
    for (const auto& r : state.blobReplicas(key)) {
      if (r.nimbusHostPort == second.nimbus->hostPort()) return true;
    }
    return false;
  };
  ASSERT_TRUE(
      waitFor([&] { return holds(id + "-stormcode.ser") && holds(id + "-stormconf.ser"); }));

  // The leader stops: the second leads, serves the topology and keeps its assignment.
  auto stopped = std::chrono::steady_clock::now();
  first.reset();
  ASSERT_TRUE(waitFor([&] { return second.nimbus->isLeader(); }, std::chrono::seconds(20)));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  stopped)
                .count();
  std::printf("new leader %lld ms after the leader stopped\n", static_cast<long long>(ms));
  EXPECT_EQ(state.assignmentInfo(id), assignment);
  auto ti = second.nimbus->getTopologyInfo(id);
  ASSERT_EQ(ti.executors.size(), 7u);
  for (const auto& e : ti.executors) {
    auto slot =
        assignment->executorNodePort.at({e.executor_info.task_start, e.executor_info.task_end});
    EXPECT_EQ(e.port, slot.port);
    EXPECT_EQ(e.host, "host-" + slot.node);
  }
  auto code = second.nimbus->beginBlobDownload(id + "-stormcode.ser");
  EXPECT_GT(code.data_size, 0);

  storm::KillOptions now;
  now.__set_wait_secs(0);
  second.nimbus->killTopology("words", now);
  ASSERT_TRUE(waitFor([&] { return !state.stormBase(id) && !state.assignmentInfo(id); }));
  EXPECT_TRUE(second.nimbus->getClusterInfo().topologies.empty());
}

TEST(NimbusZk, RefusesATopologyThatDoesNotFitTheFreeSlots) {
  TempDir dir;
  Supervisor a("sup-a", {6700});
  Nimbus n(dir.path / "n1");
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  try {
    submit(*n.nimbus, "big", 3);
    FAIL() << "3 workers accepted on 1 slot";
  } catch (const storm::InvalidTopologyException& e) {
    EXPECT_NE(e.msg.find("needs 3 worker slot(s) but the cluster has 1 free (1 free on sup-a)"),
              std::string::npos)
        << e.msg;
  }
  EXPECT_TRUE(n.nimbus->getClusterInfo().topologies.empty());
  // One that fits takes the slot; the next finds none free.
  submit(*n.nimbus, "small", 1);
  EXPECT_THROW(submit(*n.nimbus, "other", 1), storm::InvalidTopologyException);
}

TEST(NimbusZk, ReassignsAfterASupervisorIsGoneForItsTimeout) {
  TempDir dir;
  auto observer = zkConnect(zkOptions());
  cluster::ClusterState state(*observer);
  Supervisor a("sup-a", {6700, 6701}), b("sup-b", {6700, 6701});
  Nimbus n(dir.path / "n1", /*supervisorTimeoutSecs=*/1);
  ASSERT_TRUE(waitFor([&] { return n.nimbus->isLeader(); }));
  std::string id = submit(*n.nimbus, "words", 2);
  auto before = state.assignmentInfo(id);
  ASSERT_TRUE(before);
  ASSERT_EQ(nodesOf(*before), (std::set<std::string>{"sup-a", "sup-b"}));

  auto lost = std::chrono::steady_clock::now();
  b.die();
  ASSERT_TRUE(waitFor(
      [&] {
        auto now = state.assignmentInfo(id);
        return now && nodesOf(*now) == std::set<std::string>{"sup-a"};
      },
      std::chrono::seconds(20)));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - lost)
          .count();
  std::printf("reassigned %lld ms after the supervisor's session ended (timeout 1 s)\n",
              static_cast<long long>(ms));
  // Not before the timeout, and what ran on sup-a did not move.
  EXPECT_GE(ms, 1000);
  auto after = *state.assignmentInfo(id);
  for (const auto& [e, slot] : before->executorNodePort) {
    if (slot.node == "sup-a") {
      EXPECT_EQ(after.executorNodePort.at(e), slot);
    }
  }
  EXPECT_EQ(after.executorNodePort.size(), 7u);

  // A rebalance to one worker moves only the executors of the dropped worker.
  storm::RebalanceOptions one;
  one.__set_wait_secs(0);
  one.__set_num_workers(1);
  n.nimbus->rebalance("words", one);
  ASSERT_TRUE(waitFor([&] {
    auto now = state.assignmentInfo(id);
    std::set<cluster::NodePort> slots;
    if (now) {
      for (const auto& [e, slot] : now->executorNodePort) slots.insert(slot);
    }
    return slots.size() == 1;
  }));
}
